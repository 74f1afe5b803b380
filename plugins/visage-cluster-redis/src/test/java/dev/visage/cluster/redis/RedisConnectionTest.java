package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.cluster.redis.testing.RedisServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a node reaches Redis: credentials in the URI, and a Redis that is not there yet. */
class RedisConnectionTest {

    @Test
    void anAclUserAndPasswordInTheUriLogIn() throws Exception {
        try (RedisServer redis = new RedisServer(6412, "--user", "default", "off",
                "--user", "visage", "on", ">s3cret", "~*", "&*", "+@all").start()) {
            RedisClusterBackend backend = new RedisClusterBackend();
            backend.start(TestPluginContext.of("acl", Map.of(RedisClusterBackend.URI_SETTING,
                    "redis://visage:s3cret@127.0.0.1:6412")));
            try {
                assertTrue(backend.state().createSession(new SessionRecord(
                        "s", "u", "U", "acl", null, 1L)));
            } finally {
                backend.close();
            }
            try (RedisConnection anonymous = new RedisConnection(URI.create("redis://127.0.0.1:6412"), "anon")) {
                assertThrows(ClusterUnavailableException.class, () -> anonymous.call(r -> r.ping()),
                        "the default user is off");
            }
        }
    }

    /** Every idle pooled connection is a dead socket after a restart; none may reach a caller. */
    @Test
    void afterARedisRestartNoCallFailsOnAConnectionFromBeforeIt() throws Exception {
        try (RedisServer redis = new RedisServer(6414).start();
             RedisConnection connection = new RedisConnection(URI.create(redis.uri()), "restart")) {
            int parallel = 8;
            CountDownLatch allBorrowed = new CountDownLatch(parallel);
            List<CompletableFuture<String>> fillThePool = new ArrayList<>();
            for (int i = 0; i < parallel; i++) {
                fillThePool.add(CompletableFuture.supplyAsync(() -> connection.call(r -> {
                    allBorrowed.countDown();
                    awaitQuietly(allBorrowed);
                    return r.ping();
                })));
            }
            for (CompletableFuture<String> call : fillThePool) {
                assertEquals("PONG", call.get(30, TimeUnit.SECONDS));
            }
            redis.stop();
            redis.start();
            for (int i = 0; i < 2 * parallel; i++) {
                assertEquals("PONG", connection.call(r -> r.ping()), "call " + i + " after the restart");
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aNodeWaitsForRedisAndSaysSoInItsLog() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(RedisClusterBackend.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                log.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        RedisClusterBackend backend = new RedisClusterBackend();
        try {
            CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
                try {
                    backend.start(TestPluginContext.of("patient", Map.of(RedisClusterBackend.URI_SETTING,
                            "redis://127.0.0.1:6413")));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            while (log.stream().noneMatch(m -> m.contains("(attempt 2)"))) {
                assertFalse(started.isDone(), "start-up must wait for Redis");
                Thread.sleep(100);
            }
            assertTrue(log.get(0).contains("waiting for Redis at 127.0.0.1:6413 (attempt 1)"), log.get(0));
            try (RedisServer redis = new RedisServer(6413).start()) {
                started.get(60, TimeUnit.SECONDS);
                assertEquals(0, backend.registry().liveNodes().size());
            }
        } finally {
            logger.removeHandler(capture);
            backend.close();
        }
    }
}
