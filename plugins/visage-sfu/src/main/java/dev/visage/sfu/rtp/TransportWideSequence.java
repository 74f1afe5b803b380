package dev.visage.sfu.rtp;

/**
 * Writes the transport-wide sequence number header extension (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01: a one-byte RFC 8285 element of two bytes) into an RTP packet in place: overwrites
 * the element when the packet carries one under that id (a publisher's, kept by the id remap), or
 * inserts it, growing the extension block by one word or adding a block, and moving the payload.
 * No allocation.
 */
public final class TransportWideSequence {
    /** Bytes an insertion may add (a new extension block: profile word + one element word). */
    public static final int MAX_GROWTH = 8;

    private TransportWideSequence() {
    }

    /**
     * Sets the packet's transport-wide sequence number to {@code seq} under extension {@code id}.
     * Returns the packet's new length, or -1 when it cannot (a two-byte extension block, a
     * malformed header, or fewer than {@code reserve} bytes left after the grown packet in
     * {@code b}, which SRTP's tag needs), leaving the packet unchanged.
     */
    public static int write(byte[] b, int off, int len, int id, int seq, int reserve) {
        int hl = RtpPacket.headerLength(b, off, len);
        if (hl < 0) {
            return -1;
        }
        if ((b[off] & 0x10) == 0) {
            return insertBlock(b, off, len, hl, id, seq, reserve);
        }
        if (RtpPacket.extensionProfile(b, off) != 0xBEDE) {
            return -1;
        }
        long at = RtpPacket.findExtension(b, off, len, id);
        if (at >= 0) {
            if ((at & 0xFF) != 2) {
                return -1;
            }
            RtpPacket.w16(b, (int) (at >>> 8), seq);
            return len;
        }
        if (off + len + 4 + reserve > b.length) {
            return -1;
        }
        // a new word at the end of the block: the element, then one byte of padding
        System.arraycopy(b, off + hl, b, off + hl + 4, len - hl);
        b[off + hl] = (byte) (id << 4 | 1);
        RtpPacket.w16(b, off + hl + 1, seq);
        b[off + hl + 3] = 0;
        int words = RtpPacket.u16(b, off + RtpPacket.FIXED_HEADER + 4 * (b[off] & 0x0F) + 2);
        RtpPacket.w16(b, off + RtpPacket.FIXED_HEADER + 4 * (b[off] & 0x0F) + 2, words + 1);
        return len + 4;
    }

    private static int insertBlock(byte[] b, int off, int len, int hl, int id, int seq, int reserve) {
        if (off + len + MAX_GROWTH + reserve > b.length) {
            return -1;
        }
        System.arraycopy(b, off + hl, b, off + hl + MAX_GROWTH, len - hl);
        RtpPacket.w16(b, off + hl, 0xBEDE);
        RtpPacket.w16(b, off + hl + 2, 1);
        b[off + hl + 4] = (byte) (id << 4 | 1);
        RtpPacket.w16(b, off + hl + 5, seq);
        b[off + hl + 7] = 0;
        b[off] |= 0x10;
        return len + MAX_GROWTH;
    }
}
