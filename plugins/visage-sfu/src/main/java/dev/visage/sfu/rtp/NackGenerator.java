package dev.visage.sfu.rtp;

import dev.visage.sfu.rtcp.Rtcp;

/**
 * Retransmission requester for one incoming stream (mediasoup's NackGenerator, JVB's
 * RetransmissionRequester): notes sequence gaps as packets arrive, and writes generic NACKs for
 * the packets still missing, each asked for at most {@link #MAX_TRIES} times and not more often
 * than the retry interval. Fixed-size state, no allocation; callers synchronize.
 */
public final class NackGenerator {
    public static final int CAPACITY = 128;
    /**
     * 10 requests, one per retry interval (100 ms): a browser resends a packet at most once per its
     * RTT estimate, so at 5 % loss each way 5 requests in 500 ms sometimes got no answer through.
     */
    public static final int MAX_TRIES = 10;
    /** Gaps wider than this are treated as a stream jump, not loss. */
    public static final int MAX_GAP = 100;

    private final int[] missing = new int[CAPACITY];
    private final int[] tries = new int[CAPACITY];
    private final long[] lastAsked = new long[CAPACITY];
    private final long[] addedAt = new long[CAPACITY];
    private long recoveryNanosTotal;
    private long recoveryNanosMax;
    private int count;
    private int highest = -1;
    private long recovered;
    private long gaveUp;

    /** {@link #onPacket}: the packet is ahead of every one seen so far. */
    public static final int NEW = 0;
    /** {@link #onPacket}: the packet filled a hole we were asking for. */
    public static final int RECOVERED = 1;
    /** {@link #onPacket}: the packet is behind the highest and no hole: a copy we already had. */
    public static final int DUPLICATE = 2;

    /**
     * Records an arriving sequence number and says what it was: {@link #NEW}, {@link #RECOVERED}
     * or {@link #DUPLICATE}. An RTX packet can be NEW: Chromium pads with RTX copies of recent
     * packets, and such a copy may arrive before the gap its lost original left was seen.
     */
    public int onPacket(int seq) {
        if (highest < 0) {
            highest = seq;
            return NEW;
        }
        int delta = (seq - highest) & 0xFFFF;
        if (delta == 0) {
            return DUPLICATE;
        }
        if (delta < 0x8000) {
            if (delta > MAX_GAP) {
                count = 0; // stream jumped: forget old holes
            } else {
                for (int s = (highest + 1) & 0xFFFF; s != seq; s = (s + 1) & 0xFFFF) {
                    add(s);
                }
            }
            highest = seq;
            return NEW;
        }
        return remove(seq) ? RECOVERED : DUPLICATE;
    }

    /** The stream starts over (a relayed layer the origin paused and sends again): no holes, no highest. */
    public void restart() {
        highest = -1;
        count = 0;
    }

    private void add(int seq) {
        if (count == CAPACITY) {
            System.arraycopy(missing, 1, missing, 0, CAPACITY - 1);
            System.arraycopy(tries, 1, tries, 0, CAPACITY - 1);
            System.arraycopy(lastAsked, 1, lastAsked, 0, CAPACITY - 1);
            System.arraycopy(addedAt, 1, addedAt, 0, CAPACITY - 1);
            count--;
        }
        addedAt[count] = System.nanoTime();
        missing[count] = seq;
        tries[count] = 0;
        lastAsked[count] = 0;
        count++;
    }

    private boolean remove(int seq) {
        for (int i = 0; i < count; i++) {
            if (missing[i] == seq) {
                long took = System.nanoTime() - addedAt[i];
                recoveryNanosTotal += took;
                recoveryNanosMax = Math.max(recoveryNanosMax, took);
                System.arraycopy(addedAt, i + 1, addedAt, i, count - i - 1);
                System.arraycopy(missing, i + 1, missing, i, count - i - 1);
                System.arraycopy(tries, i + 1, tries, i, count - i - 1);
                System.arraycopy(lastAsked, i + 1, lastAsked, i, count - i - 1);
                count--;
                recovered++;
                return true;
            }
        }
        return false;
    }

    public int missingCount() {
        return count;
    }

    public long recovered() {
        return recovered;
    }

    /** Sum and maximum of gap-detected-to-filled times of the recovered packets. */
    public long recoveryNanosTotal() {
        return recoveryNanosTotal;
    }

    public long recoveryNanosMax() {
        return recoveryNanosMax;
    }

    /** Packets given up after MAX_TRIES requests. */
    public long gaveUp() {
        return gaveUp;
    }

    /**
     * Writes one RTPFB generic NACK for the packets due a (re)request at dst[at] and returns its
     * length, or 0 if none is due. Packets asked MAX_TRIES times are given up.
     */
    public int writeNack(byte[] dst, int at, int senderSsrc, int mediaSsrc, long nowNanos, long retryNanos) {
        int w = at + 12;
        int i = 0;
        int entries = 0;
        int pid = -1;
        int blp = 0;
        while (i < count) {
            if (tries[i] >= MAX_TRIES) {
                gaveUp++;
                System.arraycopy(addedAt, i + 1, addedAt, i, count - i - 1);
                System.arraycopy(missing, i + 1, missing, i, count - i - 1);
                System.arraycopy(tries, i + 1, tries, i, count - i - 1);
                System.arraycopy(lastAsked, i + 1, lastAsked, i, count - i - 1);
                count--;
                continue;
            }
            if (lastAsked[i] != 0 && nowNanos - lastAsked[i] < retryNanos) {
                i++;
                continue;
            }
            int s = missing[i];
            tries[i]++;
            lastAsked[i] = nowNanos;
            int d = (s - pid) & 0xFFFF;
            if (pid >= 0 && d >= 1 && d <= 16) {
                blp |= 1 << (d - 1);
            } else {
                if (pid >= 0) {
                    RtpPacket.w16(dst, w, pid);
                    RtpPacket.w16(dst, w + 2, blp);
                    w += 4;
                    entries++;
                }
                if (entries == 64) {
                    break;
                }
                pid = s;
                blp = 0;
            }
            i++;
        }
        if (pid >= 0) {
            RtpPacket.w16(dst, w, pid);
            RtpPacket.w16(dst, w + 2, blp);
            w += 4;
            entries++;
        }
        if (entries == 0) {
            return 0;
        }
        dst[at] = (byte) (0x80 | Rtcp.FMT_NACK);
        dst[at + 1] = (byte) Rtcp.RTPFB;
        RtpPacket.w32(dst, at + 4, senderSsrc);
        RtpPacket.w32(dst, at + 8, mediaSsrc);
        Rtcp.setLengthBytes(dst, at, w - at);
        return w - at;
    }
}
