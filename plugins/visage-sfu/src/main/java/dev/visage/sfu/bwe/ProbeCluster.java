package dev.visage.sfu.bwe;

/**
 * A probe: a few packets paced at the rate to be tried, whose arrival tells what the path carries
 * (as GCC's probes do): an open path delivers them as they were sent; a bottleneck spaces them out
 * at its own rate. The send-side estimate cannot otherwise rise much above what is sent, and an
 * SFU sends discrete simulcast layers: before a higher layer is chosen, a probe at the rate it
 * needs shows whether it fits. One cluster at a time per transport; no allocation.
 */
final class ProbeCluster {
    /** Fewer packets than this received says nothing. */
    static final int MIN_PACKETS = 4;
    /** A cluster not fully reported after this long is judged on what came. */
    static final long TIMEOUT_NANOS = 1_000_000_000L;
    /**
     * Packets cannot arrive much faster than they were sent: a reading above this many times the
     * send rate is a busy receiver that read them late and together, and says nothing.
     */
    static final long MAX_RECEIVE_TO_SEND = 2;
    /**
     * A cluster that showed this share of what it tried (its target, or the lower rate its packets
     * went out at when the timer was late) has found room; through a cap it shows about the cap's
     * rate, and the allocator's margin keeps the cap short of what it wants.
     */
    static final long FOUND_PERCENT = 75;

    private int id;
    private int nextId;
    private long targetBps;
    private long startedNanos;
    private int planned;
    private int sent;
    private long sentBytes;
    private int lastSentSize;
    private long firstSentNanos;
    private long lastSentNanos;
    private int received;
    private int lost;
    private long bytesAfterFirst;
    private long firstArrival;
    private long lastArrival;
    private boolean foundRoom;

    /** Starts a new cluster of {@code planned} packets (forgetting one in progress); returns its id (never 0). */
    int start(long targetBps, int planned, long nowNanos) {
        nextId = nextId == Integer.MAX_VALUE ? 1 : nextId + 1;
        id = nextId;
        this.targetBps = targetBps;
        this.planned = planned;
        startedNanos = nowNanos;
        sent = 0;
        sentBytes = 0;
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

    void onSent(int size, long nowNanos) {
        if (sent == 0) {
            firstSentNanos = nowNanos;
        }
        sent++;
        sentBytes += size;
        lastSentSize = size;
        lastSentNanos = nowNanos;
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

    /** Every planned packet sent and reported, or given up waiting. */
    boolean complete(long nowNanos) {
        return sent >= planned && received + lost >= sent || nowNanos - startedNanos > TIMEOUT_NANOS;
    }

    /**
     * Ends the cluster; returns the rate it showed (bit/s): what arrived over the spread of its
     * arrival, at most what was sent over the spread of its sending and at most its target; 0 when
     * it says nothing (too few packets came, some were lost: the path is full, or they came far
     * faster than they were sent).
     */
    long finish() {
        id = 0;
        long sendBps = sent < 2 || lastSentNanos <= firstSentNanos ? targetBps
                : (sentBytes - lastSentSize) * 8_000_000_000L / (lastSentNanos - firstSentNanos);
        long shown = shown(sendBps);
        foundRoom = shown > 0 && shown * 100 >= FOUND_PERCENT * Math.min(targetBps, sendBps);
        return shown;
    }

    private long shown(long sendBps) {
        if (received < MIN_PACKETS || lost > 0) {
            return 0;
        }
        long spanMicros = lastArrival - firstArrival;
        // all at once (within the feedback's 250 us resolution) after a paced send: read together
        long receiveBps = spanMicros <= 0 ? Long.MAX_VALUE : bytesAfterFirst * 8_000_000L / spanMicros;
        if (receiveBps / MAX_RECEIVE_TO_SEND > sendBps) {
            return 0;
        }
        return Math.min(targetBps, Math.min(sendBps, receiveBps));
    }

    /** The last finished cluster found room (see {@link #FOUND_PERCENT}). */
    boolean foundRoom() {
        return foundRoom;
    }
}
