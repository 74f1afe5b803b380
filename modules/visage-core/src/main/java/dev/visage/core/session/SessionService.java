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

/**
 * Signalling sessions: one per WebSocket connection, each with its own id, so a connection that
 * closes late (a reloaded tab) can only ever end its own session.
 */
public final class SessionService {

    private final ClusterState cluster;
    private final TokenService tokens;
    private final Duration sessionTokenTtl;
    private final String nodeId;
    private final Clock clock;

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
        String token = tokens.issue(TokenClaims.session(user.id(), user.displayName(), sessionId,
                tokens.nowSeconds() + sessionTokenTtl.toSeconds()));
        return new SessionGrant(sessionId, token);
    }

    /**
     * Steps 2-3: the WebSocket presented its session token; this node records that it owns the
     * session.
     */
    public SessionRecord connect(String sessionToken) {
        TokenClaims claims = tokens.verify(sessionToken, TokenKind.SESSION);
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
