package dev.visage.users.mongo;

import dev.visage.api.plugin.PluginContext;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** A node context with explicit settings, in place of system properties and environment. */
record TestContext(Path dataDir, Map<String, String> settings) implements PluginContext {

    TestContext(Path dataDir) {
        this(dataDir, Map.of());
    }

    @Override
    public String nodeId() {
        return "test-node";
    }

    @Override
    public String region() {
        return "local";
    }

    @Override
    public Optional<String> setting(String name) {
        return Optional.ofNullable(settings.get(name));
    }

    static MongoStorePlugin startedPlugin(PluginContext context) throws Exception {
        MongoStorePlugin plugin = new MongoStorePlugin();
        plugin.start(context);
        return plugin;
    }
}
