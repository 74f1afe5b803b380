package dev.visage.sfu.room;

import java.util.Arrays;

/**
 * Shares one subscriber's bandwidth estimate among the simulcast streams it receives (timer
 * thread, every 100 ms; not the packet path). The streams without layers (audio, single-layer
 * video) cost what their publishers send; what is left goes to the simulcast consumers: each gets
 * its smallest active layer whatever the estimate (a stream is never paused), then, the smallest
 * next layer first, one layer up at a time while the sum of the layers' measured bitrates (the
 * SFU's receive rate of each layer) fits. No consumer goes above the layer its tile's size calls
 * for ({@link LayerSelector}).
 *
 * <p>Down fast, up slowly: a consumer whose layer no longer fits the estimate drops at once; one
 * that would fit a higher layer with {@value #UP_MARGIN} times its bitrate moves up only once that
 * has held for {@value #UP_HOLD_NANOS} ns, and after a drop that soon followed a rise (the higher
 * layer did not fit after all) it waits twice as long as the time before, up to
 * {@value #MAX_UP_HOLD_NANOS} ns.
 */
final class LayerAllocator {
    static final double UP_MARGIN = 1.15;
    static final long UP_HOLD_NANOS = 2_000_000_000L;
    static final long MAX_UP_HOLD_NANOS = 32_000_000_000L;
    /** A drop within this long of a rise means the rise failed. */
    static final long FAILED_RISE_NANOS = 5_000_000_000L;

    private LayerAllocator() {
    }

    /**
     * Chooses each simulcast subscription's layer for an estimate of {@code estimateBps} (bit/s)
     * and moves its target there; returns, per subscription, the layer whose key frame the
     * endpoint should ask for (see {@link Subscription#retarget}), or {@link LayerSelector#ANY}.
     */
    static int[] allocate(Subscription[] subs, long estimateBps, long nowNanos) {
        int n = subs.length;
        int[] keyFrames = new int[n];
        Arrays.fill(keyFrames, LayerSelector.ANY);
        long budget = estimateBps;
        ReceiveStream[][] ladders = new ReceiveStream[n][];
        for (int i = 0; i < n; i++) {
            Subscription s = subs[i];
            PublishedTrack t = s.track;
            if (t.simulcast) {
                ladders[i] = ladder(t.layers, s.sizeLayer(nowNanos), nowNanos);
            } else {
                budget -= t.layers[0].bitrateBps;
            }
        }
        int[] fitNow = fit(ladders, budget);
        int[] fitWithMargin = fit(ladders, (long) (budget / UP_MARGIN));
        for (int i = 0; i < n; i++) {
            ReceiveStream[] ladder = ladders[i];
            if (ladder == null) {
                continue;
            }
            Subscription s = subs[i];
            if (ladder.length == 0) {
                keyFrames[i] = s.retarget(LayerSelector.ANY, nowNanos);
                continue;
            }
            int current = rung(ladder, s.bandwidthLayer);
            int next = current;
            if (current < 0 || fitNow[i] < current) {
                next = current < 0 ? fitWithMargin[i] : fitNow[i];
                if (current >= 0 && nowNanos - s.risenAtNanos < FAILED_RISE_NANOS) {
                    s.upHoldNanos = Math.min(MAX_UP_HOLD_NANOS, 2 * s.upHoldNanos);
                }
                s.upSinceNanos = 0;
            } else if (fitWithMargin[i] > current) {
                if (s.upSinceNanos == 0) {
                    s.upSinceNanos = nowNanos;
                } else if (nowNanos - s.upSinceNanos >= s.upHoldNanos) {
                    next = current + 1;
                    s.upSinceNanos = 0;
                    s.risenAtNanos = nowNanos;
                }
            } else {
                s.upSinceNanos = 0;
                if (nowNanos - s.risenAtNanos > FAILED_RISE_NANOS && s.upHoldNanos > UP_HOLD_NANOS) {
                    s.upHoldNanos = Math.max(UP_HOLD_NANOS, s.upHoldNanos / 2); // the rise held: trust rises again
                }
            }
            s.bandwidthLayer = ladder[next].layer;
            keyFrames[i] = s.retarget(ladder[next].layer, nowNanos);
        }
        return keyFrames;
    }

    /**
     * The active layers of a track (a packet lately and a known size), smallest first, up to the
     * size-chosen one; all of them when that is not known yet.
     */
    static ReceiveStream[] ladder(ReceiveStream[] layers, int sizeLayer, long nowNanos) {
        ReceiveStream[] out = new ReceiveStream[layers.length];
        int n = 0;
        long capArea = sizeLayer == LayerSelector.ANY ? Long.MAX_VALUE : area(layers[sizeLayer]);
        for (ReceiveStream l : layers) {
            if (LayerSelector.isActive(l, nowNanos) && area(l) <= capArea) {
                out[n++] = l;
            }
        }
        ReceiveStream[] ladder = Arrays.copyOf(out, n);
        Arrays.sort(ladder, (a, b) -> Long.compare(area(a), area(b)));
        return ladder;
    }

    private static long area(ReceiveStream l) {
        int size = l.keyFrameSize;
        return (long) (size >>> 16) * (size & 0xFFFF);
    }

    /** Index in the ladder of the given layer, or -1 (not chosen yet, or no longer active). */
    private static int rung(ReceiveStream[] ladder, int layer) {
        for (int k = 0; k < ladder.length; k++) {
            if (ladder[k].layer == layer) {
                return k;
            }
        }
        return -1;
    }

    /**
     * Rungs within {@code budget}: everyone on the lowest, then one rung up at a time, the smallest
     * next layer first (everyone to the middle layer before anyone to the top), while the total fits.
     */
    static int[] fit(ReceiveStream[][] ladders, long budget) {
        int[] rungs = new int[ladders.length];
        long used = 0;
        for (ReceiveStream[] ladder : ladders) {
            if (ladder != null && ladder.length > 0) {
                used += ladder[0].bitrateBps;
            }
        }
        while (true) {
            int best = -1;
            long bestArea = Long.MAX_VALUE;
            long bestCost = 0;
            for (int i = 0; i < ladders.length; i++) {
                ReceiveStream[] ladder = ladders[i];
                if (ladder == null || rungs[i] + 1 >= ladder.length) {
                    continue;
                }
                long cost = ladder[rungs[i] + 1].bitrateBps - ladder[rungs[i]].bitrateBps;
                long a = area(ladder[rungs[i] + 1]);
                if (used + cost <= budget && a < bestArea) {
                    best = i;
                    bestArea = a;
                    bestCost = cost;
                }
            }
            if (best < 0) {
                return rungs;
            }
            rungs[best]++;
            used += bestCost;
        }
    }
}
