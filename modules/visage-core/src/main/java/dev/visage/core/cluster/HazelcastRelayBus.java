package dev.visage.core.cluster;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.topic.ITopic;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeRegistry;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.relay.RelayBus;
import dev.visage.core.json.JsonMaps;

import java.io.StringReader;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The relay signalling bus on Payara's Hazelcast: one reliable-enough topic per node
 * ({@code visage.relay.<nodeId>}) carrying {@code {"from":..., "message":{...}}} as JSON text.
 */
public final class HazelcastRelayBus implements RelayBus {

    private static final String TOPIC_PREFIX = "visage.relay.";

    private final HazelcastInstance hazelcast;
    private final String nodeId;
    private final ClusterState cluster;
    private final NodeRegistry registry;

    public HazelcastRelayBus(HazelcastInstance hazelcast, String nodeId, ClusterState cluster, NodeRegistry registry) {
        this.hazelcast = hazelcast;
        this.nodeId = nodeId;
        this.cluster = cluster;
        this.registry = registry;
    }

    @Override
    public String localNodeId() {
        return nodeId;
    }

    @Override
    public void send(String toNodeId, Map<String, Object> message) {
        String envelope = JSON.createObjectBuilder().add("from", nodeId).add("message", JsonMaps.toJson(message))
                .build().toString();
        topic(toNodeId).publish(envelope);
    }

    @Override
    public void subscribe(BiConsumer<String, Map<String, Object>> handler) {
        topic(nodeId).addMessageListener(event -> {
            var envelope = JSON.createReader(new StringReader(event.getMessageObject())).readObject();
            handler.accept(envelope.getString("from"), JsonMaps.toMap(envelope.getJsonObject("message")));
        });
    }

    @Override
    public Set<String> nodesInRoom(String roomId) {
        return cluster.members(roomId).stream().map(cluster::session).flatMap(Optional::stream)
                .map(SessionRecord::nodeId).collect(Collectors.toSet());
    }

    @Override
    public Optional<NodeInfo> node(String id) {
        return registry.liveNodes().stream().filter(n -> n.id().equals(id)).findFirst();
    }

    @Override
    public void onNodeGone(Consumer<String> listener) {
        registry.onNodeGone(listener);
    }

    private ITopic<String> topic(String node) {
        return hazelcast.getTopic(TOPIC_PREFIX + node);
    }
}
