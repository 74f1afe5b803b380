package dev.visage.core.token;

/**
 * What a token asserts. A user token binds the user and their role; a session token adds the
 * session id; a room token adds the room id.
 *
 * @param expiresAt epoch seconds
 * @param role      the user's role when the user token was issued (null in other tokens)
 */
public record TokenClaims(TokenKind kind, String userId, String displayName, String sessionId,
                          String roomId, long expiresAt, String role) {

    public static TokenClaims user(String userId, String displayName, String role, long expiresAt) {
        return new TokenClaims(TokenKind.USER, userId, displayName, null, null, expiresAt, role);
    }

    public static TokenClaims session(String userId, String displayName, String sessionId, long expiresAt) {
        return new TokenClaims(TokenKind.SESSION, userId, displayName, sessionId, null, expiresAt, null);
    }

    public static TokenClaims room(String userId, String displayName, String sessionId, String roomId,
                                   long expiresAt) {
        return new TokenClaims(TokenKind.ROOM, userId, displayName, sessionId, roomId, expiresAt, null);
    }
}
