package dev.visage.sfu.rtp;

/**
 * Ring of the last N packets of one RTP stream, indexed by sequence number, for answering NACKs.
 * All storage is preallocated; {@link #put} copies into a slot. Not thread-safe: callers lock.
 */
public final class PacketCache {
    public static final int SLOT_SIZE = 1500;

    private final int size;
    private final byte[][] slots;
    private final int[] lengths;
    private final int[] seqs;
    private final long[] lastResentNanos;

    public PacketCache(int size) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("size must be a power of two");
        }
        this.size = size;
        this.slots = new byte[size][SLOT_SIZE];
        this.lengths = new int[size];
        this.seqs = new int[size];
        this.lastResentNanos = new long[size];
        java.util.Arrays.fill(seqs, -1);
    }

    public void put(byte[] buf, int off, int len) {
        if (len > SLOT_SIZE) {
            return;
        }
        int seq = RtpPacket.sequence(buf, off);
        int i = seq & (size - 1);
        System.arraycopy(buf, off, slots[i], 0, len);
        lengths[i] = len;
        seqs[i] = seq;
        lastResentNanos[i] = 0;
    }

    /** Copies the packet with this sequence into dst at 0 and returns its length, or -1 if gone. */
    public int get(int seq, byte[] dst) {
        int i = seq & (size - 1);
        if (seqs[i] != seq) {
            return -1;
        }
        System.arraycopy(slots[i], 0, dst, 0, lengths[i]);
        return lengths[i];
    }

    /** Marks a resend unless one happened within minIntervalNanos; returns true if allowed. */
    public boolean markResent(int seq, long nowNanos, long minIntervalNanos) {
        int i = seq & (size - 1);
        if (seqs[i] != seq) {
            return false;
        }
        if (lastResentNanos[i] != 0 && nowNanos - lastResentNanos[i] < minIntervalNanos) {
            return false;
        }
        lastResentNanos[i] = nowNanos;
        return true;
    }
}
