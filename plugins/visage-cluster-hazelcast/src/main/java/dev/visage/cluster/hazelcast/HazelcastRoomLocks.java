package dev.visage.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.cluster.RoomLocks;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Per-room entry locks on an IMap: the lease frees a lock whose holder died, and Hazelcast
 * releases a dead member's locks as soon as it leaves the cluster. Fencing tokens come from a
 * per-room counter advanced by compare-and-set, which needs no code shipped to the members.
 */
final class HazelcastRoomLocks implements RoomLocks {

    private static final long WAIT_SECONDS = 15;

    private final IMap<String, String> locks;
    private final IMap<String, Long> fences;

    HazelcastRoomLocks(HazelcastInstance hazelcast) {
        this.locks = hazelcast.getMap("visage.room-locks");
        this.fences = hazelcast.getMap("visage.room-lock-fences");
    }

    @Override
    public <T> T withRoomLock(String roomId, Duration lease, FencedAction<T> action) {
        boolean locked;
        try {
            locked = locks.tryLock(roomId, WAIT_SECONDS, TimeUnit.SECONDS, lease.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException("interrupted while waiting for the room", e);
        }
        if (!locked) {
            throw new ClusterUnavailableException("the room is busy, try again");
        }
        try {
            return action.run(nextFence(roomId));
        } finally {
            locks.unlock(roomId);
        }
    }

    private long nextFence(String roomId) {
        while (true) {
            Long current = fences.get(roomId);
            if (current == null) {
                if (fences.putIfAbsent(roomId, 1L) == null) {
                    return 1L;
                }
            } else if (fences.replace(roomId, current, current + 1)) {
                return current + 1;
            }
        }
    }
}
