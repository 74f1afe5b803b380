package dev.visage.sfu.bwe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a paced probe shows, from when its packets were sent and when they arrived. */
class ProbeClusterTest {
    private static final int SIZE = 758;
    private static final long TARGET = 1_200_000;
    /** Five packets paced at 1.2 Mbit/s: one every 5.05 ms. */
    private static final long SPACING_NANOS = SIZE * 8L * 1_000_000_000L / TARGET;

    private final ProbeCluster cluster = new ProbeCluster();

    /** Sends five packets at the target's pace from t = 0; they arrive {@code arrivalMicros[k]}. */
    private long probe(long... arrivalMicros) {
        cluster.start(TARGET, arrivalMicros.length, 0);
        for (int k = 0; k < arrivalMicros.length; k++) {
            cluster.onSent(SIZE, k * SPACING_NANOS);
        }
        for (long a : arrivalMicros) {
            cluster.onReceived(a, SIZE);
        }
        assertTrue(cluster.complete(1_000_000));
        return cluster.finish();
    }

    @Test
    void anOpenPathDeliversThemAsTheyWereSentAndShowsTheTarget() {
        long shown = probe(20_000, 25_050, 30_100, 35_200, 40_200);
        assertTrue(shown >= TARGET * 95 / 100, "shown " + shown);
        assertTrue(cluster.foundRoom());
    }

    @Test
    void aCapSpacesThemAtItsOwnRateAndFindsNoRoom() {
        // 300 kbit/s: 20 ms per packet
        long shown = probe(20_000, 40_200, 60_400, 80_600, 100_800);
        assertTrue(shown > 250_000 && shown < 350_000, "shown " + shown);
        assertFalse(cluster.foundRoom());
    }

    @Test
    void packetsReadAllTogetherByABusyReceiverShowNothing() {
        // a descheduled receiver read the capped probe at once: back to back it looked like an
        // open path; paced, arriving faster than sent says the arrival times are not the path's
        assertEquals(0, probe(90_000, 90_000, 90_250, 90_250, 90_500));
        assertFalse(cluster.foundRoom());
    }

    @Test
    void aLostPacketShowsNothing() {
        cluster.start(TARGET, 5, 0);
        for (int k = 0; k < 5; k++) {
            cluster.onSent(SIZE, k * SPACING_NANOS);
        }
        for (int k = 0; k < 4; k++) {
            cluster.onReceived(20_000 + k * 5_000, SIZE);
        }
        cluster.onLost();
        assertTrue(cluster.complete(0));
        assertEquals(0, cluster.finish());
    }

    @Test
    void notCompleteBeforeEveryPlannedPacketWentOut() {
        cluster.start(TARGET, 5, 0);
        cluster.onSent(SIZE, 0);
        cluster.onReceived(20_000, SIZE);
        assertFalse(cluster.complete(10_000_000), "one of five sent and reported");
        assertTrue(cluster.complete(ProbeCluster.TIMEOUT_NANOS + 1), "given up waiting");
    }

    @Test
    void aLateTimerLowersWhatItCouldShowNotWhetherItFoundRoom() {
        // sent over 40 ms instead of 20 (600 kbit/s), delivered as sent
        cluster.start(TARGET, 5, 0);
        for (int k = 0; k < 5; k++) {
            cluster.onSent(SIZE, k * 2 * SPACING_NANOS);
        }
        for (int k = 0; k < 5; k++) {
            cluster.onReceived(20_000 + k * 10_100, SIZE);
        }
        long shown = cluster.finish();
        assertTrue(shown > 550_000 && shown <= 610_000, "shown " + shown);
        assertTrue(cluster.foundRoom());
    }
}
