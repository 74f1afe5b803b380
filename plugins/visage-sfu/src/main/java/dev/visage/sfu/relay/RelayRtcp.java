package dev.visage.sfu.relay;

import dev.visage.sfu.rtcp.Rtcp;

import static dev.visage.sfu.rtp.RtpPacket.i32;
import static dev.visage.sfu.rtp.RtpPacket.w16;
import static dev.visage.sfu.rtp.RtpPacket.w32;

/**
 * The RTCP a relay leg writes itself (flyweights over byte arrays, nothing allocates): its own
 * sender report with report blocks (RTT via LSR/DLSR on the leg's SSRC, loss per relayed stream),
 * and single-packet generic NACKs. Forwarded PLIs use {@link Rtcp#writePli}.
 */
public final class RelayRtcp {
    /** Seconds between 1900 (NTP epoch) and 1970. */
    private static final long NTP_OFFSET = 2_208_988_800L;

    private RelayRtcp() {
    }

    /** The middle 32 bits of the NTP timestamp for this wall-clock time (1/65536 s units). */
    public static int compactNtp(long unixMillis) {
        long sec = unixMillis / 1000 + NTP_OFFSET;
        long frac = ((unixMillis % 1000) << 32) / 1000;
        return (int) (((sec & 0xFFFF) << 16) | (frac >>> 16));
    }

    /** Writes an SR without report blocks (28 bytes); add blocks with {@link Rtcp#writeReportBlock}. */
    public static int writeSr(byte[] b, int at, int ssrc, long unixMillis, long packets, long octets) {
        long sec = unixMillis / 1000 + NTP_OFFSET;
        long frac = ((unixMillis % 1000) << 32) / 1000;
        b[at] = (byte) 0x80;
        b[at + 1] = (byte) Rtcp.SR;
        w16(b, at + 2, 6);
        w32(b, at + 4, ssrc);
        w32(b, at + 8, (int) sec);
        w32(b, at + 12, (int) frac);
        w32(b, at + 16, 0);
        w32(b, at + 20, (int) packets);
        w32(b, at + 24, (int) octets);
        return 28;
    }

    /** Writes a generic NACK for one sequence number (16 bytes). */
    public static int writeNack(byte[] b, int at, int senderSsrc, int mediaSsrc, int seq) {
        b[at] = (byte) (0x80 | Rtcp.FMT_NACK);
        b[at + 1] = (byte) Rtcp.RTPFB;
        w16(b, at + 2, 3);
        w32(b, at + 4, senderSsrc);
        w32(b, at + 8, mediaSsrc);
        w16(b, at + 12, seq);
        w16(b, at + 14, 0);
        return 16;
    }

    /** Number of report blocks in the SR or RR at this offset. */
    public static int reportCount(byte[] b, int at) {
        return b[at] & 0x1F;
    }

    /** Offset of report block k of the SR/RR at this offset. */
    public static int reportBlock(byte[] b, int at, int k) {
        return at + (Rtcp.type(b, at) == Rtcp.SR ? 28 : 8) + 24 * k;
    }

    public static int blockSsrc(byte[] b, int block) {
        return i32(b, block);
    }

    public static int blockFractionLost(byte[] b, int block) {
        return b[block + 4] & 0xFF;
    }

    public static int blockCumulativeLost(byte[] b, int block) {
        return ((b[block + 5] & 0xFF) << 16) | ((b[block + 6] & 0xFF) << 8) | (b[block + 7] & 0xFF);
    }

    public static int blockLsr(byte[] b, int block) {
        return i32(b, block + 16);
    }

    public static int blockDlsr(byte[] b, int block) {
        return i32(b, block + 20);
    }

    /** SR NTP middle 32 bits (for our LSR). */
    public static int srCompactNtp(byte[] b, int at) {
        return (int) ((((long) i32(b, at + 8) & 0xFFFF) << 16) | ((i32(b, at + 12) & 0xFFFFFFFFL) >>> 16));
    }

    /** Round-trip time in ms from a report block's LSR/DLSR, or -1 when the block carries none. */
    public static double rttMillis(int nowCompact, int lsr, int dlsr) {
        if (lsr == 0) {
            return -1;
        }
        long rtt = (nowCompact - lsr - dlsr) & 0xFFFFFFFFL;
        if (rtt > 0x7FFFFFFFL) {
            return 0;
        }
        return rtt * 1000.0 / 65536.0;
    }
}
