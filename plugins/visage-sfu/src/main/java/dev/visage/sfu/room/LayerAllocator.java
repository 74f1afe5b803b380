package dev.visage.sfu.room;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Shares one subscriber's bandwidth estimate among the simulcast streams it receives (timer
 * thread, every 100 ms; not the packet path). The streams without layers (audio, single-layer
 * video) cost what their publishers send; what is left goes to the simulcast consumers. Each has a
 * ladder of rungs, cheapest first: the smallest layer's VP8 temporal layers one at a time (its base
 * layer alone is a quarter of the frames), then the smallest layer whole, then the larger layers.
 * Each consumer gets its lowest rung whatever the estimate (a stream is never paused), then, the
 * smallest next rung first, one rung up at a time while the sum of the rungs' measured bitrates
 * (the SFU's receive rate of each layer and temporal layer, with the per-packet overhead on the
 * wire) fits. No consumer goes above the layer its tile's size calls for ({@link LayerSelector}).
 *
 * <p>Down fast, up slowly: a consumer whose rung no longer fits the estimate drops at once (and
 * when the layer it still forwards, waiting for the lower one's key frame, costs more than the whole
 * budget, that layer stops at once: {@link Subscription#pauseUntilSwitch}); one
 * that would fit a higher rung with {@value #UP_MARGIN} times its bitrate moves up (to the highest
 * that fits so) only once that has held for {@value #UP_HOLD_NANOS} ns, and after a drop that soon
 * followed a rise (the higher layer did not fit after all) it waits twice as long as the time
 * before, up to {@value #MAX_UP_HOLD_NANOS} ns.
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
     * One step of a consumer's ladder: a simulcast layer, the highest temporal layer sent of it
     * ({@link Subscription#ALL_TEMPORAL_LAYERS} for all), and what that costs (bit/s, as received).
     */
    record Rung(ReceiveStream layer, int temporal, long bps, long area) {
        int key() {
            return layer.layer << 4 | temporal;
        }
    }

    /**
     * Chooses each simulcast subscription's layer for an estimate of {@code estimateBps} (bit/s)
     * and moves its target there; returns, per subscription, the layer whose key frame the
     * endpoint should ask for (see {@link Subscription#retarget}), or {@link LayerSelector#ANY}.
     * While {@code queueStands} (the queue a cut left on the downlink has not drained) nothing rises,
     * and a rise's hold starts over once it has: under a 300 kbit/s cap the queue stayed 90-190 ms
     * deep for 2.5 s after the switch down, and a temporal layer added then overflowed it.
     */
    static int[] allocate(Subscription[] subs, long estimateBps, boolean queueStands, long nowNanos) {
        int n = subs.length;
        int[] keyFrames = new int[n];
        Arrays.fill(keyFrames, LayerSelector.ANY);
        long budget = estimateBps;
        Rung[][] ladders = new Rung[n][];
        for (int i = 0; i < n; i++) {
            Subscription s = subs[i];
            PublishedTrack t = s.track;
            if (t.simulcast) {
                ladders[i] = ladder(t.layers, s.sizeLayer(nowNanos), nowNanos);
            } else {
                budget -= t.layers[0].wireBitrateBps;
            }
        }
        int[] fitNow = fit(ladders, budget);
        int[] fitWithMargin = fit(ladders, (long) (budget / UP_MARGIN));
        for (int i = 0; i < n; i++) {
            Rung[] ladder = ladders[i];
            if (ladder == null) {
                continue;
            }
            Subscription s = subs[i];
            if (ladder.length == 0) {
                s.limitTemporalLayer(Subscription.ALL_TEMPORAL_LAYERS);
                keyFrames[i] = s.retarget(LayerSelector.ANY, nowNanos);
                continue;
            }
            int current = rung(ladder, s.bandwidthRung);
            int next = current;
            if (current < 0 || fitNow[i] < current) {
                next = current < 0 ? fitWithMargin[i] : fitNow[i];
                if (current >= 0 && nowNanos - s.risenAtNanos < FAILED_RISE_NANOS) {
                    s.upHoldNanos = Math.min(MAX_UP_HOLD_NANOS, 2 * s.upHoldNanos);
                }
                s.upSinceNanos = 0;
            } else if (fitWithMargin[i] > current && !queueStands) {
                if (s.upSinceNanos == 0) {
                    s.upSinceNanos = nowNanos;
                } else if (nowNanos - s.upSinceNanos >= s.upHoldNanos) {
                    next = fitWithMargin[i];
                    s.upSinceNanos = 0;
                    s.risenAtNanos = nowNanos;
                }
            } else {
                s.upSinceNanos = 0;
                if (nowNanos - s.risenAtNanos > FAILED_RISE_NANOS && s.upHoldNanos > UP_HOLD_NANOS) {
                    s.upHoldNanos = Math.max(UP_HOLD_NANOS, s.upHoldNanos / 2); // the rise held: trust rises again
                }
            }
            Rung chosen = ladder[next];
            s.bandwidthRung = chosen.key();
            s.limitTemporalLayer(chosen.temporal());
            keyFrames[i] = s.retarget(chosen.layer().layer, nowNanos);
            int forwarded = s.currentLayer();
            if (forwarded >= 0 && forwarded != chosen.layer().layer && s.track.layers[forwarded].wireBitrateBps > budget) {
                s.pauseUntilSwitch();
            }
        }
        return keyFrames;
    }

    /**
     * A probe found room on the subscriber's downlink: the path has changed (a cap lifted), so the
     * rises that failed before it say nothing now, and the next rise waits only the base hold.
     */
    static void forgetFailedRises(Subscription[] subs) {
        for (Subscription s : subs) {
            s.upHoldNanos = UP_HOLD_NANOS;
        }
    }

    /**
     * What the subscriber's streams would cost at the layers their sizes ask for (bit/s on the
     * wire): what a probe should find room for before the allocation can rise that far.
     */
    static long wantedBps(Subscription[] subs, long nowNanos) {
        long wanted = 0;
        for (Subscription s : subs) {
            PublishedTrack t = s.track;
            if (!t.simulcast) {
                wanted += t.layers[0].wireBitrateBps;
                continue;
            }
            Rung[] ladder = ladder(t.layers, s.sizeLayer(nowNanos), nowNanos);
            if (ladder.length > 0) {
                wanted += ladder[ladder.length - 1].bps();
            }
        }
        return wanted;
    }

    /**
     * The rungs of a track, cheapest first: its active layers (a packet lately and a known size)
     * up to the size-chosen one (all of them when that is not known yet), the smallest of them
     * first with its temporal layers added one at a time when it has them (VP8's base layer at a
     * quarter of the frame rate, then half, then all).
     */
    static Rung[] ladder(ReceiveStream[] layers, int sizeLayer, long nowNanos) {
        List<Rung> out = new ArrayList<>();
        long capArea = sizeLayer == LayerSelector.ANY ? Long.MAX_VALUE : area(layers[sizeLayer]);
        ReceiveStream smallest = null;
        for (ReceiveStream l : layers) {
            if (LayerSelector.isActive(l, nowNanos) && area(l) <= capArea) {
                out.add(new Rung(l, Subscription.ALL_TEMPORAL_LAYERS, l.wireBitrateBps, area(l)));
                if (smallest == null || area(l) < area(smallest)) {
                    smallest = l;
                }
            }
        }
        if (smallest != null) {
            for (int k = 0; k < smallest.highestTemporalLayer; k++) {
                out.add(new Rung(smallest, k, smallest.temporalBitrateBps[k], area(smallest)));
            }
        }
        out.sort(Comparator.comparingLong(Rung::area).thenComparingInt(Rung::temporal));
        return out.toArray(new Rung[0]);
    }

    private static long area(ReceiveStream l) {
        int size = l.keyFrameSize;
        return (long) (size >>> 16) * (size & 0xFFFF);
    }

    /** Index in the ladder of the rung with this key, or -1 (not chosen yet, or no longer there). */
    private static int rung(Rung[] ladder, int key) {
        for (int k = 0; k < ladder.length; k++) {
            if (ladder[k].key() == key) {
                return k;
            }
        }
        return -1;
    }

    /**
     * Rungs within {@code budget}: everyone on the lowest, then one rung up at a time, the smallest
     * next layer first (everyone to the middle layer before anyone to the top), while the total fits.
     */
    static int[] fit(Rung[][] ladders, long budget) {
        int[] rungs = new int[ladders.length];
        long used = 0;
        for (Rung[] ladder : ladders) {
            if (ladder != null && ladder.length > 0) {
                used += ladder[0].bps();
            }
        }
        while (true) {
            int best = -1;
            long bestArea = Long.MAX_VALUE;
            int bestTemporal = Integer.MAX_VALUE;
            long bestCost = 0;
            for (int i = 0; i < ladders.length; i++) {
                Rung[] ladder = ladders[i];
                if (ladder == null || rungs[i] + 1 >= ladder.length) {
                    continue;
                }
                Rung up = ladder[rungs[i] + 1];
                long cost = up.bps() - ladder[rungs[i]].bps();
                boolean smaller = up.area() < bestArea || up.area() == bestArea && up.temporal() < bestTemporal;
                if (used + cost <= budget && smaller) {
                    best = i;
                    bestArea = up.area();
                    bestTemporal = up.temporal();
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
