package dev.visage.web.cluster;

import dev.visage.cluster.redis.testing.RedisServer;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * ClusterIT's cluster tests (registry, chat across nodes, 50 concurrent joins, the reloaded tab,
 * kill -9 in the middle of joins) on the Redis backend: two nodes running Payara Micro without
 * clustering, and a real redis-server this test starts on a loopback port, persistent as
 * {@code ./visage cluster --backend redis} runs it. Plus what only Redis has: the server
 * restarting in the middle of a call.
 */
class RedisClusterIT extends ClusterIT {

    private RedisServer redis;

    @Override
    protected Map<String, String> startBackend(Path work) throws Exception {
        redis = RedisServer.persistent(6402, work.resolve("redis")).start();
        return Map.of("VISAGE_CLUSTER", "redis", "VISAGE_REDIS_URI", redis.uri());
    }

    @Override
    protected void stopBackend() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected RogueBackendClient rogueJoins() {
        return new RedisRogue(redis.uri());
    }

    @Override
    protected boolean runsBackendIndependentTests() {
        return false;
    }

    @Test
    @Order(9)
    void aRedisRestartInTheMiddleOfACallKeepsTheCallAndTheClusterHeals() throws Exception {
        String room = apiA.createRoom(tokenA, "redis restart");
        try (SignalSocket alice = SignalSocket.open(apiA, tokenA); SignalSocket bob = SignalSocket.open(apiB, tokenB)) {
            alice.join(apiA, room);
            bob.join(apiB, room);

            redis.stop(); // SIGKILL: what a crash looks like to the nodes
            long down = System.nanoTime();
            try {
                Api.Reply refused = apiB.get("/api/nodes");
                assertEquals(503, refused.status(), refused.body());
                assertEquals("unavailable", refused.code(), "a clear JSON error, not an exception");
                alice.send("{\"type\":\"chat\",\"text\":\"while Redis is down\"}");
                JsonObject answer = alice.await(m -> "error".equals(m.getString("type"))
                        || "chat".equals(m.getString("type")), Duration.ofSeconds(30));
                if ("error".equals(answer.getString("type"))) {
                    assertEquals("unavailable", answer.getString("code"), answer.toString());
                }
                assertEquals("UP", apiA.get("/health").json().getString("status"), "health answers without Redis");
                Thread.sleep(Math.max(0, 3000 - (System.nanoTime() - down) / 1_000_000)); // down for 3 s
            } finally {
                redis.start();
            }
            long back = System.nanoTime();
            awaitTrue(Duration.ofSeconds(15), () -> nodeIds(apiA).containsAll(List.of("it-a", "it-b"))
                    && nodeIds(apiB).containsAll(List.of("it-a", "it-b")));
            long healed = (System.nanoTime() - back) / 1_000_000;
            // room events travel again once each node's subscriber is back
            awaitTrue(Duration.ofSeconds(30), () -> {
                alice.send("{\"type\":\"chat\",\"text\":\"after the restart\"}");
                try {
                    bob.await(m -> "chat".equals(m.getString("type"))
                            && "after the restart".equals(m.getString("text")), Duration.ofSeconds(2));
                    return true;
                } catch (AssertionError | InterruptedException e) {
                    return false;
                }
            });
            long eventsBack = (System.nanoTime() - back) / 1_000_000;
            try (SignalSocket carol = SignalSocket.open(apiB, apiB.login("carolr", "carolr-password"))) {
                carol.join(apiB, room);
                alice.await(m -> "member-joined".equals(m.getString("type"))
                        && carol.sessionId.equals(m.getString("sessionId")), Duration.ofSeconds(10));
                assertEquals(3, members(apiA, room).size());
            }
            System.out.printf("[figure] redis-server down 3 s in a call: both nodes listed by both %d ms after it was"
                    + " back, room events across nodes again after %d ms; the call's sockets stayed open%n",
                    healed, eventsBack);
            assertFalse(alice.closed.isDone() || bob.closed.isDone(), "the call's sockets stayed open");
        }
    }
}
