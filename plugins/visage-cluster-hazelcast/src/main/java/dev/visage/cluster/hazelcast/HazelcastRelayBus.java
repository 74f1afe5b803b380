package dev.visage.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.topic.ITopic;
import dev.visage.api.cluster.ClusterCodec;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.NodeRegistry;
import dev.visage.api.relay.ClusterRelayBus;

import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The relay signalling bus on Payara's Hazelcast: one reliable-enough topic per node
 * ({@code visage.relay.<nodeId>}) carrying {@code {"from":..., "message":{...}}} as JSON text.
 */
final class HazelcastRelayBus extends ClusterRelayBus {

    private static final String TOPIC_PREFIX = "visage.relay.";

    private final HazelcastInstance hazelcast;

    HazelcastRelayBus(HazelcastInstance hazelcast, String nodeId, ClusterState cluster, NodeRegistry registry) {
        super(nodeId, cluster, registry);
        this.hazelcast = hazelcast;
    }

    @Override
    public void send(String toNodeId, Map<String, Object> message) {
        topic(toNodeId).publish(ClusterCodec.relayEnvelope(localNodeId(), message));
    }

    @Override
    public void subscribe(BiConsumer<String, Map<String, Object>> handler) {
        topic(localNodeId()).addMessageListener(event -> ClusterCodec.openRelayEnvelope(event.getMessageObject(), handler));
    }

    private ITopic<String> topic(String node) {
        return hazelcast.getTopic(TOPIC_PREFIX + node);
    }
}
