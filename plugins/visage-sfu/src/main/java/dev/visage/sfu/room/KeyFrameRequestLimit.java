package dev.visage.sfu.room;

import dev.visage.sfu.SfuMetrics;

/**
 * How often a key frame of one stream is asked of its source: at most once per
 * {@code visage.sfu.pli-interval-ms}, however many subscribers send PLIs or switch layers meanwhile
 * (the publisher would answer each with a large key frame). The same limit holds for a PLI to a
 * local publisher and for a key-frame request over the relay to the stream's origin node; what it
 * holds back is counted as suppressed. Each stream keeps the time of its last request.
 */
final class KeyFrameRequestLimit {
    private final long minIntervalNanos;
    private final SfuMetrics metrics;

    KeyFrameRequestLimit(long minIntervalMillis, SfuMetrics metrics) {
        this.minIntervalNanos = minIntervalMillis * 1_000_000L;
        this.metrics = metrics;
    }

    /** True (and the stream notes the time) if a key frame of it may be asked for now; else counted as suppressed. */
    boolean allows(ReceiveStream stream, long nowNanos) {
        if (stream.allowKeyFrameRequest(nowNanos, minIntervalNanos)) {
            return true;
        }
        metrics.plisSuppressed.incrementAndGet();
        return false;
    }
}
