package dev.visage.core.room;

import dev.visage.api.chat.ChatMessage;
import dev.visage.api.chat.ChatStore;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.RoomLocks;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.room.Room;
import dev.visage.api.room.RoomStore;
import dev.visage.api.user.User;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.core.id.RandomIds;
import dev.visage.core.token.TokenClaims;
import dev.visage.core.token.TokenKind;
import dev.visage.core.token.TokenService;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Rooms and their live membership. Membership changes run under the cluster-wide room lock, so
 * concurrent joins and leaves on any nodes never lose an update.
 */
public final class RoomService {

    private static final Logger LOG = Logger.getLogger(RoomService.class.getName());
    private static final Duration LOCK_LEASE = Duration.ofSeconds(10);
    private static final int MAX_ROOM_NAME = 100;
    public static final int MAX_CHAT_TEXT = 4000;
    public static final int HISTORY_ON_JOIN = 100;
    private static final int CACHE_BOUND = 100_000;

    private final RoomStore rooms;
    private final ChatStore chat;
    private final ClusterState cluster;
    private final RoomLocks locks;
    private final TokenService tokens;
    private final Duration roomTokenTtl;
    private final Clock clock;
    /**
     * Rooms never change once stored, so a join reads each from the store once per node; the
     * visits already written are not written again (each join used to cost two store calls).
     */
    private final Map<String, Room> roomsSeen = new ConcurrentHashMap<>();
    private final Map<String, Boolean> visitsRecorded = new ConcurrentHashMap<>();

    public RoomService(RoomStore rooms, ChatStore chat, ClusterState cluster, RoomLocks locks,
                       TokenService tokens, Duration roomTokenTtl, Clock clock) {
        this.rooms = rooms;
        this.chat = chat;
        this.cluster = cluster;
        this.locks = locks;
        this.tokens = tokens;
        this.roomTokenTtl = roomTokenTtl;
        this.clock = clock;
    }

    /**
     * A new room named {@code name} (its display name, optional). Its id is {@code urlName} when
     * one is given (see {@link RoomUrlName}; {@code room_taken} with a free variant when another
     * room has it), a random id otherwise.
     */
    public Room create(User owner, String name, String urlName) {
        String displayName = name == null ? "" : name.strip();
        if (displayName.length() > MAX_ROOM_NAME || displayName.chars().anyMatch(Character::isISOControl)) {
            throw new VisageException(ErrorCode.INVALID_ROOM_NAME,
                    "room name must be at most " + MAX_ROOM_NAME + " printable characters");
        }
        if (urlName == null || urlName.isBlank()) {
            while (true) {
                Room room = new Room(RandomIds.roomId(), displayName, owner.id(), clock.instant());
                if (rooms.create(room)) {
                    return room;
                }
            }
        }
        Room room = new Room(RoomUrlName.checked(urlName), displayName, owner.id(), clock.instant());
        // the store's unique id is the arbiter: of two nodes creating one name at once, one wins
        if (!rooms.create(room)) {
            LOG.info(() -> "room=" + room.id() + " user=" + owner.id() + " URL name taken");
            throw new RoomTakenException(room.id(), freeVariant(room.id()));
        }
        LOG.info(() -> "room=" + room.id() + " user=" + owner.id() + " created with a picked URL name");
        return room;
    }

    private String freeVariant(String taken) {
        return RoomUrlName.variants(taken).stream().filter(v -> rooms.find(v).isEmpty()).findFirst().orElse(null);
    }

    /** The room {@code roomId} names; its {@link Room#id()} is the id to use from then on (see {@link #find}). */
    public Room get(String roomId) {
        return find(roomId).orElseThrow(() -> new VisageException(ErrorCode.ROOM_NOT_FOUND, "no such room"));
    }

    /**
     * The room with this id, else the one whose URL name it is typed with capitals
     * ({@code Weekly-Sync}: {@code weekly-sync}): an id as typed wins, so a random id never stands
     * for another room.
     */
    public Optional<Room> find(String roomId) {
        if (roomId == null || roomId.length() > 64) {
            return Optional.empty();
        }
        return findExactly(roomId).or(() -> RoomUrlName.folded(roomId).flatMap(this::findExactly));
    }

    private Optional<Room> findExactly(String roomId) {
        Room known = roomsSeen.get(roomId);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<Room> stored = rooms.find(roomId);
        stored.ifPresent(room -> remember(roomsSeen, roomId, room));
        return stored;
    }

    /** Both caches only save store calls: when one grows past its bound it starts over. */
    private static <V> void remember(Map<String, V> cache, String key, V value) {
        if (cache.size() >= CACHE_BOUND) {
            cache.clear();
        }
        cache.put(key, value);
    }

    /**
     * Steps 4-6 of the two-step flow: the session asks to join over REST; membership is written
     * under the room lock and a room token bound to user, session and room is returned.
     */
    public String requestJoin(SessionRecord session, String requestedRoomId) {
        String roomId = enter(session, requestedRoomId);
        return tokens.issue(TokenClaims.room(session.userId(), session.displayName(), session.sessionId(), roomId,
                tokens.nowSeconds() + roomTokenTtl.toSeconds()));
    }

