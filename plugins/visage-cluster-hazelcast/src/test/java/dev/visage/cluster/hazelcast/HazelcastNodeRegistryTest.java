package dev.visage.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeVitals;
import dev.visage.api.testing.Await;
import dev.visage.cluster.hazelcast.testing.TestHazelcast;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The node registry on real Hazelcast members that join, shut down and die. */
class HazelcastNodeRegistryTest {

    private TestHazelcast hazelcast;

    private List<HazelcastInstance> cluster(TestInfo test, int size) {
        hazelcast = new TestHazelcast("visage-test-NodeRegistry-" + test.getTestMethod().orElseThrow().getName(), 5970);
        return hazelcast.newCluster(size);
    }

    @AfterEach
    void stop() {
        if (hazelcast != null) {
            hazelcast.close();
        }
    }

    private static NodeInfo info(String id, HazelcastNodeRegistry registry) {
        long now = System.currentTimeMillis();
        return new NodeInfo(id, "eu", "http://127.0.0.1:1", "ws://127.0.0.1:1/ws", "127.0.0.1", 10000,
                registry.localMemberId(), 3, 500, now, now, false, NodeVitals.UNKNOWN, null);
    }

    private static List<String> ids(HazelcastNodeRegistry registry) {
        return registry.liveNodes().stream().map(NodeInfo::id).toList();
    }

    @Test
    void memberThatShutsDownDisappearsAndOnNodeGoneFires(TestInfo test) {
        List<HazelcastInstance> members = cluster(test, 3);
        HazelcastNodeRegistry r1 = new HazelcastNodeRegistry(members.get(0), Duration.ofMinutes(5));
        HazelcastNodeRegistry r2 = new HazelcastNodeRegistry(members.get(1), Duration.ofMinutes(5));
        HazelcastNodeRegistry r3 = new HazelcastNodeRegistry(members.get(2), Duration.ofMinutes(5));
        r1.register(info("node-1", r1));
        r2.register(info("node-2", r2));
        r3.register(info("node-3", r3));
        List<String> gone = new CopyOnWriteArrayList<>();
        r1.onNodeGone(gone::add);

        assertEquals(List.of("node-1", "node-2", "node-3"), ids(r1));
        assertEquals(List.of("node-1", "node-2", "node-3"), ids(r3));
        NodeInfo seen = r3.liveNodes().get(0);
        assertEquals(r1.localMemberId(), seen.memberId());
        assertEquals("ws://127.0.0.1:1/ws", seen.wsUrl());
        assertEquals(10000, seen.mediaPort());

        // a clean shutdown
        members.get(1).shutdown();
        Await.until(Duration.ofSeconds(20), "node-2 gone", () -> ids(r1).equals(List.of("node-1", "node-3")));
        Await.until(Duration.ofSeconds(20), "onNodeGone(node-2)", () -> gone.contains("node-2"));
        Await.until(Duration.ofSeconds(20), "node-2 entry deleted",
                () -> !members.get(0).getMap(HazelcastNodeRegistry.MAP).containsKey("node-2"));

        // an abrupt death
        members.get(2).getLifecycleService().terminate();
        Await.until(Duration.ofSeconds(20), "node-3 gone", () -> ids(r1).equals(List.of("node-1")));
        Await.until(Duration.ofSeconds(20), "onNodeGone(node-3)", () -> gone.contains("node-3"));
        assertEquals(List.of("node-2", "node-3"), gone.stream().distinct().sorted().toList());
        assertTrue(!gone.contains("node-1"));
    }

    @Test
    void entryWithoutHeartbeatExpiresButHeartbeatKeepsItAlive(TestInfo test) throws Exception {
        List<HazelcastInstance> members = cluster(test, 2);
        HazelcastNodeRegistry r1 = new HazelcastNodeRegistry(members.get(0), Duration.ofSeconds(2));
        HazelcastNodeRegistry r2 = new HazelcastNodeRegistry(members.get(1), Duration.ofSeconds(2));
        r1.register(info("beating", r1));
        r2.register(info("hung", r2));
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < until) {
            Thread.sleep(500);
            r1.heartbeat(info("beating", r1));
        }
        Await.until(Duration.ofSeconds(10), "hung node to expire", () -> ids(r2).equals(List.of("beating")));
        assertEquals(List.of("beating"), ids(r1));
    }

    @Test
    void deregisterRemovesTheNodeAndTellsListeners(TestInfo test) {
        List<HazelcastInstance> members = cluster(test, 2);
        HazelcastNodeRegistry r1 = new HazelcastNodeRegistry(members.get(0), Duration.ofMinutes(5));
        HazelcastNodeRegistry r2 = new HazelcastNodeRegistry(members.get(1), Duration.ofMinutes(5));
        List<String> gone = new CopyOnWriteArrayList<>();
        r1.onNodeGone(gone::add);
        r1.register(info("leaving", r1));
        r2.register(info("staying", r2));
        assertEquals(List.of("leaving", "staying"), ids(r2));
        r1.deregister("leaving");
        assertEquals(List.of("staying"), ids(r2));
        assertEquals(List.of("staying"), ids(r1));
        // entry events reach listeners on Hazelcast's event threads, after deregister returns
        Await.until(Duration.ofSeconds(10), "the gone listener to hear of the leaving node", () -> !gone.isEmpty());
        assertEquals(List.of("leaving"), gone);
        r1.close();
        r2.close();
    }
}
