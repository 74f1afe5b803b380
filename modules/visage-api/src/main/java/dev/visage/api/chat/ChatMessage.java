package dev.visage.api.chat;

import java.time.Instant;

/** One chat line in a room, as stored and as broadcast. */
public record ChatMessage(String id, String roomId, String userId, String displayName,
                          String text, Instant sentAt) {
}
