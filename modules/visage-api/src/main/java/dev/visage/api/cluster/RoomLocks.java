package dev.visage.api.cluster;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Per-room mutual exclusion across the cluster. A lock held by a node that dies is released by
 * its lease. Waiting too long for a lock throws {@link ClusterUnavailableException}.
 */
public interface RoomLocks {

    /**
     * Runs the action while holding the room's lock. The action gets the lock's fencing token: a
     * number that grows with every grant of the room's lock, so whatever the action writes can be
     * refused later if a newer holder (after this one's lease ran out) has written since.
     */
    <T> T withRoomLock(String roomId, Duration lease, FencedAction<T> action);

    default <T> T withRoomLock(String roomId, Duration lease, Supplier<T> action) {
        return withRoomLock(roomId, lease, fencingToken -> action.get());
    }

    /** What runs under a room lock. */
    @FunctionalInterface
    interface FencedAction<T> {
        T run(long fencingToken);
    }
}
