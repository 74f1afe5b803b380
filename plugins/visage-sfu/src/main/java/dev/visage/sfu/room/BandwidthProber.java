package dev.visage.sfu.room;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.transport.PeerTransport;

/**
 * Probes a subscriber's downlink before its layers rise (timer thread, one per endpoint): when the
 * layers its tiles ask for would cost more than its estimate allows (with the allocator's margin),
 * copies of the newest packets of one of its video streams go out back to back as RTX (the browser
 * drops them as duplicates), and the spread of their arrival tells the estimator what the path
 * carries (see {@link SendSideEstimator#startProbe}). One probe at a time; one that found room is
 * followed by the next as soon as it is judged (the estimate rises on two that agree), and that
 * one is twice as long: five small packets through a 300 kbit/s cap spread over about 80 ms,
 * which a busy receiver or switch can deliver together, and two such probes read 0.8 and 1.3 Mbit/s
 * in a row; ten spread over twice as long, and large ones overflow a short drop-tail queue (a loss
 * reads as no room). After a probe that found no room, the next waits {@value #MIN_INTERVAL_NANOS}
 * ns, twice as long after each further one (up to {@value #MAX_INTERVAL_NANOS} ns), so a full link
 * is not probed often. Two that agree also clear the longer holds that failed rises left
 * ({@link LayerAllocator#forgetFailedRises}): the cap that made them fail is gone.
 */
final class BandwidthProber {
    static final int PACKETS = 5;
    /** A probe asks for at most this many times the estimate. */
    static final long MAX_FACTOR = 4;
    /** A probe that shows this share of its target has found room. */
    static final long FOUND_PERCENT = 75;
    static final long MIN_INTERVAL_NANOS = 1_000_000_000L;
    static final long MAX_INTERVAL_NANOS = 4_000_000_000L;
    /** A probe is judged once its feedback is in, at the earliest this long after it was sent. */
    static final long JUDGE_AFTER_NANOS = 300_000_000L;

    private final SfuMetrics metrics;
    private final byte[] original = new byte[1700];
    private final byte[] rtx = new byte[1700];
    private long nextProbeNanos;
    private long lastProbeNanos;
    private long intervalNanos = MIN_INTERVAL_NANOS;
    /** The target of the probe out, 0 when none is waiting to be judged. */
    private long targetBps;
    /** The last probe found room: the next one, which must agree, is longer. */
    private boolean confirming;

    BandwidthProber(SfuMetrics metrics) {
        this.metrics = metrics;
    }

    void probeIfWanted(PeerTransport st, SendSideEstimator estimator, Subscription[] subs, long now) {
        if (now < nextProbeNanos || estimator.probing()) {
            return;
        }
        if (targetBps > 0) {
            // room found: the probe reached most of its target (the spread of five packets on a
            // busy machine reads an open path a little short of it; one read 939 of 1,150
            // kbit/s). Through a cap it shows about the cap's rate.
            boolean found = estimator.lastProbeBps() >= targetBps * FOUND_PERCENT / 100;
            targetBps = 0;
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
        for (Subscription s : subs) {
            int layer = s.currentLayer();
            PublishedTrack t = s.track;
            if (!t.video || layer < 0 || s.rtxSsrc == 0 || t.canonicalRtxPt < 0 || !s.ready()) {
                continue;
            }
            long target = Math.min(wanted, MAX_FACTOR * estimate);
            int cluster = estimator.startProbe(target, now);
            int newest = s.newestSeqOut();
            int packets = confirming ? 2 * PACKETS : PACKETS;
            int sent = 0;
            for (int back = 0; back < 4 * packets && sent < packets; back++) {
                int seqOut = (newest - back) & 0xFFFF;
                int source = s.resendSource(seqOut);
                int len = source < 0 ? -1
                        : t.layers[Subscription.layerOf(source)].cachedPacket(Subscription.sequenceOf(source), original);
                if (len > 0) {
                    s.translateResent(original, 0, len, seqOut);
                    if (st.sendProbe(rtx, 0, s.toRtx(original, len, seqOut, rtx), cluster)) {
                        sent++;
                    }
                }
            }
            metrics.probePackets.addAndGet(sent);
            targetBps = target;
            lastProbeNanos = now;
            nextProbeNanos = now + JUDGE_AFTER_NANOS;
            return;
        }
    }
}
