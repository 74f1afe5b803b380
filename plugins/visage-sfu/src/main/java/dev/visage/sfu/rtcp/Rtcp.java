package dev.visage.sfu.rtcp;

import static dev.visage.sfu.rtp.RtpPacket.i32;
import static dev.visage.sfu.rtp.RtpPacket.u16;
import static dev.visage.sfu.rtp.RtpPacket.w16;
import static dev.visage.sfu.rtp.RtpPacket.w32;

/**
 * Flyweight helpers over (compound) RTCP packets in byte arrays: RFC 3550 SR/RR, RFC 4585
 * feedback (generic NACK, PLI), RFC 5104 FIR, REMB (draft-alvestrand-rmcat-remb). Nothing allocates.
 */
public final class Rtcp {
    public static final int SR = 200;
    public static final int RR = 201;
    public static final int SDES = 202;
    public static final int BYE = 203;
    public static final int RTPFB = 205;
    public static final int PSFB = 206;

    public static final int FMT_NACK = 1;
    public static final int FMT_TCC = 15;
    public static final int FMT_PLI = 1;
    public static final int FMT_FIR = 4;
    public static final int FMT_AFB = 15;

    private Rtcp() {
    }

    /** True if every packet of the compound has version 2 and lengths that tile len exactly. */
    public static boolean isValidCompound(byte[] b, int off, int len) {
        if (len < 8) {
            return false;
        }
        int i = 0;
        while (i < len) {
            if (len - i < 4 || (b[off + i] & 0xC0) != 0x80) {
                return false;
            }
            int plen = packetLength(b, off + i);
            if (plen > len - i) {
                return false;
            }
            int pt = type(b, off + i);
            if (pt < 192 || pt > 223) {
                return false;
            }
            i += plen;
        }
        return true;
    }

    /** Length in bytes of the packet at this offset ((length field + 1) * 4). */
    public static int packetLength(byte[] b, int at) {
        return (u16(b, at + 2) + 1) * 4;
    }

    public static int type(byte[] b, int at) {
        return b[at + 1] & 0xFF;
    }

    /** The 5-bit count/format field. */
    public static int fmt(byte[] b, int at) {
        return b[at] & 0x1F;
    }

    public static int senderSsrc(byte[] b, int at) {
        return i32(b, at + 4);
    }

    /** Media source SSRC of an RTPFB/PSFB packet. */
    public static int mediaSsrc(byte[] b, int at) {
        return i32(b, at + 8);
    }

    /** Is the PSFB at this offset a REMB (application layer feedback with "REMB" identifier)? */
    public static boolean isRemb(byte[] b, int at, int plen) {
        return plen >= 20 && b[at + 12] == 'R' && b[at + 13] == 'E' && b[at + 14] == 'M' && b[at + 15] == 'B';
    }

    /** FIR media SSRC (first FCI entry), or 0 if too short. */
    public static int firSsrc(byte[] b, int at, int plen) {
        return plen >= 20 ? i32(b, at + 12) : 0;
    }

    /** Writes a PLI (12 bytes) at dst[at]. */
    public static int writePli(byte[] dst, int at, int senderSsrc, int mediaSsrc) {
        dst[at] = (byte) (0x80 | FMT_PLI);
        dst[at + 1] = (byte) PSFB;
        w16(dst, at + 2, 2);
        w32(dst, at + 4, senderSsrc);
        w32(dst, at + 8, mediaSsrc);
        return 12;
    }

    /** Writes a REMB for one SSRC at dst[at]; returns the length (24). */
    public static int writeRemb(byte[] dst, int at, int senderSsrc, long bitrate, int ssrc) {
        int exp = 0;
        long mantissa = bitrate;
        while (mantissa > 0x3FFFF) {
            mantissa >>= 1;
            exp++;
        }
        dst[at] = (byte) (0x80 | FMT_AFB);
        dst[at + 1] = (byte) PSFB;
        w16(dst, at + 2, 5);
        w32(dst, at + 4, senderSsrc);
        w32(dst, at + 8, 0);
        dst[at + 12] = 'R';
        dst[at + 13] = 'E';
        dst[at + 14] = 'M';
        dst[at + 15] = 'B';
        dst[at + 16] = 1;
        dst[at + 17] = (byte) ((exp << 2) | (int) (mantissa >> 16));
        dst[at + 18] = (byte) (mantissa >> 8);
        dst[at + 19] = (byte) mantissa;
        w32(dst, at + 20, ssrc);
        return 24;
    }

    /** REMB bitrate in bits/s of the PSFB/AFB at this offset (see {@link #isRemb}). */
    public static long rembBitrate(byte[] b, int at) {
        int exp = (b[at + 17] & 0xFF) >> 2;
        long mantissa = ((b[at + 17] & 0x03L) << 16) | ((b[at + 18] & 0xFFL) << 8) | (b[at + 19] & 0xFFL);
        return mantissa << exp;
    }

    /** Writes an RR header with no report blocks (8 bytes). */
    public static int writeEmptyRr(byte[] dst, int at, int senderSsrc) {
        dst[at] = (byte) 0x80;
        dst[at + 1] = (byte) RR;
        w16(dst, at + 2, 1);
        w32(dst, at + 4, senderSsrc);
        return 8;
    }

    /**
     * Writes a report block (24 bytes) and bumps the RR/SR count of the header at hdr. Caller
     * fixes the length of the header with {@link #setLengthBytes}.
     */
    public static int writeReportBlock(byte[] dst, int at, int hdr, int ssrc, int fractionLost, int cumulativeLost,
                                       long extHighestSeq, int jitter, int lsr, int dlsr) {
        w32(dst, at, ssrc);
        dst[at + 4] = (byte) fractionLost;
        dst[at + 5] = (byte) (cumulativeLost >> 16);
        dst[at + 6] = (byte) (cumulativeLost >> 8);
        dst[at + 7] = (byte) cumulativeLost;
        w32(dst, at + 8, (int) extHighestSeq);
        w32(dst, at + 12, jitter);
        w32(dst, at + 16, lsr);
        w32(dst, at + 20, dlsr);
        dst[hdr] = (byte) ((dst[hdr] & 0xE0) | ((dst[hdr] & 0x1F) + 1));
        return 24;
    }

    public static void setLengthBytes(byte[] dst, int hdr, int bytes) {
        w16(dst, hdr + 2, bytes / 4 - 1);
    }

    /**
     * Number of generic NACK FCI entries in an RTPFB/NACK packet. Entry k: PID at
     * at+12+4k, BLP at at+14+4k.
     */
    public static int nackEntries(int plen) {
        return plen < 16 ? 0 : (plen - 12) / 4;
    }

    public static int nackPid(byte[] b, int at, int k) {
        return u16(b, at + 12 + 4 * k);
    }

    public static int nackBlp(byte[] b, int at, int k) {
        return u16(b, at + 14 + 4 * k);
    }

    /**
     * Turns the SR at src[at] into an SR without report blocks at dst[0]; returns its length (28)
     * or -1 if it is not a full SR.
     */
    public static int copySrWithoutBlocks(byte[] src, int at, int plen, byte[] dst, int dstAt) {
        if (plen < 28) {
            return -1;
        }
        System.arraycopy(src, at, dst, dstAt, 28);
        dst[dstAt] = (byte) 0x80;
        w16(dst, dstAt + 2, 6);
        return 28;
    }
}
