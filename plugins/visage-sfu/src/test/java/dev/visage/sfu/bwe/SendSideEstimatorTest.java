package dev.visage.sfu.bwe;

import dev.visage.sfu.rtcp.TransportCcGenerator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The estimator against a simulated path, in virtual time (so a busy machine changes nothing): a
 * sender that sends what the estimate allows (up to what its media needs), a bottleneck (token
 * bucket with a small drop-tail queue), the subscriber's real feedback generator every 100 ms.
 */
class SendSideEstimatorTest {
    private static final long MS = 1_000_000L;
    private static final int PACKET = 1100;
    /** A probe as the prober sends it under a 300 kbit/s estimate: five of a small layer's packets. */
    private static final int PROBE_PACKET = 700;
    private static final int PROBE_PACKETS = 5;

    /** A link: rate (bit/s), a queue of at most queueBytes, a fixed propagation delay. */
    private static final class Bottleneck {
        long rateBps;
        final int queueBytes;
        long busyUntilNanos;

        Bottleneck(long rateBps, int queueBytes) {
            this.rateBps = rateBps;
            this.queueBytes = queueBytes;
        }

        /** Arrival time of a packet entering now, or -1 when the queue is full (dropped). */
        long enter(long nowNanos, int bytes) {
            long start = Math.max(nowNanos, busyUntilNanos);
            long queuedBytes = (start - nowNanos) * rateBps / 8 / 1_000_000_000L;
            if (queuedBytes + bytes > queueBytes) {
                return -1;
            }
            busyUntilNanos = start + bytes * 8L * 1_000_000_000L / rateBps;
            return busyUntilNanos + 20 * MS;
        }
    }

    private final SendSideEstimator estimator = new SendSideEstimator();
    private final TransportCcGenerator receiver = new TransportCcGenerator();
    private final byte[] feedback = new byte[1500];
    private long now = 1_000 * MS;
    /** The receiver's thread stalls this long every {@link #stallEveryNanos} (0: never), then reads what queued at once. */
    private long stallNanos;
    private long stallEveryNanos = 1;
    private long sentBits;
    private long lost;
    private long delivered;
    private boolean queueStoodAfterACut;
    // arrivals pending at the receiver during one run
    private final long[] arrivalAt = new long[100_000];
    private final int[] arrivalSeq = new int[100_000];
    private int head;
    private int tail;

    /** Sends one packet into the link; it reaches the receiver in order (FIFO), or is lost. */
    private void send(Bottleneck link, int size, long sendNanos, int cluster) {
        int seq = estimator.nextSequence();
        estimator.onSent(size, sendNanos, cluster);
        long arrival = link.enter(sendNanos, size + SendSideEstimator.WIRE_OVERHEAD);
        if (arrival < 0) {
            lost++;
        } else {
            arrivalAt[tail] = arrival;
            arrivalSeq[tail] = seq;
            tail++;
        }
    }

    /** Runs the sender for a while at min(estimate, mediaBps); returns the lowest and last estimate. */
    private long[] run(Bottleneck link, long mediaBps, long durationNanos) {
        return run(link, mediaBps, durationNanos, 0);
    }

