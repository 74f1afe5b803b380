package dev.visage.sfu.rtcp;

import dev.visage.sfu.rtp.RtpPacket;

/**
 * Reads a transport-wide congestion control feedback packet (RTCP RTPFB, FMT 15, draft-holmer-
 * rmcat-transport-wide-cc-extensions-01) in place: base sequence number, packet status count,
 * reference time (24 bits, 64 ms units), then packet status chunks (run length: one symbol
 * repeated; status vector: fourteen one-bit or seven two-bit symbols) and one receive delta per
 * received packet (one byte for "small", two signed bytes for "large", in 250 us units).
 *
 * <p>{@link #read} checks the whole packet before it reports a single status, so a malformed one
 * reports nothing (no partial feedback reaches the estimator). Nothing allocates or throws.
 */
public final class TransportCcFeedback {
    /** What a feedback packet says, one packet at a time, in sequence order. */
    public interface Visitor {
        /**
         * @param seq           transport-wide sequence number (16 bits)
         * @param arrivalMicros receive time on the receiver's clock (reference time plus deltas),
         *                      or {@link #NOT_RECEIVED}
         */
        void onStatus(int seq, long arrivalMicros);
    }

    public static final long NOT_RECEIVED = Long.MIN_VALUE;

    private static final int HEADER = 20;
    private static final int NOT_RECEIVED_SYMBOL = 0;
    private static final int SMALL_DELTA = 1;
    private static final int LARGE_DELTA = 2;

    private TransportCcFeedback() {
    }

    /** True if the RTCP packet at {@code at} (of plen bytes) is a transport-cc feedback. */
    public static boolean isTransportCc(byte[] b, int at, int plen) {
        return plen >= HEADER && Rtcp.type(b, at) == Rtcp.RTPFB && Rtcp.fmt(b, at) == Rtcp.FMT_TCC;
    }

    /** The feedback packet count (8 bits): tells duplicated or reordered feedback apart. */
    public static int feedbackCount(byte[] b, int at) {
        return b[at + 19] & 0xFF;
    }

    /**
     * Reports every packet status of the feedback at {@code b[at..at+plen)} to {@code visitor};
     * returns the number reported, or -1 (reporting none) when the packet is malformed.
     */
    public static int read(byte[] b, int at, int plen, Visitor visitor) {
        if (!isTransportCc(b, at, plen) || at + plen > b.length || walk(b, at, plen, null) < 0) {
            return -1;
        }
        return walk(b, at, plen, visitor);
    }

    /** Walks chunks and deltas; with a null visitor it only checks that they fit. */
    private static int walk(byte[] b, int at, int plen, Visitor visitor) {
        int end = at + plen;
        if ((b[at] & 0x20) != 0) {
            int pad = b[end - 1] & 0xFF;
            if (pad == 0 || pad > plen - HEADER) {
                return -1;
            }
            end -= pad;
        }
        int base = RtpPacket.u16(b, at + 12);
        int count = RtpPacket.u16(b, at + 14);
        if (count == 0) {
            return -1;
        }
        int ref = (b[at + 16] & 0xFF) << 16 | (b[at + 17] & 0xFF) << 8 | b[at + 18] & 0xFF;
        if ((ref & 0x800000) != 0) {
            ref |= 0xFF000000; // signed 24 bits
        }
        long arrival = ref * 64_000L;
        // chunks first: count the symbols to find where the deltas start
        int chunkAt = at + HEADER;
        int seen = 0;
        while (seen < count) {
            if (chunkAt + 2 > end) {
                return -1;
            }
            seen += symbolsIn(RtpPacket.u16(b, chunkAt), count - seen);
            chunkAt += 2;
        }
        int deltaAt = chunkAt;
        int reported = 0;
        for (int c = at + HEADER; c < chunkAt; c += 2) {
            int chunk = RtpPacket.u16(b, c);
            int n = symbolsIn(chunk, count - reported);
            for (int k = 0; k < n; k++) {
                int symbol = symbol(chunk, k);
                int seq = (base + reported) & 0xFFFF;
                reported++;
                if (symbol == NOT_RECEIVED_SYMBOL) {
                    if (visitor != null) {
                        visitor.onStatus(seq, NOT_RECEIVED);
                    }
                    continue;
                }
                if (symbol == SMALL_DELTA) {
                    if (deltaAt + 1 > end) {
                        return -1;
                    }
                    arrival += (b[deltaAt] & 0xFF) * 250L;
                    deltaAt += 1;
                } else if (symbol == LARGE_DELTA) {
                    if (deltaAt + 2 > end) {
                        return -1;
                    }
                    arrival += (short) RtpPacket.u16(b, deltaAt) * 250L;
                    deltaAt += 2;
                } else {
                    return -1; // reserved symbol
                }
                if (visitor != null) {
                    visitor.onStatus(seq, arrival);
                }
            }
        }
        return reported;
    }

    /** Statuses a chunk holds, at most {@code left} (a chunk may cover more than are left). */
    private static int symbolsIn(int chunk, int left) {
        int n;
        if ((chunk & 0x8000) == 0) {
            n = chunk & 0x1FFF; // run length
        } else {
            n = (chunk & 0x4000) == 0 ? 14 : 7;
        }
        return Math.min(n, left);
    }

    private static int symbol(int chunk, int k) {
        if ((chunk & 0x8000) == 0) {
            return chunk >> 13 & 3;
        }
        if ((chunk & 0x4000) == 0) {
            return chunk >> (13 - k) & 1;
        }
        return chunk >> (2 * (6 - k)) & 3;
    }
}
