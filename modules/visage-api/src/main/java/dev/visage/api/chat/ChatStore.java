package dev.visage.api.chat;

import java.util.List;

/** Persistent chat history per room. */
public interface ChatStore {

    void append(ChatMessage message);

    /** The newest {@code limit} messages of the room, oldest first. */
    List<ChatMessage> history(String roomId, int limit);
}
