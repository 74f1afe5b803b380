package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterCodec;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.NodeRegistry;
import dev.visage.api.relay.ClusterRelayBus;

import java.util.Map;
import java.util.function.BiConsumer;

/** The relay signalling bus on Redis pub/sub: a channel per node ({@code visage:relay:<nodeId>}). */
final class RedisRelayBus extends ClusterRelayBus {

    private final RedisConnection redis;
    private final RedisSubscriber subscriber;

    RedisRelayBus(RedisConnection redis, RedisSubscriber subscriber, String nodeId, ClusterState cluster,
                  NodeRegistry registry) {
        super(nodeId, cluster, registry);
        this.redis = redis;
        this.subscriber = subscriber;
    }

    @Override
    public void send(String toNodeId, Map<String, Object> message) {
        redis.call(r -> r.publish(RedisKeys.relayChannel(toNodeId), ClusterCodec.relayEnvelope(localNodeId(), message)));
    }

    @Override
    public void subscribe(BiConsumer<String, Map<String, Object>> handler) {
        subscriber.onMessage(RedisKeys.relayChannel(localNodeId()), json -> ClusterCodec.openRelayEnvelope(json, handler));
    }
}
