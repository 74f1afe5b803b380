package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterCodec;
import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeRegistry;
import redis.clients.jedis.params.SetParams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node registry on Redis: a key per node ({@code visage:node:<id>}, NodeInfo JSON) written with
 * a TTL that the heartbeat refreshes, and the set {@code visage:nodes} of ids to list them without
 * scanning. Redis tells nobody when a key expires in time to rely on it (keyspace events are
 * fire-and-forget and off by default), so every node polls: {@link #poll} compares the live ids
 * with the last poll's and reports the ones gone, whether they left cleanly or stopped heartbeating.
 */
final class RedisNodeRegistry implements NodeRegistry {

    private static final Logger LOG = Logger.getLogger(RedisNodeRegistry.class.getName());

    private final RedisConnection redis;
    private final Duration ttl;
    private final List<Consumer<String>> goneListeners = new CopyOnWriteArrayList<>();
    private volatile Set<String> lastSeen = Set.of();

    RedisNodeRegistry(RedisConnection redis, Duration ttl) {
        this.redis = redis;
        this.ttl = ttl;
    }

    @Override
    public void register(NodeInfo self) {
        redis.call(r -> {
            r.set(RedisKeys.node(self.id()), ClusterCodec.node(self), SetParams.setParams().px(ttl.toMillis()));
            return r.sadd(RedisKeys.NODE_IDS, self.id());
        });
    }

    @Override
    public void heartbeat(NodeInfo self) {
        register(self);
    }

    @Override
    public void deregister(String nodeId) {
        redis.call(r -> {
            r.del(RedisKeys.node(nodeId));
            return r.srem(RedisKeys.NODE_IDS, nodeId);
        });
    }

    @Override
    public List<NodeInfo> liveNodes() {
        return redis.call(r -> {
            List<String> ids = new ArrayList<>(r.smembers(RedisKeys.NODE_IDS));
            if (ids.isEmpty()) {
                return List.of();
            }
            List<String> values = r.mget(ids.stream().map(RedisKeys::node).toArray(String[]::new));
            List<NodeInfo> live = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                if (values.get(i) == null) {
                    r.srem(RedisKeys.NODE_IDS, ids.get(i)); // expired: its node stopped heartbeating
                } else {
                    ClusterCodec.readableNode(values.get(i)).ifPresent(live::add);
                }
            }
            live.sort(Comparator.comparing(NodeInfo::id));
            return live;
        });
    }

    @Override
    public void onNodeGone(Consumer<String> listener) {
        goneListeners.add(listener);
    }

    /** Live nodes at the last poll (a second old at most): what a health check may ask without a round trip. */
    int lastSeenCount() {
        return lastSeen.size();
    }

    /** Reports the nodes gone since the last poll; a Redis that does not answer reports nothing. */
    void poll() {
        Set<String> live;
        try {
            live = new HashSet<>(liveNodes().stream().map(NodeInfo::id).toList());
        } catch (ClusterUnavailableException e) {
            LOG.log(Level.FINE, "node registry poll failed; nobody is declared gone meanwhile", e);
            return;
        }
        Set<String> gone = new HashSet<>(lastSeen);
        gone.removeAll(live);
        lastSeen = live;
        for (String nodeId : gone) {
            for (Consumer<String> listener : goneListeners) {
                try {
                    listener.accept(nodeId);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "node-gone listener failed for node=" + nodeId, e);
                }
            }
        }
    }
}
