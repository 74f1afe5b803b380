package dev.visage.users.mongo;

import dev.visage.api.chat.ChatMessage;
import dev.visage.api.plugin.StorePlugin;
import dev.visage.api.plugin.StoreUnavailableException;
import dev.visage.api.room.Room;
import dev.visage.api.user.DuplicateUsernameException;
import dev.visage.api.user.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MongoStorePluginTest {

    private static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");

    @TempDir
    Path dataDir;

    @Test
    void isFoundByServiceLoaderUnderTheNameMongo() {
        List<String> names = ServiceLoader.load(StorePlugin.class).stream()
                .map(provider -> provider.get().name()).toList();

        assertEquals(List.of("mongo"), names);
    }

    @Test
    void usersRoomsAndChatSurviveCloseAndReopenOnTheSameFile() throws Exception {
        var context = TestContext.of(dataDir);
        User alice;
        Room room = new Room("green-owl", "Retro", "owner", T0);
        ChatMessage hello = new ChatMessage("m1", "green-owl", "u1", "Alice", "hello", T0);
        try (MongoStorePlugin plugin = TestContext.startedPlugin(context)) {
            alice = plugin.users().create(MongoUserStoreTest.newUser("alice"));
            plugin.rooms().create(room);
            plugin.chat().append(hello);
        }
        assertTrue(Files.isRegularFile(dataDir.resolve("mongo").resolve("visage.mv")));

        try (MongoStorePlugin plugin = TestContext.startedPlugin(context)) {
            assertEquals(alice, plugin.users().findByUsername("alice").orElseThrow());
            assertEquals(room, plugin.rooms().find("green-owl").orElseThrow());
            assertEquals(List.of(hello), plugin.chat().history("green-owl", 10));
            // The unique index survives too, not just the documents.
            assertThrows(DuplicateUsernameException.class,
                    () -> plugin.users().create(MongoUserStoreTest.newUser("alice")));
        }
    }

    @Test
    void connectsThroughTheConfiguredUriInsteadOfEmbedding(@TempDir Path serverDir)
            throws Exception {
        try (EmbeddedMongoServer server =
                     EmbeddedMongoServer.start(serverDir.resolve("shared.mv"), "127.0.0.1", 0)) {
            var context = TestContext.of(dataDir, Map.of(
                    MongoStorePlugin.URI_SETTING, server.connectionString(),
                    MongoStorePlugin.DATABASE_SETTING, "visage_uri_test"));

            User bob;
            try (MongoStorePlugin first = TestContext.startedPlugin(context)) {
                assertTrue(first.healthy());
                bob = first.users().create(MongoUserStoreTest.newUser("bob"));
            }
            // A second node on the same URI sees the first node's data.
            try (MongoStorePlugin second = TestContext.startedPlugin(context)) {
                assertEquals(bob, second.users().findById(bob.id()).orElseThrow());
            }
            assertFalse(Files.exists(dataDir.resolve("mongo")), "embedded store despite a URI");
        }
    }

    @Test
    void isUnhealthyOnceTheDatabaseStopsAnswering(@TempDir Path serverDir) throws Exception {
        EmbeddedMongoServer server =
                EmbeddedMongoServer.start(serverDir.resolve("gone.mv"), "127.0.0.1", 0);
        var context = TestContext.of(dataDir,
                Map.of(MongoStorePlugin.URI_SETTING, server.connectionString()));
        try (MongoStorePlugin plugin = TestContext.startedPlugin(context)) {
            assertTrue(plugin.healthy());
            server.close();
            assertFalse(plugin.healthy());
        }
    }

    @Test
    void callsOnAStoppedDatabaseFailPromptlyAsUnavailableAndWorkAgainWhenItReturns(@TempDir Path serverDir)
            throws Exception {
        Path file = serverDir.resolve("outage.mv");
        EmbeddedMongoServer server = EmbeddedMongoServer.start(file, "127.0.0.1", 0);
        int port = server.port();
        var context = TestContext.of(dataDir,
                Map.of(MongoStorePlugin.URI_SETTING, server.connectionString()));
        try (MongoStorePlugin plugin = TestContext.startedPlugin(context)) {
            User dora = plugin.users().create(MongoUserStoreTest.newUser("dora"));
            server.close();

            long began = System.nanoTime();
            for (Executable call : List.<Executable>of(
                    () -> plugin.users().findByUsername("dora"),
                    () -> plugin.users().create(MongoUserStoreTest.newUser("eve")),
                    () -> plugin.rooms().find("green-owl"),
                    () -> plugin.chat().append(new ChatMessage("m2", "green-owl", "u1", "Dora", "hi", T0)))) {
                assertThrows(StoreUnavailableException.class, call);
            }
            long seconds = (System.nanoTime() - began) / 1_000_000_000;
            // the driver's default would be 30 s per call; the configured 2 s makes it 8 s at most
            assertTrue(seconds < 60, "four calls on a down database took " + seconds + " s");

            try (EmbeddedMongoServer back = EmbeddedMongoServer.start(file, "127.0.0.1", port)) {
                assertEquals(dora, plugin.users().findByUsername("dora").orElseThrow());
                assertTrue(plugin.healthy());
            }
        }
    }

    @Test
    void startingWhileTheDatabaseIsDownThrowsStoreUnavailable(@TempDir Path serverDir) throws Exception {
        EmbeddedMongoServer server = EmbeddedMongoServer.start(serverDir.resolve("never.mv"), "127.0.0.1", 0);
        String uri = server.connectionString();
        server.close();
        var context = TestContext.of(dataDir, Map.of(MongoStorePlugin.URI_SETTING, uri,
                MongoStorePlugin.TIMEOUT_SETTING, "500"));

        StoreUnavailableException refused = assertThrows(StoreUnavailableException.class,
                () -> TestContext.startedPlugin(context));
        assertTrue(refused.getMessage().contains("127.0.0.1:" + uri.substring(uri.lastIndexOf(':') + 1)),
                refused.getMessage());
    }
}
