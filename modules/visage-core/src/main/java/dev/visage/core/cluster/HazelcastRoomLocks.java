package dev.visage.core.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.visage.api.cluster.RoomLocks;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Per-room entry locks on an IMap: the lease frees a lock whose holder died, and Hazelcast
 * releases a dead member's locks as soon as it leaves the cluster.
 */
public final class HazelcastRoomLocks implements RoomLocks {

    private static final long WAIT_SECONDS = 15;

    private final IMap<String, String> locks;

    public HazelcastRoomLocks(HazelcastInstance hazelcast) {
        this.locks = hazelcast.getMap("visage.room-locks");
    }

    @Override
    public <T> T withRoomLock(String roomId, Duration lease, Supplier<T> action) {
        boolean locked;
        try {
            locked = locks.tryLock(roomId, WAIT_SECONDS, TimeUnit.SECONDS, lease.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VisageException(ErrorCode.UNAVAILABLE, "interrupted while waiting for the room");
        }
        if (!locked) {
            throw new VisageException(ErrorCode.UNAVAILABLE, "the room is busy, try again");
        }
        try {
            return action.get();
        } finally {
            locks.unlock(roomId);
        }
    }
}
