package dev.visage.sfu.room;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.transport.PeerTransport;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Probes a subscriber's downlink before its layers rise (one per endpoint, on the engine's timer
 * thread only): when the layers its tiles ask for would cost more than its estimate allows (with
 * the allocator's margin), copies of the newest packets of one of its video streams go out as RTX
 * (the browser drops them as duplicates), paced at the rate tried; how they arrive tells the
 * estimator what the path carries ({@link SendSideEstimator#startProbe}).
 *
 * <p>A probe is sized to the queue it may meet: at most {@value #QUEUE_BUDGET_MILLIS} ms of the
 * estimate's rate in bytes (at least {@value #MIN_PACKETS} packets). Sent back to back, ten
 * packets (9.9 KB) into a 300 kbit/s cap with a 200 ms (7.5 KB) drop-tail queue overflowed it and
 * dropped the next 60 ms of media. None goes while the queue a cut left stands on the path
 * ({@link SendSideEstimator#cutQueueStands}): the link is full already, and a capture showed a
 * paced 4.4 KB probe overflow such a queue (a probe cannot show room there).
 *
 * <p>One probe at a time; one that found room is followed by the next as soon as it is judged
 * (the estimate rises on two that agree). After a probe that found no room, the next waits
 * {@value #MIN_INTERVAL_NANOS} ns, twice as long after each further one (up to
 * {@value #MAX_INTERVAL_NANOS} ns), so a full link is not probed often. Two that agree also clear
 * the longer holds that failed rises left ({@link LayerAllocator#forgetFailedRises}): the cap that
 * made them fail is gone.
 */
final class BandwidthProber {
    static final int MIN_PACKETS = 5;
    static final int MAX_PACKETS = 10;
    /** A probe asks for at most this many times the estimate. */
    static final long MAX_FACTOR = 4;
    static final long QUEUE_BUDGET_MILLIS = 100;
    static final long MIN_INTERVAL_NANOS = 1_000_000_000L;
    static final long MAX_INTERVAL_NANOS = 2_000_000_000L;
    /** A probe is judged once its feedback is in, at the earliest this long after it was sent. */
    static final long JUDGE_AFTER_NANOS = 300_000_000L;

    private final SfuMetrics metrics;
    private final ScheduledExecutorService timer;
    private final Runnable sendDue = this::sendDue;
    private final byte[] original = new byte[1700];
    private final byte[] rtx = new byte[1700];
    private long nextProbeNanos;
    private long lastProbeNanos;
    private long intervalNanos = MIN_INTERVAL_NANOS;
    /** A probe is out and waiting to be judged. */
    private boolean judging;
    /** The last probe found room: the next one must agree. */
    private boolean confirming;
    // the probe being sent: which packets (the subscriber's numbering), from when, how far apart
    private final int[] planned = new int[MAX_PACKETS];
    private int plannedCount;
    private int nextToSend;
    private long firstSendNanos;
    private long spacingNanos;
    private Subscription probed;
    private PeerTransport probedTransport;
    private int cluster;

    /** {@code timer}: the thread that calls {@link #probeIfWanted}, which paces the probes' packets too. */
    BandwidthProber(SfuMetrics metrics, ScheduledExecutorService timer) {
        this.metrics = metrics;
        this.timer = timer;
    }

    void probeIfWanted(PeerTransport st, SendSideEstimator estimator, Subscription[] subs, long now) {
        if (now < nextProbeNanos || estimator.probing() || nextToSend < plannedCount) {
            return;
        }
        if (judging) {
            judging = false;
            boolean found = estimator.lastProbeFoundRoom();
            boolean confirmed = found && confirming;
            confirming = found && !confirming;
            if (found) {
                // the next probe goes at once: the estimate rises on two that agree
                intervalNanos = MIN_INTERVAL_NANOS;
                if (confirmed) {
                    LayerAllocator.forgetFailedRises(subs);
                }
            } else {
                intervalNanos = Math.min(MAX_INTERVAL_NANOS, 2 * intervalNanos);
                nextProbeNanos = lastProbeNanos + intervalNanos;
                if (now < nextProbeNanos) {
                    return;
                }
            }
        }
        long wanted = (long) (LayerAllocator.wantedBps(subs, now) * LayerAllocator.UP_MARGIN);
        long estimate = estimator.estimateBps();
        if (wanted <= estimate || st == null) {
            intervalNanos = MIN_INTERVAL_NANOS;
            return;
        }
        if (estimator.cutQueueStands(now)) {
            return;
        }
        for (Subscription s : subs) {
            PublishedTrack t = s.track;
            if (!t.video || s.currentLayer() < 0 || s.rtxSsrc == 0 || t.canonicalRtxPt < 0 || !s.ready()) {
                continue;
            }
            long target = Math.min(wanted, MAX_FACTOR * estimate);
            long bytes = plan(s, estimate * QUEUE_BUDGET_MILLIS / 8_000);
            if (plannedCount < MIN_PACKETS) {
                plannedCount = 0;
                continue;
            }
            probed = s;
            probedTransport = st;
            cluster = estimator.startProbe(target, plannedCount, now);
            spacingNanos = bytes * 8_000_000_000L / target / plannedCount;
            firstSendNanos = now;
            nextToSend = 0;
            judging = true;
            lastProbeNanos = now;
            nextProbeNanos = now + JUDGE_AFTER_NANOS;
            sendDue();
            return;
        }
    }

    /**
     * Picks the newest cached packets of {@code s}'s current layer, newest first, while they fit
     * in {@code budgetBytes} (at least {@link #MIN_PACKETS} of them); returns their bytes.
     */
    private long plan(Subscription s, long budgetBytes) {
        plannedCount = 0;
        long bytes = 0;
        int newest = s.newestSeqOut();
        for (int back = 0; back < 4 * MAX_PACKETS && plannedCount < MAX_PACKETS; back++) {
            int seqOut = (newest - back) & 0xFFFF;
            int len = cached(s, seqOut);
            if (len > 0) {
                if (plannedCount >= MIN_PACKETS && bytes + len > budgetBytes) {
                    break;
                }
                planned[plannedCount++] = seqOut;
                bytes += len;
            }
        }
        return bytes;
    }

    /** Copies what {@code s} sent under {@code seqOut} into {@link #original}; its length, or -1. */
    private int cached(Subscription s, int seqOut) {
        int source = s.resendSource(seqOut);
        return source < 0 ? -1
                : s.track.layers[Subscription.layerOf(source)].cachedPacket(Subscription.sequenceOf(source), original);
    }

    /** Timer: sends the planned packets whose time has come, and wakes up for the next. */
    private void sendDue() {
        long now = System.nanoTime();
        while (nextToSend < plannedCount && now >= firstSendNanos + nextToSend * spacingNanos) {
            int seqOut = planned[nextToSend++];
            int len = cached(probed, seqOut);
            if (len > 0) {
                probed.translateResent(original, 0, len, seqOut);
                if (probedTransport.sendProbe(rtx, 0, probed.toRtx(original, len, seqOut, rtx), cluster)) {
                    metrics.probePackets.incrementAndGet();
                }
            }
        }
        if (nextToSend < plannedCount) {
            timer.schedule(sendDue, firstSendNanos + nextToSend * spacingNanos - now, TimeUnit.NANOSECONDS);
        } else {
            probed = null;
            probedTransport = null;
        }
    }
}
