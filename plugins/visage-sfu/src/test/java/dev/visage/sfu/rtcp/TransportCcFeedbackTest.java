package dev.visage.sfu.rtcp;

import dev.visage.sfu.rtp.RtpPacket;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TransportCcFeedbackTest {
    private static List<long[]> read(byte[] b, int len) {
        List<long[]> out = new ArrayList<>();
        int n = TransportCcFeedback.read(b, 0, len, (seq, arrival) -> out.add(new long[]{seq, arrival}));
        return n < 0 ? null : out;
    }

    /** Header of a feedback with base sequence, status count and reference time (64 ms units). */
    private static byte[] feedback(int base, int count, int reference, String chunksAndDeltas) {
        byte[] body = HexFormat.of().parseHex(chunksAndDeltas);
        int len = 20 + body.length;
        int padded = (len + 3) & ~3;
        byte[] b = new byte[padded];
        b[0] = (byte) (0x80 | Rtcp.FMT_TCC | (padded != len ? 0x20 : 0));
        b[1] = (byte) Rtcp.RTPFB;
        RtpPacket.w32(b, 4, 0x11111111);
        RtpPacket.w32(b, 8, 0x22222222);
        RtpPacket.w16(b, 12, base);
        RtpPacket.w16(b, 14, count);
        b[16] = (byte) (reference >> 16);
        b[17] = (byte) (reference >> 8);
        b[18] = (byte) reference;
        b[19] = 7;
        System.arraycopy(body, 0, b, 20, body.length);
        if (padded != len) {
            b[padded - 1] = (byte) (padded - len);
        }
        Rtcp.setLengthBytes(b, 0, padded);
        return b;
    }

    @Test
    void aRunLengthChunkOfSmallDeltasGivesEachPacketItsArrival() {
        // Chromium's usual shape: one run-length chunk "5 packets, small delta", five 1-byte deltas
        byte[] b = feedback(65534, 5, 100, "2005" + "04" + "08" + "00" + "ff" + "01");
        List<long[]> s = read(b, b.length);
        long t = 100 * 64_000L;
        long[] expected = {t + 1_000, t + 3_000, t + 3_000, t + 66_750, t + 67_000};
        assertEquals(5, s.size());
        for (int k = 0; k < 5; k++) {
            assertEquals((65534 + k) & 0xFFFF, s.get(k)[0], "sequence numbers wrap");
            assertEquals(expected[k], s.get(k)[1]);
        }
        assertEquals(7, TransportCcFeedback.feedbackCount(b, 0));
    }

    @Test
    void statusVectorsOfOneAndTwoBitsReportLossesAndLargeNegativeDeltas() {
        // a one-bit vector (14 statuses): received, lost, received, 10 lost, received = 0xA801;
        // a two-bit vector for the last 4: large delta, not received, small delta, not received = 0xE100
        byte[] b = feedback(10, 18, 1, "a801" + "e100" + "10" + "14" + "08" + "fff8" + "02");
        List<long[]> s = read(b, b.length);
        long t = 64_000L;
        assertEquals(18, s.size());
        assertEquals(t + 4_000, s.get(0)[1]);
        assertEquals(TransportCcFeedback.NOT_RECEIVED, s.get(1)[1]);
        assertEquals(t + 9_000, s.get(2)[1]);
        for (int k = 3; k < 13; k++) {
            assertEquals(TransportCcFeedback.NOT_RECEIVED, s.get(k)[1]);
        }
        assertEquals(t + 11_000, s.get(13)[1]);
        assertEquals(t + 9_000, s.get(14)[1], "a large delta of -2 ms");
        assertEquals(TransportCcFeedback.NOT_RECEIVED, s.get(15)[1]);
        assertEquals(t + 9_500, s.get(16)[1]);
        assertEquals(TransportCcFeedback.NOT_RECEIVED, s.get(17)[1]);
        assertEquals(27, s.get(17)[0]);
    }

    @Test
    void aRunOfLostPacketsNeedsNoDeltas() {
        byte[] b = feedback(500, 300, 2, "012c");
        List<long[]> s = read(b, b.length);
        assertEquals(300, s.size());
        for (long[] x : s) {
            assertEquals(TransportCcFeedback.NOT_RECEIVED, x[1]);
        }
    }

    @Test
    void malformedFeedbackReportsNothing() {
        // deltas missing for the statuses announced
        byte[] truncated = feedback(1, 5, 0, "2005" + "04" + "08");
        assertEquals(null, read(truncated, truncated.length));
        // more statuses than the chunks hold
        byte[] shortChunks = feedback(1, 20, 0, "2005" + "0404040404");
        assertEquals(null, read(shortChunks, shortChunks.length));
        // the reserved symbol (3) in a run
        byte[] reserved = feedback(1, 2, 0, "6002" + "0000");
        assertEquals(null, read(reserved, reserved.length));
        // zero statuses
        byte[] empty = feedback(1, 0, 0, "");
        assertEquals(null, read(empty, empty.length));
        // padding longer than the packet's body
        byte[] badPadding = feedback(1, 1, 0, "2001" + "04");
        badPadding[badPadding.length - 1] = (byte) 200;
        assertEquals(null, read(badPadding, badPadding.length));
        // not a transport-cc packet (NACK), and too short for the header
        byte[] nack = feedback(1, 1, 0, "2001" + "04");
        nack[0] = (byte) (0x80 | Rtcp.FMT_NACK | 0x20);
        assertEquals(null, read(nack, nack.length));
        assertEquals(null, read(nack, 16));
    }
}
