package dev.visage.api.testing;

import dev.visage.api.plugin.PluginContext;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;

/**
 * What a node tells a plugin, for tests: a node id and the settings given, nothing from the
 * environment. Every test node is in the same cluster: its cluster keys are the same everywhere.
 */
public record TestPluginContext(String nodeId, Path dataDir, Map<String, String> settings) implements PluginContext {

    public static TestPluginContext of(String nodeId, Map<String, String> settings) {
        return new TestPluginContext(nodeId, Path.of("target", "plugin-data", nodeId), settings);
    }

    /** The key every test node gets for a purpose: one fixed test cluster's. */
    public static byte[] testClusterKey(String purpose) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(("test cluster/" + purpose).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String region() {
        return "test";
    }

    @Override
    public Optional<String> setting(String name) {
        return Optional.ofNullable(settings.get(name));
    }

    @Override
    public byte[] clusterKey(String purpose) {
        return testClusterKey(purpose);
    }
}
