package dev.visage.api.room;

import java.util.List;
import java.util.Optional;

/** Persistent rooms. Live membership is cluster state, not stored here. */
public interface RoomStore {

    /** Stores a new room; returns false if the id is already used. */
    boolean create(Room room);

    Optional<Room> find(String id);

    List<Room> recent(int limit);

    /** Remembers that the user has joined the room (idempotent): it may read the room's chat history. */
    void recordVisit(String roomId, String userId);

    /** Whether the user has ever joined the room. */
    boolean visited(String roomId, String userId);
}
