package dev.visage.web.signalling;

import dev.visage.api.cluster.SessionRecord;
import jakarta.websocket.CloseReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertFalse;

class LocalConnectionsTest {

    private final SenderPool senders = SenderPool.start(20, 1_000_000);
    private final LocalConnections connections = new LocalConnections(senders);
    private final List<FakeSocket> sockets = new ArrayList<>();
    private final List<Connection> lost = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        sockets.forEach(FakeSocket::readAgain);
        senders.stop(Duration.ofSeconds(5));
    }

    private Connection open(FakeSocket socket, String sessionId, String roomId) {
        sockets.add(socket);
        Connection connection = connections.open(socket.session, record(sessionId), lost::add);
        connection.session(connection.session().inRoom(roomId));
        return connection;
    }

    @Test
    void onlyClientsSilentLongerThanTheLimitAreClosed() throws InterruptedException {
        FakeSocket quietSocket = FakeSocket.reading();
        FakeSocket chattySocket = FakeSocket.reading();
        Connection quiet = open(quietSocket, "quiet", null);
        Connection chatty = open(chattySocket, "chatty", null);

        connections.closeSilent(quiet.lastHeardMillis() + 60_000, 60_000);
        Thread.sleep(50);
        chatty.heard(); // at least 50 ms after quiet last said anything
        connections.closeSilent(quiet.lastHeardMillis() + 60_010, 60_000);
        CloseReason closed = quietSocket.awaitClose();
        assertEquals(CloseReason.CloseCodes.GOING_AWAY, closed.getCloseCode(), "silent for over 60 s: closed");
        assertEquals("idle", closed.getReasonPhrase());
        assertEquals(1, quietSocket.closes.size(), "silent for exactly the limit: not closed then");
        assertEquals(0, chattySocket.closes.size(), "heard within the last 60 s: kept");
    }

    @Test
    void roomEventsReachTheOthersWhileOneMemberStopsReadingUntilItIsClosedAsLost() throws Exception {
        FakeSocket stuckSocket = FakeSocket.notReading();
        FakeSocket fineSocket = FakeSocket.reading();
        Connection stuck = open(stuckSocket, "stuck", "room-1");
        open(fineSocket, "fine", "room-1");
        open(FakeSocket.reading(), "elsewhere", "room-2");

        connections.deliver("room-1", "{\"type\":\"chat\",\"n\":0}");
        stuckSocket.awaitFirstWrite();
        assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
            for (int n = 1; n <= 50; n++) {
                connections.deliver("room-1", "{\"type\":\"chat\",\"n\":" + n + "}");
                assertEquals("{\"type\":\"chat\",\"n\":" + (n - 1) + "}", fineSocket.nextWritten(),
                        "the reading member gets every event, in order");
            }
        }, "delivering never waits for a client that is not reading");
        CloseReason closed = stuckSocket.awaitClose();
        assertEquals(4008, closed.getCloseCode().getCode());
        assertEquals("outbound_overflow", closed.getReasonPhrase());
        assertEquals(List.of(stuck), lost, "its session ended as a lost connection's, once");
        assertFalse(stuck.claimEnd(), "the container's close that follows finds it ended");
        assertEquals(1, connections.outboundOverflows());
        assertEquals(0, sockets.get(2).written.size(), "another room hears nothing");
    }

    @Test
    void atShutdownEachClientHearsNodeShutdownBeforeItsSocketClosesAndItsSessionIsReleasedOnce() throws Exception {
        FakeSocket socket = FakeSocket.reading();
        Connection connection = open(socket, "leaving", "room-1");
        List<String> released = new CopyOnWriteArrayList<>();
        connections.shutdownAll(released::add);
        assertEquals("{\"type\":\"node-shutdown\"}", socket.nextWritten());
        CloseReason closed = socket.awaitClose();
        assertEquals(CloseReason.CloseCodes.GOING_AWAY, closed.getCloseCode());
        assertEquals("node-shutdown", closed.getReasonPhrase());
        assertEquals(List.of("leaving"), released);
        assertFalse(connection.claimEnd(), "the container's close that follows finds it ended");
        assertEquals(List.of(), lost);
        assertEquals(0, connections.size());
    }

    @Test
    void sendingOffOneRoomTellsOnlyItsMembersAndKeepsTheOthers() throws Exception {
        FakeSocket inRoom = FakeSocket.reading();
        FakeSocket elsewhere = FakeSocket.reading();
        Connection closing = open(inRoom, "member", "room-1");
        open(elsewhere, "other", "room-2");
        List<String> released = new CopyOnWriteArrayList<>();
        List<String> ended = connections.sendOff(c -> "room-1".equals(c.roomId()), "{\"type\":\"room-closed\"}",
                "room-closed", true, released::add);
        assertEquals(List.of("member"), ended);
        assertEquals("{\"type\":\"room-closed\"}", inRoom.nextWritten());
        assertEquals("room-closed", inRoom.awaitClose().getReasonPhrase());
        assertEquals(List.of("member"), released);
        assertFalse(closing.claimEnd(), "the container's close that follows finds it ended");
        assertEquals(1, connections.size(), "the member of the other room stays");
        assertEquals(0, elsewhere.closes.size());
    }

    private static SessionRecord record(String sessionId) {
        return new SessionRecord(sessionId, "user-" + sessionId, "User", "node-a", null, 0);
    }
}
