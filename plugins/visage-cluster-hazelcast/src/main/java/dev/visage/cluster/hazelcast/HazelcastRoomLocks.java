package dev.visage.cluster.hazelcast;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.cluster.RoomLocks;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Per-room entry locks on an IMap: the lease frees a lock whose holder died, and Hazelcast
 * releases a dead member's locks as soon as it leaves the cluster. Fencing tokens come from a
 * per-room counter advanced by compare-and-set, which needs no code shipped to the members.
 * <p>
 * A lock and its counter share a partition, kept by a primary and one backup member; when both
 * die at once (two of three nodes halting together) the partition comes back empty. The holder
 * has lost its lock then, as when its lease runs out, and its release only logs. The counter does
 * not start again from one: no token is below the cluster time in microseconds, so a counter
 * started again is above every token granted before the loss, provided a room never had a
 * thousand grants in one millisecond and the members' clocks agree to within the seconds the
 * cluster takes to notice the deaths.
 */
final class HazelcastRoomLocks implements RoomLocks {

    private static final Logger LOG = Logger.getLogger(HazelcastRoomLocks.class.getName());
    private static final long WAIT_SECONDS = 15;

    private final IMap<String, String> locks;
    private final IMap<String, Long> fences;
    private final Cluster cluster;

    HazelcastRoomLocks(HazelcastInstance hazelcast) {
        this.locks = hazelcast.getMap("visage.room-locks");
        this.fences = hazelcast.getMap("visage.room-lock-fences");
        this.cluster = hazelcast.getCluster();
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
            release(roomId);
        }
    }

    private void release(String roomId) {
        try {
            locks.unlock(roomId);
        } catch (IllegalMonitorStateException e) {
            // what the action did stays done; a newer holder has a larger fencing token
            LOG.warning("room=" + roomId + " lock was no longer held at release: its lease ran out,"
                    + " or it was lost with the members that kept it");
        }
    }

    private long nextFence(String roomId) {
        while (true) {
            long floor = cluster.getClusterTime() * 1000;
            Long current = fences.get(roomId);
            if (current == null) {
                if (fences.putIfAbsent(roomId, floor) == null) {
                    return floor;
                }
            } else {
                long next = Math.max(current + 1, floor);
                if (fences.replace(roomId, current, next)) {
                    return next;
                }
            }
        }
    }
}
