package dev.visage.web.signalling;

import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.media.MediaEndpoint;
import jakarta.json.JsonObject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One client WebSocket on this node and the signalling session it carries. */
public final class Connection {

    private static final Logger LOG = Logger.getLogger(Connection.class.getName());

    private final Session socket;
    private final String sessionId;
    private volatile SessionRecord session;
    private volatile MediaEndpoint media;
    private final long openedMillis = System.currentTimeMillis();
    private volatile long lastHeardMillis = openedMillis;

    Connection(Session socket, SessionRecord session) {
        this.socket = socket;
        this.sessionId = session.sessionId();
        this.session = session;
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

    /** Sends one text frame; frames from several threads are serialised per socket. */
    public void send(String json) {
        if (!socket.isOpen()) {
            return;
        }
        try {
            synchronized (socket) {
                socket.getBasicRemote().sendText(json);
            }
        } catch (IOException | IllegalStateException e) {
            LOG.log(Level.FINE, "session=" + sessionId + " send failed", e);
        }
    }

    void close(CloseReason.CloseCode code, String reason) {
        try {
            socket.close(new CloseReason(code, reason));
        } catch (IOException e) {
            LOG.log(Level.FINE, "session=" + sessionId + " close failed", e);
        }
    }
}