    /** Step 7 of the two-step flow: the WebSocket presents the room token; the member is announced to the room. */
    public SessionRecord confirmJoin(String sessionId, String roomToken) {
        TokenClaims claims = tokens.verify(roomToken, TokenKind.ROOM);
        if (!sessionId.equals(claims.sessionId())) {
            throw new VisageException(ErrorCode.TOKEN_MISMATCH, "the room token belongs to another session");
        }
        SessionRecord session = cluster.session(sessionId)
                .filter(s -> claims.roomId().equals(s.roomId()))
                .orElseThrow(() -> new VisageException(ErrorCode.NOT_IN_ROOM,
                        "the session is not a member of this room; join again"));
        return announce(session);
    }

    /**
     * The one-step join over a socket the session already holds ({@code {type:"join", roomId}}):
     * the socket is the proof a room token would give, so the REST round trip and the token are
     * skipped; what is written and announced is the same as the two-step flow's.
     */
    public SessionRecord join(String sessionId, String requestedRoomId) {
        SessionRecord session = cluster.session(sessionId).orElseThrow(RoomService::notConnected);
        return announce(session.inRoom(enter(session, requestedRoomId)));
    }

    /** Writes the membership under the room lock; returns the room's id (as stored, see {@link #find}). */
    private String enter(SessionRecord session, String requestedRoomId) {
        String roomId = get(requestedRoomId).id();
        String visit = roomId + '/' + session.userId();
        if (!visitsRecorded.containsKey(visit)) {
            rooms.recordVisit(roomId, session.userId());
            remember(visitsRecorded, visit, Boolean.TRUE);
        }
        if (session.roomId() != null && !session.roomId().equals(roomId)) {
            leave(session.sessionId(), "moved");
        }
        locks.withRoomLock(roomId, LOCK_LEASE, () -> {
            // the socket may have closed since the caller read the session: replace (never put)
            // so an ended session is not revived; the room is the record's only changing field
            if (!cluster.replaceSession(session.inRoom(roomId))) {
                throw notConnected();
            }
            List<String> members = new ArrayList<>(cluster.members(roomId));
            if (!members.contains(session.sessionId())) {
                members.add(session.sessionId());
                cluster.setMembers(roomId, members);
            }
            return null;
        });
        LOG.info(() -> "room=" + roomId + " session=" + session.sessionId() + " node=" + session.nodeId()
                + " join requested");
        return roomId;
    }

    private SessionRecord announce(SessionRecord session) {
        cluster.publishRoomEvent(session.roomId(), RoomEvents.memberJoined(session).toString());
        return session;
    }

    public List<SessionRecord> members(String roomId) {
        return cluster.sessions(cluster.members(roomId));
    }

    /** Removes the session from its room, if any. Returns the room it left. */
    public Optional<String> leave(String sessionId, String reason) {
        Optional<SessionRecord> session = cluster.session(sessionId);
        String roomId = session.map(SessionRecord::roomId).orElse(null);
        if (roomId == null) {
            return Optional.empty();
        }
        removeMember(roomId, sessionId, reason);
        cluster.replaceSession(session.get().inRoom(null));
        return Optional.of(roomId);
    }

    private static VisageException notConnected() {
        return new VisageException(ErrorCode.SESSION_NOT_CONNECTED, "the session's connection has closed");
    }

    private void removeMember(String roomId, String sessionId, String reason) {
        boolean removed = locks.withRoomLock(roomId, LOCK_LEASE, () -> {
            List<String> members = new ArrayList<>(cluster.members(roomId));
            boolean wasMember = members.remove(sessionId);
            if (wasMember) {
                cluster.setMembers(roomId, members);
            }
            return wasMember;
        });
        if (removed) {
            LOG.info(() -> "room=" + roomId + " session=" + sessionId + " left (" + reason + ")");
            cluster.publishRoomEvent(roomId, RoomEvents.memberLeft(roomId, sessionId, reason).toString());
        }
    }

    /** The connection closed: leave the room and forget the session. */
    public void disconnect(String sessionId, String reason) {
        leave(sessionId, reason);
        cluster.removeSession(sessionId);
    }

    /** Removes every trace of a node that left or died: its sessions and their memberships. */
    public int purgeNode(String nodeId) {
        int purged = 0;
        for (SessionRecord session : cluster.sessionsOfNode(nodeId)) {
            if (session.roomId() != null) {
                removeMember(session.roomId(), session.sessionId(), "node-gone");
            }
            cluster.removeSession(session.sessionId());
            purged++;
        }
        return purged;
    }

    public ChatMessage chat(SessionRecord session, String text) {
        if (session.roomId() == null) {
            throw new VisageException(ErrorCode.NOT_IN_ROOM, "join a room before chatting");
        }
        if (text == null || text.isBlank() || text.length() > MAX_CHAT_TEXT) {
            throw new VisageException(ErrorCode.INVALID_MESSAGE,
                    "chat text must be 1 to " + MAX_CHAT_TEXT + " characters");
        }
        ChatMessage message = new ChatMessage(RandomIds.of(16), session.roomId(), session.userId(),
                session.displayName(), text, clock.instant());
        chat.append(message);
        cluster.publishRoomEvent(session.roomId(), RoomEvents.chat(message).toString());
        return message;
    }

    public List<ChatMessage> history(String roomId, int limit) {
        return chat.history(get(roomId).id(), limit);
    }

    /** The room's chat history as {@code reader} may read it: only its owner and users who have joined it. */
    public List<ChatMessage> history(User reader, String roomId, int limit) {
        Room room = get(roomId);
        if (!room.ownerId().equals(reader.id()) && !rooms.visited(room.id(), reader.id())) {
            throw new VisageException(ErrorCode.FORBIDDEN,
                    "chat history is for the room's owner and users who have joined the room");
        }
        return chat.history(room.id(), limit);
    }
}
