package dev.visage.users.mongo;

import dev.visage.api.plugin.PluginContext;
import dev.visage.api.testing.TestPluginContext;

import java.nio.file.Path;
import java.util.Map;

/** Node contexts with explicit settings (visage-api's TestPluginContext) and started plugins, for these tests. */
final class TestContext {
    private TestContext() {
    }

    static TestPluginContext of(Path dataDir) {
        return of(dataDir, Map.of());
    }

    static TestPluginContext of(Path dataDir, Map<String, String> settings) {
        return new TestPluginContext("test-node", dataDir, settings);
    }

    static MongoStorePlugin startedPlugin(PluginContext context) throws Exception {
        MongoStorePlugin plugin = new MongoStorePlugin();
        plugin.start(context);
        return plugin;
    }
}
