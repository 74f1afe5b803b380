package dev.visage.sfu.bwe;

/**
 * The slope of the one-way delay over time (GCC's trendline filter): accumulates the inter-group
 * delay variations, smooths them, and fits a least-squares line through the last
 * {@value #WINDOW} (arrival time, smoothed delay) points. A positive slope is a queue building up.
 * The result is scaled like WebRTC's "modified trend" (times the number of samples, up to 60, and
 * a gain of 4) so that it compares with the {@link OveruseDetector}'s millisecond threshold.
 */
final class TrendlineEstimator {
    static final int WINDOW = 20;
    private static final double SMOOTHING = 0.9;
    private static final double GAIN = 4.0;
    private static final int MAX_DELTAS_COUNTED = 60;

    private final double[] times = new double[WINDOW];
    private final double[] delays = new double[WINDOW];
    private int filled;
    private int next;
    private int deltas;
    private double accumulatedMs;
    private double smoothedMs;
    private long firstArrivalMicros = -1;
    private double slope;

    /** Adds one group's delay variation; returns the modified trend (ms). */
    double update(double delayVariationMs, long arrivalMicros) {
        if (firstArrivalMicros < 0) {
            firstArrivalMicros = arrivalMicros;
        }
        deltas = Math.min(deltas + 1, 1000);
        accumulatedMs += delayVariationMs;
        smoothedMs = SMOOTHING * smoothedMs + (1 - SMOOTHING) * accumulatedMs;
        times[next] = (arrivalMicros - firstArrivalMicros) / 1000.0;
        delays[next] = smoothedMs;
        next = (next + 1) % WINDOW;
        filled = Math.min(filled + 1, WINDOW);
        if (filled == WINDOW) {
            slope = fitSlope();
        }
        return modifiedTrend();
    }

    double modifiedTrend() {
        return Math.min(deltas, MAX_DELTAS_COUNTED) * slope * GAIN;
    }

    int deltas() {
        return deltas;
    }

    private double fitSlope() {
        double meanT = 0;
        double meanD = 0;
        for (int i = 0; i < WINDOW; i++) {
            meanT += times[i];
            meanD += delays[i];
        }
        meanT /= WINDOW;
        meanD /= WINDOW;
        double num = 0;
        double den = 0;
        for (int i = 0; i < WINDOW; i++) {
            double dt = times[i] - meanT;
            num += dt * (delays[i] - meanD);
            den += dt * dt;
        }
        return den == 0 ? slope : num / den;
    }
}
