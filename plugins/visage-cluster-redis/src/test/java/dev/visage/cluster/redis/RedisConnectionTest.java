package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.cluster.redis.testing.RedisServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
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
