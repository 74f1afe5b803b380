package dev.visage.sfu.bwe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The queue a path holds now, from one-way delays (the clocks' offset is arbitrary). */
class StandingQueueTest {
    private static final long OFFSET = 7_000_000_000L;
    private final StandingQueue queue = new StandingQueue();

    /** One packet every 10 ms from {@code fromMs} to {@code toMs}, {@code delayMs} on the way. */
    private void packets(long fromMs, long toMs, long delayMs) {
        for (long t = fromMs; t < toMs; t += 10) {
            queue.onPacket(t * 1000, OFFSET + (t + delayMs) * 1000);
        }
    }

    /** 3 s at the path's usual 20 ms, then 2 s behind a full drop-tail queue (150 ms). */
    private void queueStandingSinceThreeSeconds() {
        packets(0, 3_000, 20);
        packets(3_000, 5_000, 150);
    }

    @Test
    void noQueueOnAPathAtItsUsualDelay() {
        assertEquals(0, queue.queueMicros());
        packets(0, 5_000, 20);
        assertEquals(0, queue.queueMicros());
    }

    @Test
    void aQueueThatStaysIsSeenAndGoneOnceItDrains() {
        queueStandingSinceThreeSeconds();
        assertEquals(130_000, queue.queueMicros());
        packets(5_000, 5_600, 20);
        assertEquals(0, queue.queueMicros());
    }

    @Test
    void onePacketOfTheLastHalfSecondThroughQuicklyIsNoStandingQueue() {
        queueStandingSinceThreeSeconds();
        queue.onPacket(4_950_000, OFFSET + 4_970_000); // the queue drained for a moment
        assertEquals(0, queue.queueMicros());
    }

    @Test
    void theBaselineIsTheLastTenSeconds() {
        packets(0, 1_000, 20);
        packets(1_000, 20_000, 60); // a longer path since: after 10 s that is the path's delay
        assertTrue(queue.queueMicros() == 0, "queue " + queue.queueMicros());
    }
}
