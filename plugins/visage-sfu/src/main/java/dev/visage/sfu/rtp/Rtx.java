package dev.visage.sfu.rtp;

/** RFC 4588 retransmission payload format, in place. */
public final class Rtx {
    private Rtx() {
    }

    /**
     * Turns an RTX packet back into the original packet in place: sequence = OSN, given SSRC and
     * payload type, the 2-byte OSN removed, padding dropped. Returns the new length, or -1 if the
     * packet carries no media (padding-only probe) or is malformed.
     */
    public static int unwrap(byte[] b, int off, int len, int ssrc, int payloadType) {
        int hl = RtpPacket.headerLength(b, off, len);
        if (hl < 0) {
            return -1;
        }
        int payload = RtpPacket.payloadLength(b, off, len);
        if (payload <= 2) {
            return -1;
        }
        int osn = RtpPacket.u16(b, off + hl);
        System.arraycopy(b, off + hl + 2, b, off + hl, payload - 2);
        b[off] &= (byte) ~0x20;
        RtpPacket.setSequence(b, off, osn);
        RtpPacket.setSsrc(b, off, ssrc);
        RtpPacket.setPayloadType(b, off, payloadType);
        return hl + payload - 2;
    }
}
