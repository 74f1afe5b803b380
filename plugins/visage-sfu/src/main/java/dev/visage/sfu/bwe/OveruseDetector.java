package dev.visage.sfu.bwe;

/**
 * Compares the delay trend with an adaptive threshold (GCC, draft-ietf-rmcat-gcc section 5.4):
 * over it for more than {@value #OVERUSE_MICROS} us and two samples, with the trend still rising,
 * is overuse; under minus it is underuse (queues draining). The threshold follows the trend
 * slowly upwards and faster downwards, so a path with steady delay noise does not look congested
 * and a real queue still shows.
 */
final class OveruseDetector {
    enum Signal { NORMAL, OVERUSE, UNDERUSE }

    private static final double K_UP = 0.0087;
    private static final double K_DOWN = 0.039;
    private static final double INITIAL_THRESHOLD_MS = 12.5;
    private static final double MIN_THRESHOLD_MS = 6;
    private static final double MAX_THRESHOLD_MS = 600;
    private static final long OVERUSE_MICROS = 10_000;
    /** A trend this far over the threshold is a spike: the threshold does not chase it. */
    private static final double MAX_ADAPT_OFFSET_MS = 15;

    private double thresholdMs = INITIAL_THRESHOLD_MS;
    private long lastUpdateMicros = -1;
    private long overusingMicros = -1;
    private int overuseCount;
    private double previousTrend;
    private Signal signal = Signal.NORMAL;

    Signal detect(double modifiedTrend, int deltas, long sendDeltaMicros, long nowMicros) {
        if (deltas < 2) {
            return signal;
        }
        if (modifiedTrend > thresholdMs) {
            overusingMicros = overusingMicros < 0 ? sendDeltaMicros / 2 : overusingMicros + sendDeltaMicros;
            overuseCount++;
            if (overusingMicros > OVERUSE_MICROS && overuseCount > 1 && modifiedTrend >= previousTrend) {
                overusingMicros = 0;
                overuseCount = 0;
                signal = Signal.OVERUSE;
            }
        } else if (modifiedTrend < -thresholdMs) {
            overusingMicros = -1;
            overuseCount = 0;
            signal = Signal.UNDERUSE;
        } else {
            overusingMicros = -1;
            overuseCount = 0;
            signal = Signal.NORMAL;
        }
        previousTrend = modifiedTrend;
        adaptThreshold(Math.abs(modifiedTrend), nowMicros);
        return signal;
    }

    private void adaptThreshold(double trend, long nowMicros) {
        if (lastUpdateMicros < 0) {
            lastUpdateMicros = nowMicros;
        }
        if (trend > thresholdMs + MAX_ADAPT_OFFSET_MS) {
            lastUpdateMicros = nowMicros;
            return;
        }
        double k = trend < thresholdMs ? K_DOWN : K_UP;
        double dtMs = Math.min(nowMicros - lastUpdateMicros, 100_000) / 1000.0;
        thresholdMs += k * (trend - thresholdMs) * dtMs;
        thresholdMs = Math.max(MIN_THRESHOLD_MS, Math.min(MAX_THRESHOLD_MS, thresholdMs));
        lastUpdateMicros = nowMicros;
    }

    double thresholdMs() {
        return thresholdMs;
    }
}
