package dev.visage.users.mongo;

import dev.visage.api.chat.ChatMessage;
import dev.visage.api.chat.ChatStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MongoChatStoreTest {

    private static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");

    @TempDir
    Path dataDir;

    private MongoStorePlugin plugin;
    private ChatStore chat;

    @BeforeEach
    void startPlugin() throws Exception {
        plugin = TestContext.startedPlugin(TestContext.of(dataDir));
        chat = plugin.chat();
    }

    @AfterEach
    void closePlugin() {
        plugin.close();
    }

    static ChatMessage line(String roomId, int n, Instant sentAt) {
        return new ChatMessage("m" + n, roomId, "u1", "Alice", "line " + n, sentAt);
    }

    private static List<String> texts(List<ChatMessage> messages) {
        return messages.stream().map(ChatMessage::text).toList();
    }

    @Test
    void historyReturnsTheNewestMessagesOldestFirst() {
        // Appended out of order: the order comes from sentAt, not from arrival.
        for (int n : new int[] {3, 1, 5, 2, 4}) {
            chat.append(line("room", n, T0.plusSeconds(n)));
        }

        assertEquals(List.of("line 3", "line 4", "line 5"), texts(chat.history("room", 3)));
        assertEquals(List.of("line 1", "line 2", "line 3", "line 4", "line 5"),
                texts(chat.history("room", 50)));
    }

    @Test
    void historyRoundTripsEveryField() {
        ChatMessage message = line("room", 1, T0);
        chat.append(message);

        assertEquals(List.of(message), chat.history("room", 10));
    }

    @Test
    void messagesSentInTheSameMillisecondKeepTheirOrder() {
        for (int n = 1; n <= 4; n++) {
            chat.append(line("room", n, T0));
        }

        assertEquals(List.of("line 3", "line 4"), texts(chat.history("room", 2)));
    }

    @Test
    void historyHoldsOnlyTheRoomsOwnMessages() {
        chat.append(line("a", 1, T0));
        chat.append(line("b", 2, T0.plusSeconds(1)));

        assertEquals(List.of("line 1"), texts(chat.history("a", 10)));
        assertTrue(chat.history("empty", 10).isEmpty());
        assertTrue(chat.history("a", 0).isEmpty());
    }
}
