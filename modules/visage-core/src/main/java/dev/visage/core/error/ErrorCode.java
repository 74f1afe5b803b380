package dev.visage.core.error;

/** Stable error codes of the REST and WebSocket contract, with the HTTP status each maps to. */
public enum ErrorCode {
    BAD_JSON(400),
    BAD_REQUEST(400),
    INVALID_USERNAME(400),
    INVALID_PASSWORD(400),
    INVALID_DISPLAY_NAME(400),
    INVALID_ROOM_NAME(400),
    INVALID_MESSAGE(400),
    UNKNOWN_TYPE(400),
    MESSAGE_TOO_LARGE(413),
    UNAUTHORIZED(401),
    BAD_CREDENTIALS(401),
    TOKEN_MISSING(401),
    TOKEN_INVALID(401),
    TOKEN_EXPIRED(401),
    TOKEN_MISMATCH(403),
    NOT_IN_ROOM(409),
    FORBIDDEN(403),
    /** An admin API call by a user without the admin role. */
    ADMIN_REQUIRED(403),
    CANNOT_REVOKE_SELF(409),
    /** A drain refused: no other node would take the drained node's clients. */
    NO_OTHER_NODE(409),
    INVALID_ROLE(400),
    NOT_FOUND(404),
    ROOM_NOT_FOUND(404),
    USER_NOT_FOUND(404),
    NODE_NOT_FOUND(404),
    /** The session is not (or no longer) a member of a live room. */
    MEMBER_NOT_FOUND(404),
    USERNAME_TAKEN(409),
    /** The room URL name asked for belongs to another room; the error suggests a free variant. */
    ROOM_TAKEN(409),
    /** Too many attempts from this address, for this user or on this connection; retry after the time given. */
    RATE_LIMITED(429),
    SESSION_NOT_CONNECTED(409),
    SESSION_IN_USE(409),
    NODE_FULL(503),
    /** An operator is draining this node: it takes no new sessions; pick another from /api/nodes. */
    NODE_DRAINING(503),
    UNAVAILABLE(503),
    /** The users/rooms/chat database does not answer; joined calls go on, retry later. */
    STORE_UNAVAILABLE(503),
    /** The node has not finished starting (e.g. it waits for its store); try another or retry. */
    STARTING(503),
    /** The node could not start; its log says why. */
    START_FAILED(503),
    INTERNAL(500);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The code as clients see it: lower snake case. */
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
