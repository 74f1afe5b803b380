package dev.visage.users.mongo;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import dev.visage.api.room.Room;
import dev.visage.api.room.RoomStore;
import org.bson.Document;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * Rooms in the {@code rooms} collection, keyed by room id so an id can be claimed only once: the
 * unique {@code _id} index is what decides between nodes creating one picked room link at once;
 * who has joined which room in {@code room_visits}, one document per (room, user).
 */
final class MongoRoomStore implements RoomStore {

    private final MongoCollection<Document> rooms;
    private final MongoCollection<Document> visits;

    MongoRoomStore(MongoDatabase database) {
        rooms = database.getCollection("rooms");
        rooms.createIndex(Indexes.descending("createdAt"));
        visits = database.getCollection("room_visits");
    }

    @Override
    public boolean create(Room room) {
        try {
            rooms.insertOne(new Document("_id", room.id())
                    .append("name", room.name())
                    .append("ownerId", room.ownerId())
                    .append("createdAt", Date.from(room.createdAt())));
            return true;
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public Optional<Room> find(String id) {
        return Optional.ofNullable(rooms.find(Filters.eq("_id", id)).first())
                .map(MongoRoomStore::toRoom);
    }

    /** The newest rooms first. */
    @Override
    public List<Room> recent(int limit) {
        // MongoDB reads a limit of 0 as "no limit" and a negative one as "one batch".
        if (limit <= 0) {
            return List.of();
        }
        return rooms.find().sort(Sorts.descending("createdAt")).limit(limit)
                .map(MongoRoomStore::toRoom).into(new ArrayList<>());
    }

    @Override
    public void recordVisit(String roomId, String userId) {
        visits.replaceOne(Filters.eq("_id", visitId(roomId, userId)),
                new Document("_id", visitId(roomId, userId)).append("roomId", roomId).append("userId", userId),
                new ReplaceOptions().upsert(true));
    }

    @Override
    public boolean visited(String roomId, String userId) {
        return visits.find(Filters.eq("_id", visitId(roomId, userId))).first() != null;
    }

    /** Room ids and user ids are URL-safe random strings: a space cannot occur in either. */
    private static String visitId(String roomId, String userId) {
        return roomId + " " + userId;
    }

    private static Room toRoom(Document document) {
        return new Room(document.getString("_id"), document.getString("name"),
                document.getString("ownerId"), document.getDate("createdAt").toInstant());
    }
}
