package dev.visage.api.cluster;

import java.util.List;
import java.util.function.Consumer;

/** The cluster's view of its live nodes: entries with a TTL kept alive by a heartbeat. */
public interface NodeRegistry {

    void register(NodeInfo self);

    void heartbeat(NodeInfo self);

    void deregister(String nodeId);

    List<NodeInfo> liveNodes();

    /** Called with the node id when a node leaves or dies (observed on any node). */
    void onNodeGone(Consumer<String> listener);
}
