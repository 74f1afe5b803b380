package dev.visage.core.cluster;

import dev.visage.core.cluster.ClusterSeal.Channel;
import dev.visage.core.cluster.ClusterSeal.Opened;
import dev.visage.core.cluster.ClusterSeal.Rejection;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterSealTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("the secret of this test's cluster, 32+ characters");
    private static final ClusterSecret OTHER = ClusterSecret.of("the secret of some other cluster, 32+ characters");

    private final MutableClock clock = new MutableClock();
    private final ClusterSeal nodeA = seal(SECRET, "node-a");
    private final ClusterSeal nodeB = seal(SECRET, "node-b");

    private ClusterSeal seal(ClusterSecret secret, String nodeId) {
        return new ClusterSeal(secret.derive(ClusterSecret.MESSAGE_KEY), nodeId, clock);
    }

    @Test
    void aMessageSealedByAMemberOpensOnAnotherWithItsSender() {
        String sealed = nodeA.seal(Channel.ROOM_EVENT, "room-1", "{\"type\":\"chat\"}");
        assertEquals(Optional.of(new Opened("node-a", "{\"type\":\"chat\"}")), nodeB.open(Channel.ROOM_EVENT, "room-1", sealed));
        String again = nodeA.seal(Channel.ROOM_EVENT, "room-1", "{\"type\":\"chat\"}");
        assertTrue(nodeB.open(Channel.ROOM_EVENT, "room-1", again).isPresent(), "the same event twice is two messages");
        for (Rejection reason : Rejection.values()) {
            assertEquals(0, nodeB.rejected(reason));
        }
    }

    @Test
    void aNodeWithAnotherSecretIsNotHeard() {
        String sealed = seal(OTHER, "node-x").seal(Channel.ROOM_EVENT, "room-1", "{\"type\":\"chat\"}");
        assertTrue(nodeB.open(Channel.ROOM_EVENT, "room-1", sealed).isEmpty());
        assertEquals(1, nodeB.rejected(Rejection.BAD_MAC));
    }

    @Test
    void aBadMacOrAChangedMessageIsDroppedAndCounted() {
        String sealed = nodeA.seal(Channel.NODE_COMMAND, "node-b", "{\"type\":\"drain\"}");
        String[] parts = sealed.split(" ", 5);
        String badMac = parts[0] + " " + parts[1] + " " + parts[2] + " " + "A".repeat(parts[3].length()) + " " + parts[4];
        assertTrue(nodeB.open(Channel.NODE_COMMAND, "node-b", badMac).isEmpty());
        String changed = sealed.replace("drain", "close");
        assertTrue(nodeB.open(Channel.NODE_COMMAND, "node-b", changed).isEmpty());
        String otherSender = sealed.replace(" node-a\n", " node-b\n");
        assertTrue(nodeB.open(Channel.NODE_COMMAND, "node-b", otherSender).isEmpty());
        assertTrue(nodeB.open(Channel.NODE_COMMAND, "node-c", sealed).isEmpty(), "sent to another node");
        assertTrue(nodeB.open(Channel.ROOM_EVENT, "node-b", sealed).isEmpty(), "on another channel");
        assertEquals(5, nodeB.rejected(Rejection.BAD_MAC));
        assertTrue(nodeB.open(Channel.NODE_COMMAND, "node-b", sealed).isPresent(), "the original still opens");
    }

    @Test
    void whatHasNoSealIsDroppedAndCounted() {
        for (String unsealed : new String[]{"{\"type\":\"chat\",\"text\":\"forged\"}", "", null, "VS1 1 2 3",
                "VS1 x 2 AAAA node-a\n{}", "VS1 1 2 !!!! node-a\n{}", "VS1 1 2 AAAA \n{}"}) {
            assertTrue(nodeB.open(Channel.ROOM_EVENT, "room-1", unsealed).isEmpty(), String.valueOf(unsealed));
        }
        assertEquals(7, nodeB.rejected(Rejection.UNSEALED));
    }

    @Test
    void aCapturedMessageCannotBeReplayedLaterNorTwice() {
        String sealed = nodeA.seal(Channel.RELAY, "node-b", "{\"type\":\"relay-offer\"}");
        assertTrue(nodeB.open(Channel.RELAY, "node-b", sealed).isPresent());
        assertTrue(nodeB.open(Channel.RELAY, "node-b", sealed).isEmpty(), "replayed at once");
        assertEquals(1, nodeB.rejected(Rejection.REPLAYED));

        String later = nodeA.seal(Channel.RELAY, "node-b", "{\"type\":\"relay-offer\"}");
        clock.advance(ClusterSeal.WINDOW.plusSeconds(1));
        assertTrue(nodeB.open(Channel.RELAY, "node-b", later).isEmpty(), "too old");
        String future = nodeA.seal(Channel.RELAY, "node-b", "{}");
        clock.advance(ClusterSeal.WINDOW.plusSeconds(1).negated().multipliedBy(2));
        assertTrue(nodeB.open(Channel.RELAY, "node-b", future).isEmpty(), "from a clock far ahead");
        assertEquals(2, nodeB.rejected(Rejection.STALE));
    }

    @Test
    void theFirstDropIsLoggedWithTheNodeIdThenAtMostOneLinePerInterval() {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(ClusterSeal.class.getName());
        logger.addHandler(handler);
        try {
            nodeB.open(Channel.ROOM_EVENT, "room-1", "{\"type\":\"chat\"}");
            assertEquals(1, records.size());
            assertEquals(Level.WARNING, records.get(0).getLevel());
            assertTrue(records.get(0).getMessage().startsWith("node=node-b dropped a cluster message (unsealed)"),
                    records.get(0).getMessage());
            for (int i = 0; i < 100; i++) {
                nodeB.open(Channel.ROOM_EVENT, "room-1", "{}");
            }
            assertEquals(1, records.size(), "a flood is one line per interval");
            clock.advance(DropReport.EVERY);
            nodeB.open(Channel.ROOM_EVENT, "room-1", "{}");
            assertEquals(2, records.size());
            assertTrue(records.get(1).getMessage().contains("; 101 dropped since the last report"), records.get(1).getMessage());
        } finally {
            logger.removeHandler(handler);
        }
    }
}
