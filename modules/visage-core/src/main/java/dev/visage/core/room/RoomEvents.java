package dev.visage.core.room;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.api.chat.ChatMessage;
import dev.visage.api.cluster.SessionRecord;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

/** The server's room events, in the exact shape clients receive them on the WebSocket. */
public final class RoomEvents {

    private RoomEvents() {
    }

    public static JsonObjectBuilder member(SessionRecord s) {
        return JSON.createObjectBuilder()
                .add("sessionId", s.sessionId())
                .add("userId", s.userId())
                .add("displayName", s.displayName())
                .add("nodeId", s.nodeId());
    }

    public static JsonObject memberJoined(SessionRecord s) {
        return member(s).add("type", "member-joined").add("roomId", s.roomId()).build();
    }

    public static JsonObject memberLeft(String roomId, String sessionId, String reason) {
        return JSON.createObjectBuilder()
                .add("type", "member-left").add("roomId", roomId)
                .add("sessionId", sessionId).add("reason", reason).build();
    }

    public static JsonObjectBuilder chatFields(ChatMessage m) {
        return JSON.createObjectBuilder()
                .add("id", m.id()).add("roomId", m.roomId()).add("userId", m.userId())
                .add("displayName", m.displayName()).add("text", m.text())
                .add("sentAt", m.sentAt().toString());
    }

    public static JsonObject chat(ChatMessage m) {
        return chatFields(m).add("type", "chat").build();
    }
}
