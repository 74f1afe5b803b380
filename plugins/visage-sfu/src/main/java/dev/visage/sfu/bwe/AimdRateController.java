package dev.visage.sfu.bwe;

/**
 * The delay-based rate (GCC's AIMD controller, draft-ietf-rmcat-gcc section 5.5): overuse cuts
 * the rate to {@value #BETA} of what the receiver got; a normal path raises it, by 8 % a second
 * while the link's capacity is unknown or clearly passed, and by about one packet per response
 * time near the capacity last found (where the previous cut happened); underuse holds it.
 *
 * <p>Raising stops at {@value #APP_LIMITED_FACTOR} times the acknowledged rate (plus 10 kbit/s): an
 * SFU sends discrete simulcast layers, so the estimate must be able to get well above what is
 * sent now before the next layer can be chosen (GCC's 1.5 assumes an encoder that follows the
 * estimate smoothly), but not so far that an idle path claims any rate.
 */
final class AimdRateController {
    static final double BETA = 0.85;
    static final double APP_LIMITED_FACTOR = 2.0;
    private static final double INCREASE_PER_SECOND = 1.08;
    private static final long ADDITIVE_PACKET_BITS = 1200 * 8;
    private static final double RESPONSE_TIME_SECONDS = 0.2;
    private static final double CAPACITY_SMOOTHING = 0.2;

    private final long minBps;
    private final long maxBps;
    private long rateBps;
    private long lastUpdateNanos;
    private boolean hold;
    // link capacity: where the cuts happened, in kbit/s (mean, and variance normalised by the mean)
    private double capacityKbps = -1;
    private double capacityVariance = MIN_VARIANCE;
    private static final double MIN_VARIANCE = 0.4;
    private static final double MAX_VARIANCE = 2.5;

    AimdRateController(long initialBps, long minBps, long maxBps) {
        this.rateBps = initialBps;
        this.minBps = minBps;
        this.maxBps = maxBps;
    }

    long rateBps() {
        return rateBps;
    }

    /** Applies one detector signal; ackedBps is what the receiver got lately (0 if unknown). */
    long update(OveruseDetector.Signal signal, long ackedBps, long nowNanos) {
        double seconds = lastUpdateNanos == 0 ? 0 : Math.min(1.0, (nowNanos - lastUpdateNanos) / 1e9);
        lastUpdateNanos = nowNanos;
        switch (signal) {
            case OVERUSE -> decrease(ackedBps);
            case UNDERUSE -> hold = true;
            default -> {
                if (hold) {
                    hold = false; // one round of holding after underuse, then increase again
                } else {
                    increase(ackedBps, seconds);
                }
            }
        }
        rateBps = Math.max(minBps, Math.min(maxBps, rateBps));
        return rateBps;
    }

    /** A probe showed the path carries {@code bps}: the rate goes there (never down), as after an increase. */
    long raiseTo(long bps) {
        rateBps = Math.max(rateBps, Math.min(maxBps, bps));
        hold = false;
        return rateBps;
    }

    private void decrease(long ackedBps) {
        long target = ackedBps > 0 ? (long) (BETA * ackedBps) : (long) (BETA * rateBps);
        rateBps = Math.min(rateBps, target);
        if (ackedBps > 0) {
            double ackedKbps = ackedBps / 1000.0;
            if (capacityKbps > 0 && ackedKbps < capacityKbps - 3 * deviationKbps()) {
                capacityKbps = -1; // far under: the path changed
            }
            capacityKbps = capacityKbps < 0 ? ackedKbps
                    : (1 - CAPACITY_SMOOTHING) * capacityKbps + CAPACITY_SMOOTHING * ackedKbps;
            double error = capacityKbps - ackedKbps;
            capacityVariance = Math.max(MIN_VARIANCE, Math.min(MAX_VARIANCE,
                    (1 - CAPACITY_SMOOTHING) * capacityVariance + CAPACITY_SMOOTHING * error * error / capacityKbps));
        }
        hold = true;
    }

    private void increase(long ackedBps, double seconds) {
        if (capacityKbps > 0 && rateBps / 1000.0 > capacityKbps + 3 * deviationKbps()) {
            capacityKbps = -1; // clearly past the old capacity: it has grown
        }
        long next;
        if (capacityKbps > 0) {
            next = rateBps + (long) (ADDITIVE_PACKET_BITS / RESPONSE_TIME_SECONDS * seconds);
        } else {
            next = (long) (rateBps * Math.pow(INCREASE_PER_SECOND, seconds)) + 1;
        }
        if (ackedBps > 0) {
            long ceiling = (long) (APP_LIMITED_FACTOR * ackedBps) + 10_000;
            if (next > ceiling) {
                next = Math.max(rateBps, ceiling); // above it already (the initial rate): left to the cuts
            }
        }
        rateBps = next;
    }

    private double deviationKbps() {
        return Math.sqrt(capacityVariance * capacityKbps);
    }
}
