package dev.visage.sfu.room;

import dev.visage.sfu.SfuMetrics;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A publisher is asked for a key frame of a stream at most once per interval, however often subscribers ask. */
class KeyFrameRequestLimitTest {
    private static final long MS = 1_000_000L;
    private final SfuMetrics metrics = new SfuMetrics();
    private final KeyFrameRequestLimit limit = new KeyFrameRequestLimit(200, metrics);

    @Test
    void requestsWithinTheIntervalAreHeldBackAndCounted() {
        ReceiveStream stream = SubscriptionTest.video("s1", 1000, "VP8", null).primary();
        long t0 = 5_000 * MS;
        assertTrue(limit.allows(stream, t0), "the first request goes");
        assertFalse(limit.allows(stream, t0 + 10 * MS));
        assertFalse(limit.allows(stream, t0 + 199 * MS));
        assertEquals(2, metrics.plisSuppressed.get());
        assertTrue(limit.allows(stream, t0 + 200 * MS), "the interval has passed");
        assertFalse(limit.allows(stream, t0 + 300 * MS), "counted from the last request that went");
        assertEquals(3, metrics.plisSuppressed.get());
    }

    @Test
    void eachStreamHasItsOwnInterval() {
        ReceiveStream camera = SubscriptionTest.video("s1", 1000, "VP8", null).primary();
        ReceiveStream other = SubscriptionTest.video("s2", 3000, "VP8", null).primary();
        long t0 = 5_000 * MS;
        assertTrue(limit.allows(camera, t0));
        assertTrue(limit.allows(other, t0 + MS), "another stream's request does not hold this one back");
        assertEquals(0, metrics.plisSuppressed.get());
    }
}
