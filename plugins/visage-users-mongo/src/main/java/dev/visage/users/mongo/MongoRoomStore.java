package dev.visage.users.mongo;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import dev.visage.api.room.Room;
import dev.visage.api.room.RoomStore;
import org.bson.Document;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/** Rooms in the {@code rooms} collection, keyed by room id so an id can be claimed only once. */
final class MongoRoomStore implements RoomStore {

    private final MongoCollection<Document> rooms;

    MongoRoomStore(MongoDatabase database) {
        rooms = database.getCollection("rooms");
        rooms.createIndex(Indexes.descending("createdAt"));
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

    private static Room toRoom(Document document) {
        return new Room(document.getString("_id"), document.getString("name"),
                document.getString("ownerId"), document.getDate("createdAt").toInstant());
    }
}
