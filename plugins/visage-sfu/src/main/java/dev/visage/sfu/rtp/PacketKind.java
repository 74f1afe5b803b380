package dev.visage.sfu.rtp;

/** RFC 7983 demultiplexing of what arrives on the one media socket. */
public enum PacketKind {
    STUN, DTLS, RTP, RTCP, UNKNOWN;

    /** Classifies by first byte (and second byte for RTP vs RTCP, RFC 5761). */
    public static PacketKind classify(byte[] buf, int off, int len) {
        if (len < 1) {
            return UNKNOWN;
        }
        int b0 = buf[off] & 0xFF;
        if (b0 <= 3) {
            return STUN;
        }
        if (b0 >= 20 && b0 <= 63) {
            return DTLS;
        }
        if (b0 >= 128 && b0 <= 191) {
            if (len < 2) {
                return UNKNOWN;
            }
            int pt = buf[off + 1] & 0xFF;
            return pt >= 192 && pt <= 223 ? RTCP : RTP;
        }
        return UNKNOWN;
    }
}
