package dev.visage.sfu.rtcp;

import dev.visage.sfu.rtp.RtpPacket;

/**
 * Receive side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01): records the arrival time of every packet by its transport-wide sequence
 * number and writes the RTPFB/15 feedback the sender's bandwidth estimator (Chromium's GoogCC)
 * feeds on. Fixed-size ring, no allocation; callers synchronize.
 *
 * <p>Encoding: two-bit status vector chunks only (7 symbols each: 0 not received, 1 small delta
 * 0..63.75 ms in 250 us steps as one byte, 2 large or negative delta as two signed bytes).
 */
public final class TransportCcGenerator {
    private static final int RING = 4096;
    private static final int MAX_PER_FEEDBACK = 400;

    private final long[] arrivalMicros = new long[RING];
    private final long[] extSeqAt = new long[RING];
    private long highest = -1;      // extended
    private long nextToReport = -1; // extended
    private int feedbackCount;

    /** Records a packet's transport-wide sequence number (16 bits) and arrival time in microseconds. */
    public void onPacket(int seq16, long arrivalMicros) {
        long ext;
        if (highest < 0) {
            ext = seq16;
            highest = ext;
            nextToReport = ext;
        } else {
            int delta = (seq16 - (int) (highest & 0xFFFF)) & 0xFFFF;
            ext = delta < 0x8000 ? highest + delta : highest - (0x10000 - delta);
            if (ext > highest) {
                highest = ext;
            }
            if (ext < nextToReport) {
                return; // already reported as lost
            }
        }
        int i = (int) (ext & (RING - 1));
        extSeqAt[i] = ext;
        this.arrivalMicros[i] = arrivalMicros;
        if (highest - nextToReport >= RING) {
            nextToReport = highest - RING + 1; // fell too far behind: skip
        }
    }

    public boolean hasPending() {
        return highest >= 0 && nextToReport <= highest;
    }

    /**
     * Writes one feedback packet for the packets not reported yet (at most {@value #MAX_PER_FEEDBACK})
     * at dst[at]; returns its length, or 0 if nothing is pending. dst needs ~1200 bytes.
     */
    public int writeFeedback(byte[] dst, int at, int senderSsrc, int mediaSsrc) {
        if (!hasPending()) {
            return 0;
        }
        long base = nextToReport;
        // the first received packet of the range sets the reference time
        long first = -1;
        int count = (int) Math.min(highest - base + 1, MAX_PER_FEEDBACK);
        for (int k = 0; k < count; k++) {
            int i = (int) ((base + k) & (RING - 1));
            if (extSeqAt[i] == base + k) {
                first = arrivalMicros[i];
                break;
            }
        }
        if (first < 0) {
            // nothing received in the range yet (only holes): wait for a packet
            return 0;
        }
        long refTime = first / 64_000; // 64 ms units
        dst[at] = (byte) (0x80 | Rtcp.FMT_TCC);
        dst[at + 1] = (byte) Rtcp.RTPFB;
        RtpPacket.w32(dst, at + 4, senderSsrc);
        RtpPacket.w32(dst, at + 8, mediaSsrc);
        RtpPacket.w16(dst, at + 12, (int) (base & 0xFFFF));
        RtpPacket.w16(dst, at + 14, count);
        dst[at + 16] = (byte) (refTime >> 16);
        dst[at + 17] = (byte) (refTime >> 8);
        dst[at + 18] = (byte) refTime;
        dst[at + 19] = (byte) feedbackCount;
        feedbackCount = (feedbackCount + 1) & 0xFF;

        int chunks = (count + 6) / 7;
        int chunkAt = at + 20;
        int deltaAt = chunkAt + 2 * chunks;
        long prev = refTime * 64_000;
        int chunk = 0;
        int inChunk = 0;
        for (int k = 0; k < count; k++) {
            int i = (int) ((base + k) & (RING - 1));
            int symbol = 0;
            if (extSeqAt[i] == base + k) {
                long ticks = Math.round((arrivalMicros[i] - prev) / 250.0);
                if (ticks >= 0 && ticks <= 255) {
                    symbol = 1;
                    dst[deltaAt++] = (byte) ticks;
                } else {
                    ticks = Math.max(-32768, Math.min(32767, ticks));
                    symbol = 2;
                    RtpPacket.w16(dst, deltaAt, (int) ticks);
                    deltaAt += 2;
                }
                prev += ticks * 250;
            }
            chunk |= symbol << (2 * (6 - inChunk));
            if (++inChunk == 7) {
                RtpPacket.w16(dst, chunkAt, 0xC000 | chunk);
                chunkAt += 2;
                chunk = 0;
                inChunk = 0;
            }
        }
        if (inChunk > 0) {
            RtpPacket.w16(dst, chunkAt, 0xC000 | chunk);
        }
        int end = deltaAt;
        int pad = (4 - ((end - at) & 3)) & 3;
        for (int p = 0; p < pad; p++) {
            dst[end++] = 0;
        }
        if (pad > 0) {
            dst[at] |= 0x20;
            dst[end - 1] = (byte) pad;
        }
        Rtcp.setLengthBytes(dst, at, end - at);
        nextToReport = base + count;
        return end - at;
    }
}
