package dev.visage.core.testing;

import dev.visage.api.plugin.StorePlugin;
import dev.visage.core.config.NodeConfig;
import dev.visage.users.mongo.MongoStorePlugin;

import java.nio.file.Path;
import java.util.Map;

/** The real store plugin (embedded MongoDB on a file under dataDir), started as a node would. */
public final class TestStore {

    private TestStore() {
    }

    public static NodeConfig config(Path dataDir, String nodeId) {
        Map<String, String> settings = Map.of("visage.data.dir", dataDir.toString(), "visage.node.id", nodeId);
        return new NodeConfig(settings::get);
    }

    public static StorePlugin start(Path dataDir) throws Exception {
        MongoStorePlugin plugin = new MongoStorePlugin();
        plugin.start(config(dataDir, "test-node"));
        return plugin;
    }
}
