package dev.visage.api.relay;

import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeRegistry;
import dev.visage.api.cluster.SessionRecord;

import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The part of a relay bus every cluster backend shares: who is in a room and which nodes are live
 * come from the backend's own {@link ClusterState} and {@link NodeRegistry}. A backend adds the
 * channels ({@link #send}, {@link #subscribe}).
 */
public abstract class ClusterRelayBus implements RelayBus {

    private final String nodeId;
    private final ClusterState cluster;
    private final NodeRegistry registry;

    protected ClusterRelayBus(String nodeId, ClusterState cluster, NodeRegistry registry) {
        this.nodeId = nodeId;
        this.cluster = cluster;
        this.registry = registry;
    }

    @Override
    public String localNodeId() {
        return nodeId;
    }

    @Override
    public Set<String> nodesInRoom(String roomId) {
        return cluster.sessions(cluster.members(roomId)).stream().map(SessionRecord::nodeId)
                .collect(Collectors.toSet());
    }

    @Override
    public Optional<NodeInfo> node(String id) {
        return registry.liveNodes().stream().filter(n -> n.id().equals(id)).findFirst();
    }

    @Override
    public void onNodeGone(Consumer<String> listener) {
        registry.onNodeGone(listener);
    }
}
