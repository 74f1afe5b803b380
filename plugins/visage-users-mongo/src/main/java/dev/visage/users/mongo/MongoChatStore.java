package dev.visage.users.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import dev.visage.api.chat.ChatMessage;
import dev.visage.api.chat.ChatStore;
import org.bson.Document;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;

/**
 * Chat lines in the {@code messages} collection. {@code _id} is left to the driver: its ObjectId
 * grows with each insert from a node, which orders lines sent within the same millisecond.
 */
final class MongoChatStore implements ChatStore {

    private final MongoCollection<Document> messages;

    MongoChatStore(MongoDatabase database) {
        messages = database.getCollection("messages");
        messages.createIndex(Indexes.ascending("roomId", "sentAt"));
    }

    @Override
    public void append(ChatMessage message) {
        messages.insertOne(new Document("id", message.id())
                .append("roomId", message.roomId())
                .append("userId", message.userId())
                .append("displayName", message.displayName())
                .append("text", message.text())
                .append("sentAt", Date.from(message.sentAt())));
    }

    @Override
    public List<ChatMessage> history(String roomId, int limit) {
        // MongoDB reads a limit of 0 as "no limit" and a negative one as "one batch".
        if (limit <= 0) {
            return List.of();
        }
        // Newest first to apply the limit, then flipped to the reading order.
        List<ChatMessage> newestFirst = messages.find(Filters.eq("roomId", roomId))
                .sort(Sorts.descending("sentAt", "_id"))
                .limit(limit)
                .map(MongoChatStore::toMessage)
                .into(new ArrayList<>());
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    private static ChatMessage toMessage(Document document) {
        return new ChatMessage(document.getString("id"), document.getString("roomId"),
                document.getString("userId"), document.getString("displayName"),
                document.getString("text"), document.getDate("sentAt").toInstant());
    }
}
