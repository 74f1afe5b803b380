package dev.visage.sfu.bwe;

/**
 * What we sent on one transport, by transport-wide sequence number: when and how many bytes, in
 * a ring of preallocated arrays (the send path records every packet; no allocation). A slot holds
 * its sequence number, so a lookup of a number the ring has overwritten since finds nothing.
 */
final class SentPacketHistory {
    static final int CAPACITY = 8192;
    private static final int MASK = CAPACITY - 1;
    private static final int EMPTY = -1;

    private final long[] sentNanos = new long[CAPACITY];
    private final int[] sizes = new int[CAPACITY];
    private final int[] sequences = new int[CAPACITY];
    private final int[] clusters = new int[CAPACITY];

    SentPacketHistory() {
        java.util.Arrays.fill(sequences, EMPTY);
    }

    /** {@code cluster}: the probe cluster the packet belongs to, 0 for none. */
    void record(int seq, int bytes, long nowNanos, int cluster) {
        int i = seq & MASK;
        sequences[i] = seq & 0xFFFF;
        sizes[i] = bytes;
        sentNanos[i] = nowNanos;
        clusters[i] = cluster;
    }

    int cluster(int seq) {
        return clusters[seq & MASK];
    }

    boolean has(int seq) {
        return sequences[seq & MASK] == (seq & 0xFFFF);
    }

    long sentNanos(int seq) {
        return sentNanos[seq & MASK];
    }

    int size(int seq) {
        return sizes[seq & MASK];
    }

    /** Reported once (received or lost): later reports of it are ignored. */
    void forget(int seq) {
        sequences[seq & MASK] = EMPTY;
    }
}