    /**
     * The same, with a probe towards probeTargetBps half a second in: five packets paced at that
     * rate, as the prober sends them.
     */
    private long[] run(Bottleneck link, long mediaBps, long durationNanos, long probeTargetBps) {
        long probeAt = probeTargetBps > 0 ? now + 500 * MS : Long.MAX_VALUE;
        long probeSpacing = probeTargetBps > 0 ? PROBE_PACKET * 8L * 1_000_000_000L / probeTargetBps : 0;
        int probeSent = PROBE_PACKETS;
        int cluster = 0;
        long probeStart = 0;
        long end = now + durationNanos;
        long nextFeedback = now + 100 * MS;
        long lowest = Long.MAX_VALUE;
        head = 0;
        tail = 0;
        long nextSend = now;
        while (now < end) {
            now += MS;
            if (now >= probeAt) {
                probeAt = Long.MAX_VALUE;
                cluster = estimator.startProbe(probeTargetBps, PROBE_PACKETS, now);
                probeSent = 0;
                probeStart = now;
            }
            while (probeSent < PROBE_PACKETS && now >= probeStart + probeSent * probeSpacing) {
                send(link, PROBE_PACKET, now, cluster);
                probeSent++;
            }
            while (nextSend <= now) {
                long rate = Math.min(estimator.estimateBps(), mediaBps);
                send(link, PACKET, nextSend, 0);
                sentBits += PACKET * 8L;
                nextSend += (PACKET + SendSideEstimator.WIRE_OVERHEAD) * 8L * 1_000_000_000L / rate;
            }
            while (head < tail && arrivalAt[head] <= now) {
                long into = arrivalAt[head] % stallEveryNanos;
                if (into < stallNanos && now - arrivalAt[head] < stallNanos - into) {
                    break; // the receiving thread is not running: the packet waits in its socket
                }
                long read = into < stallNanos ? arrivalAt[head] - into + stallNanos : arrivalAt[head];
                receiver.onPacket(arrivalSeq[head], read / 1000);
                delivered++;
                head++;
            }
            if (now >= nextFeedback) {
                nextFeedback += 100 * MS;
                int n;
                while ((n = receiver.writeFeedback(feedback, 0, 1, 2)) > 0) {
                    // feedback travels back in 20 ms: applied at once here, the delay is in the arrivals
                    assertTrue(estimator.onFeedback(feedback, 0, n, now));
                }
                lowest = Math.min(lowest, estimator.estimateBps());
                queueStoodAfterACut |= estimator.cutQueueStands(now);
            }
        }
        return new long[]{lowest, estimator.estimateBps()};
    }

    @Test
    void aThreeHundredKilobitBottleneckBringsTheEstimateDownAndLiftingItBringsItBackUp() {
        Bottleneck link = new Bottleneck(300_000, 6_000);
        long[] capped = run(link, 2_000_000, 15_000 * MS);
        long cappedEstimate = capped[1];
        System.out.printf("capped at 300 kbit/s: estimate %d bit/s after 15 s (lowest %d), lost %d of %d%n",
                cappedEstimate, capped[0], lost, lost + delivered);
        assertTrue(cappedEstimate <= 400_000, "estimate under the 300 kbit/s cap: " + cappedEstimate);
        assertTrue(cappedEstimate >= 150_000, "but not starved: " + cappedEstimate);
        assertTrue(queueStoodAfterACut, "the queue behind the cap was seen standing after a cut");
        // settled: another 10 s under the cap keeps it there, with little loss
        long lostBefore = lost;
        long deliveredBefore = delivered;
        long[] settled = run(link, 2_000_000, 10_000 * MS);
        double loss = (double) (lost - lostBefore) / (lost - lostBefore + delivered - deliveredBefore);
        System.out.printf("settled under the cap: lowest %d, last %d bit/s, %.2f %% lost%n", settled[0], settled[1], 100 * loss);
        assertTrue(settled[1] <= 400_000 && settled[0] >= 100_000, "settled: " + settled[0] + ".." + settled[1]);
        assertTrue(loss < 0.05, "loss once settled: " + loss);

        link.rateBps = 10_000_000;
        long[] lifted = run(link, 2_000_000, 30_000 * MS);
        System.out.printf("cap lifted: estimate %d bit/s after 30 s%n", lifted[1]);
        assertTrue(lifted[1] >= 1_500_000, "estimate climbs back once the cap is lifted: " + lifted[1]);
    }

