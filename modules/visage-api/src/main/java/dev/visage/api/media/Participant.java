package dev.visage.api.media;

/** Who an endpoint belongs to. */
public record Participant(String roomId, String sessionId, String userId, String displayName) {
}
