package dev.visage.web.signalling;

import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.media.MediaEndpoint;
import jakarta.json.JsonObject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client WebSocket on this node and the signalling session it carries. Sending never blocks:
 * frames go through the socket's {@link OutboundQueue}. A client that stops reading until that
 * queue overflows is treated as lost: its session ends as if its socket had closed, and the
 * socket is closed with {@link #OVERFLOW_CLOSE_CODE}.
 */
public final class Connection {

    /** Close code (private use range) for a client that stopped reading its socket. */
    static final CloseReason.CloseCode OVERFLOW_CLOSE_CODE = CloseReason.CloseCodes.getCloseCode(4008);
    static final String OVERFLOW_REASON = "outbound_overflow";

    private static final Logger LOG = Logger.getLogger(Connection.class.getName());

    private final Session socket;
    private final String sessionId;
    private final OutboundQueue outbound;
    private final Consumer<Connection> onLost;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile SessionRecord session;
    private volatile MediaEndpoint media;
    private final long openedMillis = System.currentTimeMillis();
    private volatile long lastHeardMillis = openedMillis;

    /** {@code onLost} ends the session as a lost connection's ends, when the client stops reading. */
    Connection(Session socket, SessionRecord session, SenderPool senders, Consumer<Connection> onLost) {
        this.socket = socket;
        this.sessionId = session.sessionId();
        this.session = session;
        this.onLost = onLost;
        this.outbound = new OutboundQueue(sessionId, senders, (text, written) -> socket.getAsyncRemote()
                .sendText(text, result -> written.accept(result.getException())), this::overflowed);
    }

    /** The client said something (any message, pings included). */
    void heard() {
        lastHeardMillis = System.currentTimeMillis();
    }

    long lastHeardMillis() {
        return lastHeardMillis;
    }

    /** When the socket opened: after its session was recorded in the cluster. */
    long openedMillis() {
        return openedMillis;
    }

    public String sessionId() {
        return sessionId;
    }

    public SessionRecord session() {
        return session;
    }

    void session(SessionRecord updated) {
        this.session = updated;
    }

    /** The room this connection has joined over the socket, or null. */
    public String roomId() {
        return session.roomId();
    }

    MediaEndpoint media() {
        return media;
    }

    void media(MediaEndpoint endpoint) {
        this.media = endpoint;
    }

    /** Ends this connection's media: as a deliberate leave, or as a lost connection (see MediaEndpoint). */
    void endMedia(boolean left) {
        MediaEndpoint endpoint = media;
        media = null;
        if (endpoint == null) {
            return;
        }
        if (left) {
            endpoint.leave();
        } else {
            endpoint.close();
        }
    }

    public void send(JsonObject message) {
        send(message.toString());
    }

    /**
     * Queues one text frame and returns at once; frames go out in the order they were queued.
     * Safe from any thread, under any lock.
     */
    public void send(String json) {
        if (socket.isOpen()) {
            outbound.offer(json);
        }
    }

    /**
     * True for the first caller only: the socket closing, its queue overflowing and the node
     * shutting down may each end the session, and whichever comes first cleans it up, once.
     */
    boolean claimEnd() {
        return ended.compareAndSet(false, true);
    }

    /** On the sender pool: the client stopped reading. */
    private void overflowed() {
        if (claimEnd()) {
            onLost.accept(this);
        }
        closeSocket(new CloseReason(OVERFLOW_CLOSE_CODE, OVERFLOW_REASON));
    }

    /**
     * Closes the socket, now, off the caller's thread: a close frame waits behind a write the
     * client is not reading, and the caller may be a timer other work depends on.
     */
    void close(CloseReason.CloseCode code, String reason) {
        outbound.discardThen(() -> closeSocket(new CloseReason(code, reason)));
    }

    /** Closes the socket once every frame queued so far is written (a goodbye, then the close). */
    void closeWhenSent(CloseReason.CloseCode code, String reason) {
        outbound.thenFinally(() -> closeSocket(new CloseReason(code, reason)));
    }

    private void closeSocket(CloseReason reason) {
        try {
            socket.close(reason);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "session=" + sessionId + " close failed", e);
        }
    }
}
