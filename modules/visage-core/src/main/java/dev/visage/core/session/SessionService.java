package dev.visage.core.session;

import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.user.User;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.core.id.RandomIds;
import dev.visage.core.token.TokenClaims;
import dev.visage.core.token.TokenKind;
import dev.visage.core.token.TokenService;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signalling sessions: one per WebSocket connection, each with its own id, so a connection that
 * closes late (a reloaded tab) can only ever end its own session. A session token opens one socket,
 * once, on the node that issued it, within {@link #CONNECT_WINDOW} of its issue: a client that
 * reconnects asks for a new session with its user token, so a leaked session token (it travels in
 * the socket URL) cannot open a socket as its user later.
 */
public final class SessionService {

    /** How long after its issue a session token may open its socket (clients open it at once). */
    public static final Duration CONNECT_WINDOW = Duration.ofSeconds(60);

    private final ClusterState cluster;
    private final TokenService tokens;
    private final Duration sessionTokenTtl;
    private final String nodeId;
    private final Clock clock;
    /** Session ids whose token already opened a socket here, until their connect window closes (epoch s). */
    private final Map<String, Long> used = new ConcurrentHashMap<>();

    public SessionService(ClusterState cluster, TokenService tokens, Duration sessionTokenTtl, String nodeId,
                          Clock clock) {
        this.cluster = cluster;
        this.tokens = tokens;
        this.sessionTokenTtl = sessionTokenTtl;
        this.nodeId = nodeId;
        this.clock = clock;
    }

    /** Step 1 of the join flow: a fresh session id and the token bound to it. */
    public SessionGrant open(User user) {
        String sessionId = RandomIds.sessionId();
        String token = tokens.issue(TokenClaims.session(user.id(), user.displayName(), sessionId, nodeId,
                tokens.nowSeconds() + sessionTokenTtl.toSeconds()));
        return new SessionGrant(sessionId, token);
    }

    /**
     * Steps 2-3: the WebSocket presented its session token; this node records that it owns the
     * session. Refused with {@code session_in_use} when the token has opened a socket before, and
     * with {@code token_invalid} on another node or after its connect window.
     */
    public SessionRecord connect(String sessionToken) {
        TokenClaims claims = tokens.verify(sessionToken, TokenKind.SESSION);
        if (!nodeId.equals(claims.nodeId())) {
            throw new VisageException(ErrorCode.TOKEN_INVALID, "this session belongs to another node; open a new session");
        }
        long now = tokens.nowSeconds();
        long connectBy = claims.expiresAt() - sessionTokenTtl.toSeconds() + CONNECT_WINDOW.toSeconds();
        if (now > connectBy) {
            throw new VisageException(ErrorCode.TOKEN_EXPIRED,
                    "a session token opens its socket within " + CONNECT_WINDOW.toSeconds() + " s; open a new session");
        }
        used.values().removeIf(until -> until < now);
        if (used.putIfAbsent(claims.sessionId(), connectBy) != null) {
            throw new VisageException(ErrorCode.SESSION_IN_USE,
                    "this session token has opened its socket already; open a new session");
        }
        SessionRecord record = new SessionRecord(claims.sessionId(), claims.userId(), claims.displayName(),
                nodeId, null, clock.millis());
        if (!cluster.createSession(record)) {
            throw new VisageException(ErrorCode.SESSION_IN_USE,
                    "this session already has a connection; open a new session");
        }
        return record;
    }

    /** The connected session behind a session token (for REST calls made on its behalf). */
    public SessionRecord connected(String sessionToken) {
        TokenClaims claims = tokens.verify(sessionToken, TokenKind.SESSION);
        return cluster.session(claims.sessionId()).orElseThrow(() -> new VisageException(
                ErrorCode.SESSION_NOT_CONNECTED, "open the WebSocket with this session token first"));
    }
}
