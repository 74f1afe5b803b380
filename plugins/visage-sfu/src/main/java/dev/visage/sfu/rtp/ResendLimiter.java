package dev.visage.sfu.rtp;

/**
 * Decides whether a NACKed packet may be resent to ONE subscriber (one instance per subscriber),
 * like JVB's NackHandler + PacketCache: a (stream, sequence number) is resent
 * <ul>
 *   <li>at most once per the subscriber's RTT ({@link #onRtt}; {@link #DEFAULT_RTT_NANOS} until a
 *       measurement arrives) plus the queue standing on its downlink now ({@link #onStandingQueue}),
 *       clamped to [{@link #MIN_INTERVAL_NANOS}, {@link #MAX_INTERVAL_NANOS}],</li>
 *   <li>at most {@code maxPerSeq} times in total,</li>
 *   <li>and only while the resends of the last {@code windowNanos} stay below {@code budgetRatio} x the
 *       packets forwarded to this subscriber in that window (a sliding window of 10 buckets, rolled by
 *       {@link #tick}, which the endpoint's 100 ms timer calls, and by every decision).</li>
 * </ul>
 * The per-packet history is a fixed table (no allocation); a slot taken by another packet, or
 * older than {@link #HISTORY_NANOS}, counts as fresh. Thread-safe (one lock; NACK rate, not packet rate).
 */
public final class ResendLimiter {
    public static final int ALLOW = 0;
    /** Already resent within the last RTT. */
    public static final int TOO_SOON = 1;
    /** Already resent maxPerSeq times. */
    public static final int TOO_MANY = 2;
    /** The subscriber's resend budget of the window is used up. */
    public static final int OVER_BUDGET = 3;

    public static final long DEFAULT_RTT_NANOS = 150_000_000L;
    public static final long MIN_INTERVAL_NANOS = 50_000_000L;
    public static final long MAX_INTERVAL_NANOS = 1_000_000_000L;
    static final long HISTORY_NANOS = 3_000_000_000L;
    static final int BROWSER_NACK_RETRIES = 10;
    private static final int SLOTS = 2048;
    private static final int BUCKETS = 10;

    private final int maxPerSeq;
    private final double budgetRatio;
    private final long bucketNanos;

    private final int[] ssrcs = new int[SLOTS];
    private final int[] seqs = new int[SLOTS];
    private final long[] firstAt = new long[SLOTS];
    private final long[] lastAt = new long[SLOTS];
    private final int[] counts = new int[SLOTS];

    private final long[] forwardedAtBucket = new long[BUCKETS];
    private final long[] resentAtBucket = new long[BUCKETS];
    private long bucket = Long.MIN_VALUE;
    private long resentTotal;
    private long lastForwardedSeen;

    private long rttNanos = -1;
    private long standingQueueNanos;

    public ResendLimiter(int maxPerSeq, double budgetRatio, long windowNanos) {
        this.maxPerSeq = maxPerSeq;
        this.budgetRatio = budgetRatio;
        this.bucketNanos = Math.max(1, windowNanos / BUCKETS);
        java.util.Arrays.fill(seqs, -1);
    }

    /**
     * As many resends per packet as a browser asks for (libwebrtc's NACK module retries a packet
     * up to 10 times, once per RTT, then gives up and waits for a key frame), resends at most 50 %
     * of the forwarded packets of the last second. A lower per-packet cap stalls video: with 3, at
     * 5 % loss each way about 1 in 8,000 lost packets had all three resends lost too, and Chromium
     * froze ~3 s until its own key-frame request (seen in the loss scenario of the suite).
     */
    public static ResendLimiter standard() {
        return new ResendLimiter(BROWSER_NACK_RETRIES, 0.5, 1_000_000_000L);
    }

    /** A round-trip measurement (smoothed 7/8 old + 1/8 new, like TCP's SRTT). */
    public synchronized void onRtt(long nanos) {
        if (nanos < 0 || nanos > 10_000_000_000L) {
            return;
        }
        rttNanos = rttNanos < 0 ? nanos : (7 * rttNanos + nanos) / 8;
    }

    /** Smoothed RTT, or -1 while unknown. */
    public synchronized long rttNanos() {
        return rttNanos;
    }

    /**
     * The queue standing on the subscriber's downlink now (from its transport-wide feedback, every
     * 100 ms). The RTT comes from receiver reports, about one a second, smoothed over eight: when a
     * cap fills a 200 ms queue it lags by seconds, and a capture showed the same packets resent
     * twice 100 ms apart into that queue, the first copy still in it.
     */
    public synchronized void onStandingQueue(long nanos) {
        standingQueueNanos = Math.max(0, nanos);
    }

    /** The minimum time between two resends of one packet. */
    public synchronized long resendIntervalNanos() {
        long r = (rttNanos < 0 ? DEFAULT_RTT_NANOS : rttNanos) + standingQueueNanos;
        return Math.max(MIN_INTERVAL_NANOS, Math.min(MAX_INTERVAL_NANOS, r));
    }

    /** Rolls the budget window; forwardedTotal = packets forwarded to this subscriber so far (monotonic). */
    public synchronized void tick(long now, long forwardedTotal) {
        advance(now, forwardedTotal);
    }

    private void advance(long now, long forwardedTotal) {
        long b = Math.floorDiv(now, bucketNanos);
        if (bucket == Long.MIN_VALUE) {
            bucket = b - BUCKETS;     // the window starts empty: totals 0 in every bucket
        }
        if (b <= bucket) {
            lastForwardedSeen = forwardedTotal;
            return;
        }
        // a bucket's snapshot is the totals at its start; for buckets nobody observed (no tick)
        // the last totals seen are the best guess (errs towards allowing, never blocks on a gap)
        long from = Math.max(bucket + 1, b - BUCKETS + 1);
        for (long k = from; k <= b; k++) {
            int i = (int) Math.floorMod(k, (long) BUCKETS);
            forwardedAtBucket[i] = lastForwardedSeen;
            resentAtBucket[i] = resentTotal;
        }
        bucket = b;
        lastForwardedSeen = forwardedTotal;
    }

    /**
     * May (ssrc, seq) be resent now? On {@link #ALLOW} the resend is recorded (call only when
     * about to send it). forwardedTotal: packets forwarded to this subscriber so far.
     */
    public synchronized int tryResend(int ssrc, int seq, long now, long forwardedTotal) {
        advance(now, forwardedTotal);
        int i = slot(ssrc, seq);
        boolean known = seqs[i] == seq && ssrcs[i] == ssrc && now - firstAt[i] < HISTORY_NANOS;
        if (known) {
            if (counts[i] >= maxPerSeq) {
                return TOO_MANY;
            }
            if (now - lastAt[i] < resendIntervalNanos()) {
                return TOO_SOON;
            }
        }
        // window start = the oldest bucket's snapshot (the bucket after the current one, mod 10)
        int oldest = (int) Math.floorMod(bucket + 1, (long) BUCKETS);
        long forwardedInWindow = forwardedTotal - forwardedAtBucket[oldest];
        long resentInWindow = resentTotal - resentAtBucket[oldest];
        if (resentInWindow + 1 > budgetRatio * forwardedInWindow) {
            return OVER_BUDGET;
        }
        resentTotal++;
        if (!known) {
            ssrcs[i] = ssrc;
            seqs[i] = seq;
            firstAt[i] = now;
            counts[i] = 0;
        }
        counts[i]++;
        lastAt[i] = now;
        return ALLOW;
    }

    private static int slot(int ssrc, int seq) {
        return (seq ^ ((ssrc * 0x9E3779B1) >>> 21)) & (SLOTS - 1);
    }
}
