package dev.visage.web.signalling;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.Participant;
import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.plugin.StoreUnavailableException;
import dev.visage.core.error.ErrorCode;
import dev.visage.api.json.JsonMaps;
import dev.visage.core.json.JsonText;
import dev.visage.core.error.VisageException;
import dev.visage.core.room.RoomEvents;
import dev.visage.core.room.RoomService;
import dev.visage.web.limit.RateLimitedException;
import dev.visage.web.limit.RateLimits;
import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client's signalling socket, {@code /ws?token=<session token>}: one connection is one
 * session. Handles join, leave, chat and ping itself and hands every other message type to the
 * media engine. A bad message gets {@code {type:"error",code,message}}; the socket stays open. So
 * does a message over the connection's rate limits: it is dropped, and the error says
 * {@code rate_limited} with the {@code limit} ({@code socket_messages} or {@code chat}) and
 * {@code retryAfter} (seconds).
 */
@ServerEndpoint("/ws")
public class SignallingEndpoint {

    private static final Logger LOG = Logger.getLogger(SignallingEndpoint.class.getName());
    static final int MAX_MESSAGE_CHARS = 64 * 1024;
    /** Frames up to this size reach us so we can answer "too large" instead of dropping the socket. */
    private static final int FRAME_BUFFER = 1024 * 1024;

    @Inject
    VisageNode node;

    @Inject
    RateLimits limits;

    private Connection connection;
    private RateLimits.ConnectionLimits connectionLimits;

    @OnOpen
    public void open(Session socket) {
        socket.setMaxTextMessageBufferSize(FRAME_BUFFER);
        List<String> tokens = socket.getRequestParameterMap().get("token");
        try {
            SessionRecord session = node.sessions().connect(tokens == null ? null : tokens.get(0));
            connectionLimits = limits.forConnection();
            connection = node.connections().open(socket, session, this::stoppedReading);
            connection.send(JSON.createObjectBuilder().add("type", "hello")
                    .add("sessionId", session.sessionId()).add("nodeId", session.nodeId()).build());
            LOG.info(() -> node.logPrefix() + "session=" + session.sessionId() + " user=" + session.userId()
                    + " connected");
        } catch (VisageException e) {
            rejectOpen(socket, e);
        }
    }

