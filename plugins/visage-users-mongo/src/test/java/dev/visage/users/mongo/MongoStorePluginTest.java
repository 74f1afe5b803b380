package dev.visage.users.mongo;

import dev.visage.api.chat.ChatMessage;
import dev.visage.api.plugin.StorePlugin;
import dev.visage.api.room.Room;
import dev.visage.api.user.DuplicateUsernameException;
import dev.visage.api.user.User;
import org.junit.jupiter.api.Test;
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
        TestContext context = new TestContext(dataDir);
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
            TestContext context = new TestContext(dataDir, Map.of(
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
        TestContext context = new TestContext(dataDir,
                Map.of(MongoStorePlugin.URI_SETTING, server.connectionString()));
        try (MongoStorePlugin plugin = TestContext.startedPlugin(context)) {
            assertTrue(plugin.healthy());
            server.close();
            assertFalse(plugin.healthy());
        }
    }
}
