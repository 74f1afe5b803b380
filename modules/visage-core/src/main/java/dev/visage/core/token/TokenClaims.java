package dev.visage.core.token;

/**
 * What a token asserts. A user token binds the user and their role; a session token adds the
 * session id and the node that issued it (the only node its socket may open on); a room token adds
 * the room id.
 *
 * @param expiresAt epoch seconds
 * @param role      the user's role when the user token was issued (null in other tokens)
 */
public record TokenClaims(TokenKind kind, String userId, String displayName, String sessionId,
                          String roomId, String nodeId, long expiresAt, String role) {

    public static TokenClaims user(String userId, String displayName, String role, long expiresAt) {
        return new TokenClaims(TokenKind.USER, userId, displayName, null, null, null, expiresAt, role);
    }

    public static TokenClaims session(String userId, String displayName, String sessionId, String nodeId,
                                      long expiresAt) {
        return new TokenClaims(TokenKind.SESSION, userId, displayName, sessionId, null, nodeId, expiresAt, null);
    }

    public static TokenClaims room(String userId, String displayName, String sessionId, String roomId,
                                   long expiresAt) {
        return new TokenClaims(TokenKind.ROOM, userId, displayName, sessionId, roomId, null, expiresAt, null);
    }
}
