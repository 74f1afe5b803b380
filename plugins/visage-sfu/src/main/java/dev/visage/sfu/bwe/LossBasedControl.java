package dev.visage.sfu.bwe;

/**
 * The loss-based rate (GCC, draft-ietf-rmcat-gcc section 6): from the packets the feedback says
 * were lost, over at least {@value #MIN_PACKETS} packets and {@value #MIN_INTERVAL_NANOS} ns: under
 * 2 % lost raises it by 8 % a second, over 10 % cuts it by half the loss fraction (at most once per
 * {@value #DECREASE_INTERVAL_NANOS} ns, the time the cut needs to show), in between holds. It only
 * ever limits the delay-based rate: the estimate is the smaller of the two.
 */
final class LossBasedControl {
    private static final int MIN_PACKETS = 20;
    private static final long MIN_INTERVAL_NANOS = 200_000_000L;
    private static final long DECREASE_INTERVAL_NANOS = 300_000_000L;
    private static final double LOW_LOSS = 0.02;
    private static final double HIGH_LOSS = 0.10;
    private static final double INCREASE_PER_SECOND = 1.08;

    private final long minBps;
    private final long maxBps;
    private long rateBps;
    private int lost;
    private int received;
    private long intervalStartNanos;
    private long lastUpdateNanos;
    private long lastDecreaseNanos;
    private double lastLossFraction;

    LossBasedControl(long initialBps, long minBps, long maxBps) {
        this.rateBps = initialBps;
        this.minBps = minBps;
        this.maxBps = maxBps;
    }

    void onLost() {
        lost++;
    }

    void onReceived() {
        received++;
    }

    /** After a feedback packet; {@code delayBasedBps} is where an increase starts from when lower. */
    long update(long delayBasedBps, long nowNanos) {
        if (intervalStartNanos == 0) {
            intervalStartNanos = nowNanos;
            lastUpdateNanos = nowNanos;
        }
        int total = lost + received;
        if (total < MIN_PACKETS || nowNanos - intervalStartNanos < MIN_INTERVAL_NANOS) {
            return rateBps;
        }
        double loss = (double) lost / total;
        lastLossFraction = loss;
        double seconds = Math.min(1.0, (nowNanos - lastUpdateNanos) / 1e9);
        if (loss < LOW_LOSS) {
            // no loss says nothing above the delay-based rate: rise from the lower of the two
            long from = Math.min(rateBps, delayBasedBps);
            rateBps = Math.max(rateBps, (long) (from * Math.pow(INCREASE_PER_SECOND, seconds)) + 1000);
        } else if (loss > HIGH_LOSS && nowNanos - lastDecreaseNanos >= DECREASE_INTERVAL_NANOS) {
            rateBps = (long) (Math.min(rateBps, delayBasedBps) * (1 - loss / 2));
            lastDecreaseNanos = nowNanos;
        }
        rateBps = Math.max(minBps, Math.min(maxBps, rateBps));
        lost = 0;
        received = 0;
        intervalStartNanos = nowNanos;
        lastUpdateNanos = nowNanos;
        return rateBps;
    }

    /** A probe showed the path carries {@code bps} without loss. */
    long raiseTo(long bps) {
        rateBps = Math.max(rateBps, Math.min(maxBps, bps));
        return rateBps;
    }

    long rateBps() {
        return rateBps;
    }

    double lastLossFraction() {
        return lastLossFraction;
    }
}
