package dev.visage.api.cluster;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Per-room mutual exclusion across the cluster. A lock held by a node that dies is released by
 * its lease.
 */
public interface RoomLocks {

    <T> T withRoomLock(String roomId, Duration lease, Supplier<T> action);
}
