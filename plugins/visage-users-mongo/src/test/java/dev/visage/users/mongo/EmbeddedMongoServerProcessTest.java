package dev.visage.users.mongo;

import dev.visage.api.plugin.PluginContext;
import dev.visage.api.chat.ChatMessage;
import dev.visage.api.user.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The standalone server as a launcher runs it: its own JVM, stopped with SIGTERM. */
class EmbeddedMongoServerProcessTest {

    private static final Pattern READY =
            Pattern.compile("embedded mongo listening on 127\\.0\\.0\\.1:(\\d+) \\(file (.+)\\)");

    @TempDir
    Path dir;

    @Test
    void announcesItsPortAndKeepsWritesAcrossASigtermRestart() throws Exception {
        Path file = dir.resolve("mongo").resolve("visage.mv");
        User carol;

        Process server = startServer(file);
        int port = awaitReady(server, file);
        try (MongoStorePlugin node = TestContext.startedPlugin(nodeUsing(port))) {
            carol = node.users().create(MongoUserStoreTest.newUser("carol"));
        } finally {
            stopWithSigterm(server);
        }

        Process restarted = startServer(file);
        int restartedPort = awaitReady(restarted, file);
        try (MongoStorePlugin node = TestContext.startedPlugin(nodeUsing(restartedPort))) {
            assertEquals(carol, node.users().findByUsername("carol").orElseThrow());
        } finally {
            stopWithSigterm(restarted);
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesAKill9() throws Exception {
        Path file = dir.resolve("mongo").resolve("visage.mv");
        List<ChatMessage> sent = new ArrayList<>();

        Process server = startServer(file);
        int port = awaitReady(server, file);
        try (MongoStorePlugin node = TestContext.startedPlugin(nodeUsing(port))) {
            for (int i = 0; i < 20; i++) {
                ChatMessage line = new ChatMessage("m" + i, "room", "u1", "Carol", "line " + i,
                        Instant.parse("2025-01-01T10:00:00Z").plusSeconds(i));
                node.chat().append(line);
                sent.add(line);
            }
            // at once, with no chance for a background commit: no shutdown hook runs
            server.destroyForcibly();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }

        Process restarted = startServer(file);
        int restartedPort = awaitReady(restarted, file);
        try (MongoStorePlugin node = TestContext.startedPlugin(nodeUsing(restartedPort))) {
            assertEquals(sent, node.chat().history("room", 100));
        } finally {
            stopWithSigterm(restarted);
        }
    }

    private static Process startServer(Path file) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                EmbeddedMongoServer.class.getName(), "--port", "0", "--file", file.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    /** Reads stdout until the ready line and returns the announced port. */
    private static int awaitReady(Process server, Path file) throws IOException {
        BufferedReader out = new BufferedReader(
                new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        Matcher ready = READY.matcher(String.valueOf(line));
        assertTrue(ready.matches(), "unexpected first line: " + line);
        assertEquals(file.toString(), ready.group(2));
        return Integer.parseInt(ready.group(1));
    }

    private PluginContext nodeUsing(int port) {
        return TestContext.of(dir.resolve("node"),
                Map.of(MongoStorePlugin.URI_SETTING, "mongodb://127.0.0.1:" + port));
    }

    private static void stopWithSigterm(Process server) throws InterruptedException {
        server.destroy();
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server did not stop on SIGTERM");
    }
}
