package dev.visage.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import dev.visage.api.testing.Await;
import dev.visage.cluster.hazelcast.testing.TestHazelcast;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Room locks when every member that kept a room's lock dies at once (a primary and its backup
 * halting together): the lock and its fencing counter are gone, and Hazelcast starts the
 * partition again empty.
 */
class HazelcastRoomLocksTest {

    private static final Duration LEASE = Duration.ofSeconds(30);

    private final TestHazelcast hazelcast = new TestHazelcast("visage-test-HazelcastRoomLocks", 6060);

    @AfterEach
    void stop() {
        hazelcast.close();
    }

    @Test
    void aLockLostWithItsMembersEndsQuietlyAndTheNextFencingTokenIsStillLarger() {
        HazelcastInstance keeper = hazelcast.newMember();
        HazelcastInstance node = hazelcast.newLiteMember(); // its locks and counters all live on the keeper
        awaitMembers(node, 2);
        HazelcastRoomLocks locks = new HazelcastRoomLocks(node);
        long first = locks.withRoomLock("room", LEASE, fence -> fence);

        long lost = locks.withRoomLock("room", LEASE, fence -> {
            keeper.getLifecycleService().terminate();
            awaitMembers(node, 1);
            hazelcast.newMember(); // a fresh keeper, with nothing of the room's
            awaitMembers(node, 2);
            return fence;
        });

        long next = locks.withRoomLock("room", LEASE, fence -> fence);
        assertTrue(lost > first, "token " + lost + " after " + first);
        assertTrue(next > lost, "the token after the loss, " + next + ", is above the lost holder's " + lost);
    }

    private static void awaitMembers(HazelcastInstance member, int size) {
        Await.until(Duration.ofSeconds(60), "a cluster of " + size, () -> member.getCluster().getMembers().size() == size);
    }
}
