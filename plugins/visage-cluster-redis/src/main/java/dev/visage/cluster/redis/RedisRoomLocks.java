package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.cluster.RoomLocks;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Per-room locks on Redis: {@code SET lock owner NX PX lease}, so a dead holder's lock expires with
 * its lease, and a per-room counter advanced in the same script for the fencing token (see
 * {@link #ACQUIRE}). The release
 * deletes the lock only if it still holds this holder's owner token (compare-and-delete in Lua): a
 * holder whose lease ran out never frees the next holder's lock.
 */
final class RedisRoomLocks implements RoomLocks {

    private static final Logger LOG = Logger.getLogger(RedisRoomLocks.class.getName());
    private static final Duration WAIT = Duration.ofSeconds(15);

    /**
     * Takes the lock and the next fencing token, which is never below Redis's own clock in
     * microseconds: a server restarted without its data starts its counters again, and a token
     * counted from one would then be below tokens granted before (as on Hazelcast, a room is
     * assumed never to see a thousand grants in one millisecond).
     */
    private static final String ACQUIRE = """
            if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              local token = redis.call('incr', KEYS[2])
              local now = redis.call('time')
              local floor = tonumber(now[1]) * 1000000 + tonumber(now[2])
              if token < floor then
                redis.call('set', KEYS[2], string.format('%.0f', floor))
                token = floor
              end
              return token
            end
            return false""";

    private static final String RELEASE = """
            if redis.call('get', KEYS[1]) == ARGV[1] then
              return redis.call('del', KEYS[1])
            end
            return 0""";

    private final RedisConnection redis;
    private final String memberId;

    RedisRoomLocks(RedisConnection redis, String memberId) {
        this.redis = redis;
        this.memberId = memberId;
    }

    @Override
    public <T> T withRoomLock(String roomId, Duration lease, FencedAction<T> action) {
        String owner = memberId + ":" + UUID.randomUUID();
        List<String> keys = List.of(RedisKeys.roomLock(roomId), RedisKeys.roomLockFence(roomId));
        long fencingToken = acquire(keys, owner, lease);
        try {
            return action.run(fencingToken);
        } finally {
            release(keys.get(0), owner, roomId);
        }
    }

    private long acquire(List<String> keys, String owner, Duration lease) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Object token = redis.call(r -> r.eval(ACQUIRE, keys, List.of(owner, Long.toString(lease.toMillis()))));
            if (token instanceof Long fence) {
                return fence;
            }
            if (System.nanoTime() > deadline) {
                throw new ClusterUnavailableException("the room is busy, try again");
            }
            try {
                Thread.sleep(5 + ThreadLocalRandom.current().nextInt(20)); // spread the retries of many waiters
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterUnavailableException("interrupted while waiting for the room", e);
            }
        }
    }

    private void release(String lockKey, String owner, String roomId) {
        try {
            redis.call(r -> r.eval(RELEASE, List.of(lockKey), List.of(owner)));
        } catch (ClusterUnavailableException e) {
            // the lease frees it: what the action did stays done
            LOG.log(Level.WARNING, "room=" + roomId + " lock release failed; its lease frees it", e);
        }
    }
}
