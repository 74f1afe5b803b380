package dev.visage.web.node;

import dev.visage.api.plugin.StorePlugin;
import dev.visage.core.config.NodeConfig;
import dev.visage.core.plugin.PluginLoader;
import dev.visage.users.mongo.EmbeddedMongoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The node's patience with its store, on the real MongoDB plugin and embedded server. */
class StoreWatchTest {

    @TempDir
    Path dir;

    @Test
    void aStoreThatAppearsLateIsWaitedForAndItsOutageAndReturnAreSeen() throws Exception {
        int port = freePort();
        Path file = dir.resolve("store.mv");
        NodeConfig config = new NodeConfig(Map.of("visage.node.id", "watch-test", "visage.data.dir", dir.toString(),
                "visage.mongo.uri", "mongodb://127.0.0.1:" + port, "visage.mongo.timeout.ms", "300")::get);
        StorePlugin store = PluginLoader.find(StorePlugin.class, "mongo", getClass().getClassLoader()).orElseThrow();
        AtomicInteger lastRetry = new AtomicInteger();
        try (StoreWatch watch = new StoreWatch(store, "node=watch-test ")) {
            CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
                try {
                    watch.startPatiently(config, lastRetry::set);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await(() -> lastRetry.get() >= 2);
            assertFalse(started.isDone(), "no store yet: still waiting");

            EmbeddedMongoServer server = EmbeddedMongoServer.start(file, "127.0.0.1", port);
            started.get(60, TimeUnit.SECONDS);
            watch.watch();
            assertTrue(watch.up());

            server.close();
            await(() -> !watch.up());
            try (EmbeddedMongoServer back = EmbeddedMongoServer.start(file, "127.0.0.1", port)) {
                await(watch::up);
                assertEquals(0, store.users().count(), "and the store serves calls again");
            }
        } finally {
            store.close();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A minute means "it never happened". */
    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within a minute");
            }
            Thread.sleep(100);
        }
    }
}