    @Test
    void aProbeFindsTheRoomALiftedCapLeftAndNoneUnderTheCap() {
        Bottleneck link = new Bottleneck(300_000, 7_500);
        run(link, 400_000, 10_000 * MS);
        long capped = estimator.estimateBps();
        // a probe for 1.2 Mbit/s through the cap: its packets arrive 300 kbit/s apart, the estimate stays
        run(link, 400_000, 2_000 * MS, 1_200_000);
        System.out.printf("probe under the cap: showed %d bit/s; estimate %d -> %d%n", estimator.lastProbeBps(), capped,
                estimator.estimateBps());
        assertTrue(estimator.lastProbeBps() < 600_000, "probe through the cap: " + estimator.lastProbeBps());
        assertTrue(estimator.estimateBps() < 500_000, "estimate after it: " + estimator.estimateBps());
        // lifted: the media alone (400 kbit/s) would take many seconds to lift the estimate to
        // 1.2 Mbit/s; two probes a second apart do it at once (one alone is not believed)
        link.rateBps = 10_000_000;
        run(link, 400_000, 1_000 * MS, 1_200_000);
        long afterOne = estimator.estimateBps();
        run(link, 400_000, 1_000 * MS, 1_200_000);
        System.out.printf("probes with the cap lifted: showed %d bit/s; estimate %d after one, %d after two%n",
                estimator.lastProbeBps(), afterOne, estimator.estimateBps());
        assertTrue(afterOne < 1_000_000, "one probe alone raises nothing: " + afterOne);
        assertTrue(estimator.estimateBps() >= 1_100_000, "estimate after two probes on the open path: " + estimator.estimateBps());
    }

    @Test
    void anUncongestedPathKeepsTheInitialEstimate() {
        long[] free = run(new Bottleneck(20_000_000, 100_000), 2_000_000, 10_000 * MS);
        assertTrue(free[0] >= 2_000_000, "no cut without congestion: lowest " + free[0]);
    }

    @Test
    void aReceiverDescheduledNowAndThenOnAnOpenPathDoesNotCutTheEstimate() {
        // a busy machine: the browser's network thread sleeps 40 ms every 1.5 s, then reads the
        // packets queued meanwhile at once; their arrival times say "late, then all together",
        // which is no queue on the path
        stallNanos = 40 * MS;
        stallEveryNanos = 1_500 * MS;
        long[] free = run(new Bottleneck(20_000_000, 100_000), 2_000_000, 30_000 * MS);
        System.out.printf("receiver stalls of 40 ms every 1.5 s on an open path: lowest %d, last %d bit/s, overuses %d%n",
                free[0], free[1], estimator.overuses());
        assertTrue(free[0] >= 1_500_000, "no deep cut for a descheduled receiver: lowest " + free[0]);
        assertFalse(estimator.cutQueueStands(now), "late reads on an open path hold no rise");
    }

    @Test
    void heavyLossWithoutQueueingCutsTheEstimate() {
        // every third packet lost, no delay build-up: the loss-based part must act on its own
        long start = now;
        for (int round = 0; round < 30; round++) {
            for (int k = 0; k < 30; k++) {
                int seq = estimator.nextSequence();
                estimator.onSent(PACKET, now);
                if (k % 3 != 0) {
                    receiver.onPacket(seq, now / 1000 + 20_000);
                }
                now += 3 * MS;
            }
            int n = receiver.writeFeedback(feedback, 0, 1, 2);
            assertTrue(n > 0 && estimator.onFeedback(feedback, 0, n, now));
        }
        System.out.printf("33 %% loss over %d ms: estimate %d bit/s (loss fraction %.2f)%n", (now - start) / MS,
                estimator.estimateBps(), estimator.lossFraction());
        assertTrue(estimator.estimateBps() < SendSideEstimator.INITIAL_BPS / 2, "estimate " + estimator.estimateBps());
    }

    @Test
    void malformedFeedbackChangesNothing() {
        byte[] junk = {(byte) 0x8F, (byte) 205, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9, 0, 0, 0, 0};
        assertFalse(estimator.onFeedback(junk, 0, junk.length, now));
        assertEquals(SendSideEstimator.INITIAL_BPS, estimator.estimateBps());
        assertEquals(1, estimator.malformedFeedbacks());
    }
}
