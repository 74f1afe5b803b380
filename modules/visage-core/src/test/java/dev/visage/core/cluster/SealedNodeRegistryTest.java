package dev.visage.core.cluster;

import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeRegistry;
import dev.visage.api.cluster.NodeVitals;
import dev.visage.core.cluster.SealedNodeRegistry.Rejection;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The registry as a client or a peer reads it, through the sealed wrapper: what a node with the
 * cluster secret wrote is listed as it wrote it; what anything else wrote or changed is dropped and
 * counted once per entry, whichever way it was forged.
 */
class SealedNodeRegistryTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("the secret of this test's cluster, 32+ characters");
    private static final Duration TTL = Duration.ofSeconds(10);

    private final MutableClock clock = new MutableClock();
    private final KeyValueRegistry backend = new KeyValueRegistry();
    private final SealedNodeRegistry nodeA = sealedWith(SECRET, "node-a");
    private final SealedNodeRegistry nodeB = sealedWith(SECRET, "node-b");

    private SealedNodeRegistry sealedWith(ClusterSecret secret, String nodeId) {
        return new SealedNodeRegistry(backend, secret.derive(ClusterSecret.REGISTRY_KEY), nodeId, TTL, clock);
    }

    private NodeInfo entry(String id, String httpUrl) {
        long now = clock.millis();
        return new NodeInfo(id, "eu", httpUrl, httpUrl.replace("http", "ws") + "/ws", "127.0.0.1", 10000, "member-" + id,
                2, 500, now - 60_000, now, false, new NodeVitals(0.1 + 0.2, 300_000_000L, 1_000_000_000L, true), null);
    }

    private List<String> listedUrls() {
        return nodeB.liveNodes().stream().map(NodeInfo::httpUrl).toList();
    }

    private Map<Rejection, Long> rejected() {
        Map<Rejection, Long> counts = new java.util.EnumMap<>(Rejection.class);
        for (Rejection reason : Rejection.values()) {
            if (nodeB.rejected(reason) > 0) {
                counts.put(reason, nodeB.rejected(reason));
            }
        }
        return counts;
    }

    @Test
    void aGenuineEntryIsListedAsItsNodeWroteIt() {
        NodeInfo a = entry("node-a", "http://a:8080");
        nodeA.register(a);

        List<NodeInfo> listed = nodeB.liveNodes();
        assertEquals(1, listed.size());
        assertEquals(a, listed.get(0).withSeal(null));
        assertEquals(Map.of(), rejected());
    }

    @Test
    void anUnsealedEntryIsDroppedAndCountedOnceHoweverOftenItIsRead() {
        nodeA.register(entry("node-a", "http://a:8080"));
        backend.put("evil", entry("evil", "http://evil:666"));

        for (int read = 0; read < 3; read++) {
            assertEquals(List.of("http://a:8080"), listedUrls());
        }
        assertEquals(Map.of(Rejection.UNSEALED, 1L), rejected());
    }

    @Test
    void aForgedSealIsDroppedAndCounted() {
        String zeros = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
        backend.put("evil", entry("evil", "http://evil:666").withSeal(zeros));
        backend.put("garbled", entry("garbled", "http://evil:667").withSeal("not base64 !"));

        assertEquals(List.of(), listedUrls());
        assertEquals(Map.of(Rejection.BAD_MAC, 2L), rejected());
    }

    @Test
    void aGenuineEntryWithAnyFieldChangedIsDropped() {
        nodeA.register(entry("node-a", "http://a:8080"));
        NodeInfo genuine = backend.get("node-a");
        List<NodeInfo> changed = List.of(
                new NodeInfo(genuine.id(), genuine.region(), "http://evil:666", genuine.wsUrl(), genuine.mediaHost(),
                        genuine.mediaPort(), genuine.memberId(), genuine.load(), genuine.capacity(), genuine.startedAt(),
                        genuine.heartbeatAt(), genuine.draining(), genuine.vitals(), genuine.seal()),
                new NodeInfo(genuine.id(), genuine.region(), genuine.httpUrl(), genuine.wsUrl(), genuine.mediaHost(),
                        genuine.mediaPort(), "the-rogue's-member", genuine.load(), genuine.capacity(), genuine.startedAt(),
                        genuine.heartbeatAt(), genuine.draining(), genuine.vitals(), genuine.seal()),
                new NodeInfo(genuine.id(), genuine.region(), genuine.httpUrl(), genuine.wsUrl(), genuine.mediaHost(),
                        genuine.mediaPort(), genuine.memberId(), 0, 1_000_000, genuine.startedAt(),
                        genuine.heartbeatAt(), genuine.draining(), genuine.vitals(), genuine.seal()),
                new NodeInfo(genuine.id(), genuine.region(), genuine.httpUrl(), genuine.wsUrl(), genuine.mediaHost(),
                        genuine.mediaPort(), genuine.memberId(), genuine.load(), genuine.capacity(), genuine.startedAt(),
                        genuine.heartbeatAt() + 1, genuine.draining(), genuine.vitals(), genuine.seal()),
                new NodeInfo(genuine.id(), genuine.region(), genuine.httpUrl(), genuine.wsUrl(), genuine.mediaHost(),
                        genuine.mediaPort(), genuine.memberId(), genuine.load(), genuine.capacity(), genuine.startedAt(),
                        genuine.heartbeatAt(), !genuine.draining(), genuine.vitals(), genuine.seal()));

        for (NodeInfo forged : changed) {
            backend.put("node-a", forged);
            assertEquals(List.of(), listedUrls(), forged.toString());
        }
        assertEquals(Map.of(Rejection.BAD_MAC, (long) changed.size()), rejected());
    }

    @Test
    void anEntryFromAnotherClustersSecretIsDropped() {
        sealedWith(ClusterSecret.of("the secret of some other cluster, 32+ characters"), "node-x")
                .register(entry("node-x", "http://x:8080"));

        assertEquals(List.of(), listedUrls());
        assertEquals(Map.of(Rejection.BAD_MAC, 1L), rejected());
    }

    @Test
    void anOldGenuineEntryReplayedIsDroppedAsStale() {
        nodeA.register(entry("node-a", "http://a:8080"));
        NodeInfo old = backend.get("node-a");
        clock.advance(TTL.plus(ClusterSeal.WINDOW).plusSeconds(1));

        backend.put("node-a", old);

        assertEquals(List.of(), listedUrls());
        assertEquals(Map.of(Rejection.STALE, 1L), rejected());
        nodeA.heartbeat(entry("node-a", "http://a:8080"));
        assertEquals(List.of("http://a:8080"), listedUrls(), "its next heartbeat lists the node again");
    }

    @Test
    void ofAGenuineEntryReplayedUnderAnotherKeyOnlyTheNewestIsListed() {
        nodeA.register(entry("node-a", "http://a:8080"));
        backend.put("copy", backend.get("node-a"));
        clock.advance(Duration.ofSeconds(2));
        NodeInfo draining = entry("node-a", "http://a:8080");
        nodeA.heartbeat(new NodeInfo(draining.id(), draining.region(), draining.httpUrl(), draining.wsUrl(),
                draining.mediaHost(), draining.mediaPort(), draining.memberId(), draining.load(), draining.capacity(),
                draining.startedAt(), draining.heartbeatAt(), true, draining.vitals(), null));

        List<NodeInfo> listed = nodeB.liveNodes();
        assertEquals(1, listed.size());
        assertEquals(true, listed.get(0).draining());
    }

    @Test
    void aNodeGoneEventForANodeStillGenuinelyListedIsNotPassedOn() {
        List<String> gone = new CopyOnWriteArrayList<>();
        nodeB.onNodeGone(gone::add);
        nodeA.register(entry("node-a", "http://a:8080"));
        backend.put("evil", entry("evil", "http://evil:666"));

        backend.fireGone("node-a");
        backend.fireGone("evil");
        nodeA.deregister("node-a");
        backend.fireGone("node-a");

        assertEquals(List.of("evil", "node-a"), gone);
    }

    /** A backend as a rogue sees it: entries under keys anyone may write. */
    private static final class KeyValueRegistry implements NodeRegistry {
        private final Map<String, NodeInfo> entries = new ConcurrentHashMap<>();
        private final List<Consumer<String>> goneListeners = new CopyOnWriteArrayList<>();

        void put(String key, NodeInfo entry) {
            entries.put(key, entry);
        }

        NodeInfo get(String key) {
            return entries.get(key);
        }

        void fireGone(String nodeId) {
            goneListeners.forEach(listener -> listener.accept(nodeId));
        }

        @Override
        public void register(NodeInfo self) {
            entries.put(self.id(), self);
        }

        @Override
        public void heartbeat(NodeInfo self) {
            register(self);
        }

        @Override
        public void deregister(String nodeId) {
            entries.remove(nodeId);
        }

        @Override
        public List<NodeInfo> liveNodes() {
            return new ArrayList<>(entries.values());
        }

        @Override
        public void onNodeGone(Consumer<String> listener) {
            goneListeners.add(listener);
        }
    }
}
