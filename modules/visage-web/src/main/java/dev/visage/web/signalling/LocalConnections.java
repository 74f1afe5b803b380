package dev.visage.web.signalling;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.api.cluster.SessionRecord;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** The WebSocket connections this node holds, and delivery of room events to them. */
public final class LocalConnections {

    /** How long queued goodbyes may take to go out when the node stops. */
    private static final Duration GOODBYE_GRACE = Duration.ofSeconds(2);

    private final Map<String, Connection> bySession = new ConcurrentHashMap<>();
    private final SenderPool senders;

    public LocalConnections(SenderPool senders) {
        this.senders = senders;
    }

    /** Registers a new client socket; {@code onLost} ends its session if the client stops reading. */
    Connection open(Session socket, SessionRecord session, Consumer<Connection> onLost) {
        Connection connection = new Connection(socket, session, senders, onLost);
        bySession.put(connection.sessionId(), connection);
        return connection;
    }

    void remove(Connection connection) {
        bySession.remove(connection.sessionId(), connection);
    }

    public int size() {
        return bySession.size();
    }

    public boolean holds(String sessionId) {
        return bySession.containsKey(sessionId);
    }

    /**
     * Closes the sockets whose sessions the cluster no longer has: the others removed them while
     * they thought this node dead (a pause longer than the heartbeat timeout, a network split).
     * Their clients reconnect and join again with new sessions, as after any lost connection; the
     * SFU keeps their streams for the others meanwhile. {@code listedAtMillis} is when the
     * listing of {@code clusterSessions} began: a socket opened later is not in it.
     *
     * @return how many sockets were closed
     */
    public int closeLost(Set<String> clusterSessions, long listedAtMillis) {
        int closed = 0;
        for (Connection connection : bySession.values()) {
            if (connection.openedMillis() < listedAtMillis && !clusterSessions.contains(connection.sessionId())
                    && bySession.remove(connection.sessionId(), connection)) {
                connection.endMedia(false);
                connection.close(CloseReason.CloseCodes.GOING_AWAY, "session-lost");
                closed++;
            }
        }
        return closed;
    }

    /** Clients closed since start because they stopped reading their socket. */
    public long outboundOverflows() {
        return senders.overflows();
    }

    /** A room event from any node: sent to this node's connections in that room. */
    public void deliver(String roomId, String eventJson) {
        for (Connection connection : bySession.values()) {
            if (roomId.equals(connection.roomId())) {
                connection.send(eventJson);
            }
        }
    }

    /**
     * Closes the sockets whose clients have said nothing for longer than {@code silenceMillis}
     * (the web client pings every 5 s). Done here rather than with Tyrus's per-session idle timeout:
     * that timer, set from onOpen, closed about one socket in 1000 tens of milliseconds after it
     * opened ("closed by the container because of the idle timeout"), before its hello.
     */
    public void closeSilent(long nowMillis, long silenceMillis) {
        for (Connection connection : bySession.values()) {
            if (nowMillis - connection.lastHeardMillis() > silenceMillis) {
                connection.close(CloseReason.CloseCodes.GOING_AWAY, "idle");
            }
        }
    }

    /** Node shutdown: tell every client to move, release its session, close its socket once told. */
    public void shutdownAll(Consumer<String> releaseSession) {
        String notice = JSON.createObjectBuilder().add("type", "node-shutdown").build().toString();
        sendOff(connection -> true, notice, "node-shutdown", false, releaseSession);
        senders.stop(GOODBYE_GRACE);
    }

    /**
     * Ends the sessions of the matching connections from the server's side: each client gets
     * {@code notice}, its session is released, and its socket closes once the notice is written.
     * {@code finalEnd} ends its streams for everyone at once (removed by an operator, room closed);
     * otherwise the media engine keeps them a while for the client to continue elsewhere (the node
     * stops or drains).
     *
     * @return the ids of the sessions ended
     */
    public List<String> sendOff(Predicate<Connection> which, String notice, String closeReason,
                               boolean finalEnd, Consumer<String> releaseSession) {
        List<String> ended = new ArrayList<>();
        for (Connection connection : bySession.values()) {
            if (which.test(connection) && bySession.remove(connection.sessionId(), connection)
                    && connection.claimEnd()) { // before the close, whose @OnClose would end it as merely "closed"
                connection.send(notice);
                connection.closeWhenSent(CloseReason.CloseCodes.GOING_AWAY, closeReason);
                connection.endMedia(finalEnd);
                releaseSession.accept(connection.sessionId());
                ended.add(connection.sessionId());
            }
        }
        return ended;
    }
}
