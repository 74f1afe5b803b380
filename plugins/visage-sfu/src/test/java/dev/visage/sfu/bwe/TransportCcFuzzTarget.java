package dev.visage.sfu.bwe;

import dev.visage.fuzz.Placement;

/**
 * Fuzz target "transport-cc": one RTCP packet, as a subscriber's transport-cc feedback, into a
 * send-side estimator that has sent 1000 packets (so most sequence numbers are its own). Reading
 * must not depend on the bytes after the packet nor read past it, never throw, and leave the
 * estimate within its bounds whatever the feedback says.
 */
public final class TransportCcFuzzTarget {
    private static SendSideEstimator estimator;
    private static long now = 1_000_000_000L;

    private TransportCcFuzzTarget() {
    }

    public static void fuzzerInitialize() {
        estimator = new SendSideEstimator();
        for (int i = 0; i < 1000; i++) {
            estimator.onSent(1000, now + i * 1_000_000L);
        }
    }

    public static void fuzzerTestOneInput(byte[] packet) {
        if (packet.length < 4) {
            return;
        }
        now += 50_000_000L;
        boolean used = estimator.onFeedback(Placement.exact(packet), Placement.OFFSET, packet.length, now);
        long estimate = estimator.estimateBps();
        if (estimate < SendSideEstimator.MIN_BPS || estimate > SendSideEstimator.MAX_BPS) {
            throw new AssertionError("estimate out of bounds: " + estimate + " (feedback used: " + used + ")");
        }
    }
}
