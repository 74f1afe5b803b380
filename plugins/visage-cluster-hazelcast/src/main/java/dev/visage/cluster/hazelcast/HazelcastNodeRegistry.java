package dev.visage.cluster.hazelcast;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.IMap;
import dev.visage.api.cluster.ClusterCodec;
import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeRegistry;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The node registry on Payara's Hazelcast: an IMap of node id to NodeInfo JSON written with a TTL
 * and refreshed by the heartbeat. A node is live while its entry exists and its Hazelcast member
 * is still in the cluster, so a killed node vanishes as soon as the cluster notices, and a hung
 * one when its TTL runs out.
 */
final class HazelcastNodeRegistry implements NodeRegistry {

    static final String MAP = "visage.nodes";

    private final HazelcastInstance hazelcast;
    private final IMap<String, String> nodes;
    private final Duration ttl;
    private final List<Consumer<String>> goneListeners = new CopyOnWriteArrayList<>();
    private final UUID membershipListener;
    private final UUID entryListener;

    HazelcastNodeRegistry(HazelcastInstance hazelcast, Duration ttl) {
        this.hazelcast = hazelcast;
        this.nodes = hazelcast.getMap(MAP);
        this.ttl = ttl;
        // every node hears of every departure: clean deregistration, expiry, or removal after death
        this.entryListener = nodes.addEntryListener(new NodeGoneListener(), false);
        this.membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                // a new node registers itself
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                memberGone(event.getMember().getUuid().toString());
            }
        });
    }

    /** This process's member id, recorded in its NodeInfo. */
    String localMemberId() {
        return hazelcast.getCluster().getLocalMember().getUuid().toString();
    }

    @Override
    public void register(NodeInfo self) {
        nodes.put(self.id(), ClusterCodec.node(self), ttl.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void heartbeat(NodeInfo self) {
        register(self);
    }

    @Override
    public void deregister(String nodeId) {
        nodes.delete(nodeId);
    }

    @Override
    public List<NodeInfo> liveNodes() {
        Set<String> members = hazelcast.getCluster().getMembers().stream()
                .map(m -> m.getUuid().toString()).collect(Collectors.toSet());
        return nodes.values().stream().map(ClusterCodec::readableNode).flatMap(Optional::stream)
                .filter(n -> members.contains(n.memberId()))
                .sorted(Comparator.comparing(NodeInfo::id))
                .toList();
    }

    @Override
    public void onNodeGone(Consumer<String> listener) {
        goneListeners.add(listener);
    }

    private void memberGone(String memberId) {
        for (String json : nodes.values()) {
            ClusterCodec.readableNode(json).filter(node -> node.memberId().equals(memberId))
                    .ifPresent(node -> nodes.delete(node.id()));
        }
    }

    void close() {
        hazelcast.getCluster().removeMembershipListener(membershipListener);
        nodes.removeEntryListener(entryListener);
    }

    private final class NodeGoneListener implements EntryRemovedListener<String, String>,
            EntryExpiredListener<String, String> {
        @Override
        public void entryRemoved(EntryEvent<String, String> event) {
            goneListeners.forEach(l -> l.accept(event.getKey()));
        }

        @Override
        public void entryExpired(EntryEvent<String, String> event) {
            goneListeners.forEach(l -> l.accept(event.getKey()));
        }
    }
}
