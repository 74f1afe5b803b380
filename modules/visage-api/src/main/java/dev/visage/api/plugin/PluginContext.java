package dev.visage.api.plugin;

import java.nio.file.Path;
import java.util.Optional;

/** What a node tells a plugin when starting it: who the node is and where its settings live. */
public interface PluginContext {

    String nodeId();

    String region();

    /** The node's data directory; a plugin keeps its files under a sub-folder of its own. */
    Path dataDir();

    /**
     * A setting by its dotted name (e.g. {@code visage.mongo.uri}); the node resolves it from
     * system properties, then the matching environment variable ({@code VISAGE_MONGO_URI}).
     */
    Optional<String> setting(String name);

    /**
     * A key for one purpose (e.g. {@code "relay-srtp"}), derived from the cluster secret every node
     * of the cluster is given ({@code VISAGE_CLUSTER_SECRET} or {@code VISAGE_CLUSTER_SECRET_FILE}):
     * the same on every node, a different key for every purpose, never the secret itself. Neither
     * the key nor anything that reveals it may travel through the cluster backend.
     */
    byte[] clusterKey(String purpose);
}
