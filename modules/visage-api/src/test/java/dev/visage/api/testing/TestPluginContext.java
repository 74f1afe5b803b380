package dev.visage.api.testing;

import dev.visage.api.plugin.PluginContext;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** What a node tells a plugin, for tests: a node id and the settings given, nothing from the environment. */
public record TestPluginContext(String nodeId, Path dataDir, Map<String, String> settings) implements PluginContext {

    public static TestPluginContext of(String nodeId, Map<String, String> settings) {
        return new TestPluginContext(nodeId, Path.of("target", "plugin-data", nodeId), settings);
    }

    @Override
    public String region() {
        return "test";
    }

    @Override
    public Optional<String> setting(String name) {
        return Optional.ofNullable(settings.get(name));
    }
}
