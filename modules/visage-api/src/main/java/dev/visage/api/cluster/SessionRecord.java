package dev.visage.api.cluster;

/**
 * Who owns a signalling session: one per WebSocket connection.
 *
 * @param roomId the joined room, or null before the join
 */
public record SessionRecord(String sessionId, String userId, String displayName, String nodeId,
                            String roomId, long openedAt) {

    public SessionRecord inRoom(String room) {
        return new SessionRecord(sessionId, userId, displayName, nodeId, room, openedAt);
    }
}
