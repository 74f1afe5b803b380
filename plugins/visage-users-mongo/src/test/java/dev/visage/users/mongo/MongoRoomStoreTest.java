package dev.visage.users.mongo;

import dev.visage.api.room.Room;
import dev.visage.api.room.RoomStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MongoRoomStoreTest {

    private static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");

    @TempDir
    Path dataDir;

    private MongoStorePlugin plugin;
    private RoomStore rooms;

    @BeforeEach
    void startPlugin() throws Exception {
        plugin = TestContext.startedPlugin(TestContext.of(dataDir));
        rooms = plugin.rooms();
    }

    @AfterEach
    void closePlugin() {
        plugin.close();
    }

    @Test
    void creatingARoomWithATakenIdReturnsFalseAndKeepsTheFirst() {
        Room first = new Room("blue-fox", "Standup", "owner-1", T0);

        assertTrue(rooms.create(first));
        assertFalse(rooms.create(new Room("blue-fox", "Hijack", "owner-2", T0.plusSeconds(1))));
        assertEquals(first, rooms.find("blue-fox").orElseThrow());
    }

    /**
     * A room's URL name is its id: two nodes (two plugins with their own clients on one shared
     * server, as a cluster runs them) creating one name at once must not both get it.
     */
    @Test
    void ofTwoNodesCreatingOneRoomIdAtOnceExactlyOneSucceeds() throws Exception {
        try (EmbeddedMongoServer shared = EmbeddedMongoServer.start(dataDir.resolve("shared.mv"), "127.0.0.1", 0)) {
            Map<String, String> settings = Map.of(MongoStorePlugin.URI_SETTING, shared.connectionString());
            MongoStorePlugin nodeA = TestContext.startedPlugin(TestContext.of(dataDir.resolve("a"), settings));
            MongoStorePlugin nodeB = TestContext.startedPlugin(TestContext.of(dataDir.resolve("b"), settings));
            int attempts = 16;
            CountDownLatch startTogether = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(attempts);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < attempts; i++) {
                    RoomStore store = (i % 2 == 0 ? nodeA : nodeB).rooms();
                    Room room = new Room("weekly-sync", "attempt " + i, "owner-" + i, T0);
                    results.add(pool.submit(() -> {
                        startTogether.await();
                        return store.create(room);
                    }));
                }
                startTogether.countDown();
                List<Boolean> created = new ArrayList<>();
                for (Future<Boolean> result : results) {
                    created.add(result.get(60, TimeUnit.SECONDS));
                }

                assertEquals(1, created.stream().filter(Boolean::booleanValue).count(), "created: " + created);
                int winner = created.indexOf(true);
                assertEquals("owner-" + winner, nodeB.rooms().find("weekly-sync").orElseThrow().ownerId());
                assertEquals("owner-" + winner, nodeA.rooms().find("weekly-sync").orElseThrow().ownerId());
            } finally {
                pool.shutdownNow();
                nodeA.close();
                nodeB.close();
            }
        }
    }

    @Test
    void aVisitIsRememberedPerRoomAndUserAndRecordingItAgainChangesNothing() {
        rooms.recordVisit("blue-fox", "user-1");
        rooms.recordVisit("blue-fox", "user-1");

        assertTrue(rooms.visited("blue-fox", "user-1"));
        assertFalse(rooms.visited("blue-fox", "user-2"));
        assertFalse(rooms.visited("red-owl", "user-1"));
    }

    @Test
    void unknownRoomIsNotFound() {
        assertTrue(rooms.find("nope").isEmpty());
    }

    @Test
    void recentListsTheNewestRoomsFirst() {
        for (int i = 0; i < 5; i++) {
            rooms.create(new Room("room-" + i, "Room " + i, "owner", T0.plusSeconds(i)));
        }

        List<String> ids = rooms.recent(3).stream().map(Room::id).toList();

        assertEquals(List.of("room-4", "room-3", "room-2"), ids);
        assertTrue(rooms.recent(0).isEmpty());
    }
}