    private static void rejectOpen(Session socket, VisageException e) {
        try {
            socket.getBasicRemote().sendText(error(e.code(), e.getMessage()).toString());
            socket.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, e.code().wire()));
        } catch (Exception closeFailure) {
            LOG.log(Level.FINE, "closing a rejected socket failed", closeFailure);
        }
    }

    @OnMessage
    public void message(String text) {
        if (connection == null) {
            return;
        }
        connection.heard();
        try {
            connectionLimits.checkMessage();
            if (text.length() > MAX_MESSAGE_CHARS) {
                throw new VisageException(ErrorCode.MESSAGE_TOO_LARGE, "messages are limited to 64 KiB");
            }
            JsonObject message = JsonText.object(text, "the message");
            dispatch(typeOf(message), message);
        } catch (RateLimitedException e) {
            connection.send(JSON.createObjectBuilder(error(e.code(), e.getMessage()))
                    .add("limit", e.limit()).add("retryAfter", e.retryAfterSeconds()).build());
        } catch (VisageException e) {
            connection.send(error(e.code(), e.getMessage()));
        } catch (StoreUnavailableException e) {
            VisageException answer = VisageException.storeUnavailable(e);
            connection.send(error(answer.code(), answer.getMessage()));
        } catch (ClusterUnavailableException e) {
            VisageException answer = VisageException.clusterUnavailable(e);
            connection.send(error(answer.code(), answer.getMessage()));
        } catch (IllegalArgumentException e) {
            connection.send(error(ErrorCode.BAD_REQUEST, e.getMessage()));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, node.logPrefix() + "session=" + connection.sessionId() + " room="
                    + connection.roomId() + " message failed", e);
            connection.send(error(ErrorCode.INTERNAL, "the server could not handle this message"));
        }
    }

    private void dispatch(String type, JsonObject message) {
        switch (type) {
            case "join" -> join(message);
            case "leave" -> leave();
            case "chat" -> {
                connectionLimits.checkChat();
                node.rooms().chat(current(), stringField(message, "text"));
            }
            case "ping" -> connection.send(JSON.createObjectBuilder().add("type", "pong").build());
            default -> {
                MediaEndpoint media = connection.media();
                if (media == null || !media.onClientMessage(type, JsonMaps.toMap(message))) {
                    throw new VisageException(ErrorCode.UNKNOWN_TYPE, "unknown message type '" + type + "'");
                }
            }
        }
    }

    /** {@code {type:"join", roomId}} joins in one step; {@code {type:"join", roomToken}} ends the REST join. */
    private void join(JsonObject message) {
        if (message.containsKey("roomId") && !(message.get("roomId") instanceof JsonString)) {
            throw new VisageException(ErrorCode.BAD_REQUEST, "roomId must be a string");
        }
        String roomId = stringField(message, "roomId");
        SessionRecord session = roomId != null
                ? node.rooms().join(connection.sessionId(), roomId)
                : node.rooms().confirmJoin(connection.sessionId(), stringField(message, "roomToken"));
        connection.endMedia(false);
        connection.session(session);
        RoomService rooms = node.rooms();
        JsonArrayBuilder members = JSON.createArrayBuilder();
        rooms.members(session.roomId()).forEach(m -> members.add(RoomEvents.member(m)));
        JsonArrayBuilder history = JSON.createArrayBuilder();
        rooms.history(session.roomId(), RoomService.HISTORY_ON_JOIN).forEach(m -> history.add(RoomEvents.chatFields(m)));
        var room = rooms.get(session.roomId());
        connection.send(JSON.createObjectBuilder()
                .add("type", "joined").add("roomId", room.id()).add("sessionId", session.sessionId())
                .add("room", JSON.createObjectBuilder().add("id", room.id()).add("name", room.name()))
                .add("members", members).add("history", history).build());
        node.media().ifPresent(engine -> connection.media(engine.join(
                new Participant(room.id(), session.sessionId(), session.userId(), session.displayName()),
                out -> connection.send(JsonMaps.toJson(out)))));
        LOG.info(() -> node.logPrefix() + "room=" + room.id() + " session=" + session.sessionId() + " joined");
    }

    private void leave() {
        connection.endMedia(true);
        node.rooms().leave(connection.sessionId(), "left");
        connection.session(connection.session().inRoom(null));
        connection.send(JSON.createObjectBuilder().add("type", "left").build());
    }

    private SessionRecord current() {
        return node.cluster().session(connection.sessionId())
                .orElseThrow(() -> new VisageException(ErrorCode.SESSION_NOT_CONNECTED, "the session has ended"));
    }

    @OnClose
    public void close(Session socket, CloseReason reason) {
        if (connection == null) {
            return;
        }
        if (connection.claimEnd()) {
            lost(connection);
        }
        LOG.info(() -> node.logPrefix() + "session=" + connection.sessionId() + " closed: "
                + reason.getCloseCode().getCode());
    }

    /** On the sender pool: so many frames waited for this client that it must have stopped reading. */
    private void stoppedReading(Connection stuck) {
        LOG.warning(() -> node.logPrefix() + "room=" + stuck.roomId() + " session=" + stuck.sessionId()
                + " stopped reading its socket (outbound queue full): closing it with "
                + Connection.OVERFLOW_CLOSE_CODE.getCode());
        lost(stuck);
    }

    /** The connection is gone without a leave (closed, or its client stopped reading): it may come back. */
    private void lost(Connection lost) {
        node.connections().remove(lost);
        lost.endMedia(false);
        try {
            node.rooms().disconnect(lost.sessionId(), "closed");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, node.logPrefix() + "session=" + lost.sessionId() + " clean-up failed", e);
        }
    }

    @OnError
    public void error(Session socket, Throwable failure) {
        LOG.log(Level.FINE, node.logPrefix() + "socket error on session="
                + (connection == null ? "?" : connection.sessionId()), failure);
    }

    private static String typeOf(JsonObject message) {
        JsonValue type = message.get("type");
        if (!(type instanceof JsonString s)) {
            throw new VisageException(ErrorCode.BAD_REQUEST, "a message needs a string 'type'");
        }
        return s.getString();
    }

    private static String stringField(JsonObject message, String name) {
        JsonValue value = message.get(name);
        return value instanceof JsonString s ? s.getString() : null;
    }

    static JsonObject error(ErrorCode code, String message) {
        return JSON.createObjectBuilder().add("type", "error").add("code", code.wire())
                .add("message", message == null ? code.wire() : message).build();
    }
}
