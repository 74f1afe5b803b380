package dev.visage.sfu.bwe;

/**
 * A probe: a few packets sent back to back, whose spread on arrival tells what the path carries
 * (packet-train dispersion: a bottleneck spaces them out at its own rate; an open path delivers
 * them together). The send-side estimate cannot otherwise rise much above what is sent, and an SFU
 * sends discrete simulcast layers: before a higher layer is chosen, a probe at the rate it needs
 * shows whether it fits. One cluster at a time per transport; no allocation.
 */
final class ProbeCluster {
    /** Fewer packets than this received says nothing. */
    static final int MIN_PACKETS = 4;
    /** A cluster not fully reported after this long is judged on what came. */
    static final long TIMEOUT_NANOS = 1_000_000_000L;

    private int id;
    private int nextId;
    private long targetBps;
    private long startedNanos;
    private int sent;
    private int received;
    private int lost;
    private long bytesAfterFirst;
    private long firstArrival;
    private long lastArrival;

    /** Starts a new cluster (forgetting one in progress); returns its id (never 0). */
    int start(long targetBps, long nowNanos) {
        nextId = nextId == Integer.MAX_VALUE ? 1 : nextId + 1;
        id = nextId;
        this.targetBps = targetBps;
        startedNanos = nowNanos;
        sent = 0;
        received = 0;
        lost = 0;
        bytesAfterFirst = 0;
        firstArrival = Long.MAX_VALUE;
        lastArrival = Long.MIN_VALUE;
        return id;
    }

    int id() {
        return id;
    }

    boolean active() {
        return id != 0;
    }

    void onSent() {
        sent++;
    }

    void onLost() {
        lost++;
    }

    void onReceived(long arrivalMicros, int size) {
        if (received > 0) {
            bytesAfterFirst += size;
        }
        received++;
        firstArrival = Math.min(firstArrival, arrivalMicros);
        lastArrival = Math.max(lastArrival, arrivalMicros);
    }

    /** Every packet reported, or given up waiting. */
    boolean complete(long nowNanos) {
        return sent > 0 && received + lost >= sent || nowNanos - startedNanos > TIMEOUT_NANOS;
    }

    /**
     * Ends the cluster; returns the rate it showed (bit/s, at most its target), or 0 when it
     * says nothing (too few packets came, or some were lost: the path is full).
     */
    long finish() {
        id = 0;
        if (received < MIN_PACKETS || lost > 0) {
            return 0;
        }
        long spanMicros = lastArrival - firstArrival;
        if (spanMicros <= 0) {
            return targetBps; // all at once, within the feedback's 250 us resolution: an open path
        }
        return Math.min(targetBps, bytesAfterFirst * 8_000_000L / spanMicros);
    }
}
