package dev.visage.sfu.bwe;

import java.util.Arrays;

/**
 * The queue standing on a subscriber's path: how much longer the quickest packet of the last
 * {@value #SHORT_BUCKETS} buckets of {@value #BUCKET_MICROS} us took than the quickest of the last
 * {@value #LONG_BUCKETS} (one-way delay as arrival minus send time: the clocks' offset cancels).
 * The delay-based detector sees a queue grow or shrink, not one that stays: under a 300 kbit/s cap
 * that the layers a subscriber cannot go below nearly fill, the link's queue stayed 90-190 ms deep
 * for 2.5 s after the switch down, and every extra burst (a probe, a key frame) overflowed it. A
 * packet whose send time was taken late reads too quick and deepens what this shows for as long as
 * it is the long minimum; packets the receiver read late only raise the short minimum if all of
 * them were: on this 2-core machine, with four Chromium pages decoding, a page that had just
 * climbed back to three 640-wide cameras on an open path read 36-62 ms (its browser reading its
 * socket late, not a network queue; hence {@link SendSideEstimator#cutQueueStands}). Buckets of
 * minima, no allocation.
 */
final class StandingQueue {
    static final long BUCKET_MICROS = 100_000;
    static final int SHORT_BUCKETS = 5;
    static final int LONG_BUCKETS = 100;

    private final long[] bucketMin = new long[LONG_BUCKETS];
    private long newestBucket = -1;

    StandingQueue() {
        Arrays.fill(bucketMin, Long.MAX_VALUE);
    }

    void onPacket(long sendMicros, long arrivalMicros) {
        long bucket = arrivalMicros / BUCKET_MICROS;
        if (newestBucket < 0 || bucket - newestBucket >= LONG_BUCKETS) {
            Arrays.fill(bucketMin, Long.MAX_VALUE);
            newestBucket = bucket;
        }
        while (newestBucket < bucket) {
            newestBucket++;
            bucketMin[(int) (newestBucket % LONG_BUCKETS)] = Long.MAX_VALUE;
        }
        if (newestBucket - bucket >= LONG_BUCKETS) {
            return; // reported long after younger packets: older than the window
        }
        int i = (int) (bucket % LONG_BUCKETS);
        bucketMin[i] = Math.min(bucketMin[i], arrivalMicros - sendMicros);
    }

    /** The standing queue (us), 0 before any packet. */
    long queueMicros() {
        long shortMin = Long.MAX_VALUE;
        long longMin = Long.MAX_VALUE;
        for (int k = 0; k < LONG_BUCKETS && newestBucket - k >= 0; k++) {
            long v = bucketMin[(int) ((newestBucket - k) % LONG_BUCKETS)];
            longMin = Math.min(longMin, v);
            if (k < SHORT_BUCKETS) {
                shortMin = Math.min(shortMin, v);
            }
        }
        return shortMin == Long.MAX_VALUE ? 0 : shortMin - longMin;
    }
}
