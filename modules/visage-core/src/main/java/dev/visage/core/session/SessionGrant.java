package dev.visage.core.session;

/** The answer to "open a session": the id and the token the WebSocket presents. */
public record SessionGrant(String sessionId, String sessionToken) {
}
