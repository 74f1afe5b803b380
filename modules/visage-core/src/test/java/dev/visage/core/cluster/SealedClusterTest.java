package dev.visage.core.cluster;

import com.hazelcast.core.HazelcastInstance;
import dev.visage.api.cluster.ClusterBackend;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.relay.RelayBus;
import dev.visage.api.testing.Await;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.cluster.hazelcast.HazelcastClusterBackend;
import dev.visage.cluster.hazelcast.testing.TestHazelcast;
import dev.visage.core.cluster.ClusterSeal.Rejection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Sealed room events, node commands and relay messages between nodes on two real Hazelcast members:
 * what a node with another secret, or a process writing to the topics directly, sends is dropped
 * and counted, and the members' own messages still pass.
 */
class SealedClusterTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("the secret of this test's cluster, 32+ characters");
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static TestHazelcast hazelcast;
    private static HazelcastInstance rogue;
    private static Node a;
    private static Node b;
    private static Node stranger;

    /** A node: its backend on a member, sealed with a secret, and what its listeners heard. */
    record Node(ClusterSeal seal, ClusterState cluster, RelayBus bus, Queue<String> heard) {

        static Node on(HazelcastInstance member, String nodeId, ClusterSecret secret) throws Exception {
            ClusterBackend backend = new HazelcastClusterBackend(member);
            backend.start(TestPluginContext.of(nodeId, Map.of()));
            ClusterSeal seal = new ClusterSeal(secret.derive(ClusterSecret.MESSAGE_KEY), nodeId, Clock.systemUTC());
            Node node = new Node(seal, new SealedClusterState(backend.state(), seal),
                    new SealedRelayBus(backend.relayBus(), seal, new SealedNodeRegistry(backend.registry(),
                            secret.derive(ClusterSecret.REGISTRY_KEY), nodeId, Duration.ofSeconds(10), Clock.systemUTC())),
                    new ConcurrentLinkedQueue<>());
            node.cluster.onRoomEvent((room, event) -> node.heard.add("event " + room + " " + event));
            node.cluster.onNodeCommand(nodeId, command -> node.heard.add("command " + command));
            node.bus.subscribe((from, message) -> node.heard.add("relay from " + from + " " + message.get("type")));
            return node;
        }

        long rejected() {
            long sum = 0;
            for (Rejection reason : Rejection.values()) {
                sum += seal.rejected(reason);
            }
            return sum;
        }
    }

    @BeforeAll
    static void startCluster() throws Exception {
        hazelcast = new TestHazelcast("visage-test-SealedClusterTest", 6400);
        List<HazelcastInstance> members = hazelcast.newCluster(2);
        rogue = members.get(1);
        a = Node.on(members.get(0), "node-a", SECRET);
        b = Node.on(members.get(1), "node-b", SECRET);
        stranger = Node.on(members.get(1), "node-x", ClusterSecret.of("the secret of some other cluster, 32+ characters"));
    }

    @AfterAll
    static void stopCluster() {
        if (hazelcast != null) {
            hazelcast.close();
        }
    }

    @Test
    void membersHearEachOtherAndNothingFromAStrangerOrARogueWriter() throws Exception {
        stranger.cluster.publishRoomEvent("room-1", "{\"type\":\"chat\",\"text\":\"from another cluster\"}");
        stranger.cluster.sendNodeCommand("node-a", "{\"type\":\"drain\"}");
        stranger.bus.send("node-a", Map.of("type", "relay-offer"));
        rogue.<String>getTopic("visage.room-events").publish("room-1\n{\"type\":\"chat\",\"text\":\"injected\"}");
        rogue.<String>getTopic("visage.node-commands.node-a").publish("{\"type\":\"drain\"}");
        rogue.<String>getTopic("visage.relay.node-a").publish("{\"from\":\"node-b\",\"message\":{\"type\":\"relay-offer\"}}");
        Await.until(WAIT, "node-a dropped all six", () -> a.rejected() == 6);
        assertEquals(3, a.seal.rejected(Rejection.BAD_MAC), "the stranger's three fail their MAC");
        assertEquals(3, a.seal.rejected(Rejection.UNSEALED), "the rogue writer's three have no seal");

        b.cluster.publishRoomEvent("room-1", "{\"type\":\"chat\",\"text\":\"from a member\"}");
        b.cluster.sendNodeCommand("node-a", "{\"type\":\"kick\"}");
        b.bus.send("node-a", Map.of("type", "relay-answer"));
        Await.until(WAIT, "node-a heard node-b", () -> a.heard.size() == 3);
        assertEquals(List.of("command {\"type\":\"kick\"}", "event room-1 {\"type\":\"chat\",\"text\":\"from a member\"}",
                "relay from node-b relay-answer"), a.heard.stream().sorted().toList(), "only what node-b sent");
    }
}
