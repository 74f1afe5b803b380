package dev.visage.sfu.rtcp;

import dev.visage.sfu.rtp.RtpPacket;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransportCcGeneratorTest {
    /** A straightforward decoder (both chunk kinds) returning {seq, arrivalMicros or -1} pairs. */
    static List<long[]> decode(byte[] b, int at, int len) {
        assertTrue(Rtcp.isValidCompound(b, at, len));
        assertEquals(Rtcp.RTPFB, Rtcp.type(b, at));
        assertEquals(Rtcp.FMT_TCC, Rtcp.fmt(b, at));
        int end = at + len;
        if ((b[at] & 0x20) != 0) {
            end -= b[end - 1] & 0xFF;
        }
        int base = RtpPacket.u16(b, at + 12);
        int count = RtpPacket.u16(b, at + 14);
        int ref = ((b[at + 16] & 0xFF) << 16) | ((b[at + 17] & 0xFF) << 8) | (b[at + 18] & 0xFF);
        if ((ref & 0x800000) != 0) {
            ref -= 1 << 24;
        }
        int[] symbols = new int[count];
        int n = 0;
        int p = at + 20;
        while (n < count) {
            int c = RtpPacket.u16(b, p);
            p += 2;
            if ((c & 0x8000) == 0) {
                int sym = (c >> 13) & 3;
                int run = c & 0x1FFF;
                for (int k = 0; k < run && n < count; k++) {
                    symbols[n++] = sym;
                }
            } else if ((c & 0x4000) == 0) {
                for (int k = 0; k < 14 && n < count; k++) {
                    symbols[n++] = (c >> (13 - k)) & 1;
                }
            } else {
                for (int k = 0; k < 7 && n < count; k++) {
                    symbols[n++] = (c >> (2 * (6 - k))) & 3;
                }
            }
        }
        List<long[]> out = new ArrayList<>();
        long t = ref * 64_000L;
        for (int k = 0; k < count; k++) {
            long arrival = -1;
            if (symbols[k] == 1) {
                t += (b[p++] & 0xFF) * 250L;
                arrival = t;
            } else if (symbols[k] == 2) {
                t += (short) RtpPacket.u16(b, p) * 250L;
                p += 2;
                arrival = t;
            }
            out.add(new long[]{(base + k) & 0xFFFF, arrival});
        }
        assertTrue(p <= end, "deltas overrun the packet");
        return out;
    }

    @Test
    void reportsArrivalTimesAndLossesThatDecodeBack() {
        TransportCcGenerator g = new TransportCcGenerator();
        long t0 = 1_000_000_000L; // microseconds
        long[] arrivals = new long[20];
        for (int k = 0; k < 20; k++) {
            arrivals[k] = t0 + k * 5_000L + (k == 10 ? 90_000 : 0); // one 90 ms late, one large delta
            if (k != 4 && k != 5) {
                g.onPacket((65530 + k) & 0xFFFF, arrivals[k]);
            }
        }
        byte[] b = new byte[1500];
        int len = g.writeFeedback(b, 0, 1, 2);
        assertTrue(len > 20 && len % 4 == 0);
        List<long[]> d = decode(b, 0, len);
        assertEquals(20, d.size());
        for (int k = 0; k < 20; k++) {
            assertEquals((65530 + k) & 0xFFFF, d.get(k)[0]);
            if (k == 4 || k == 5) {
                assertEquals(-1, d.get(k)[1], "lost " + k);
            } else {
                assertTrue(Math.abs(d.get(k)[1] - arrivals[k]) <= 250, "seq " + k + ": " + d.get(k)[1] + " vs " + arrivals[k]);
            }
        }
        assertEquals(0, g.writeFeedback(b, 0, 1, 2), "everything reported");
        g.onPacket((65530 + 20) & 0xFFFF, t0 + 200_000);
        List<long[]> next = decode(b, 0, g.writeFeedback(b, 0, 1, 2));
        assertEquals(1, next.size());
        assertEquals((65530 + 20) & 0xFFFF, next.get(0)[0]);
        assertEquals(1, b[19], "feedback packet count increments");
    }

    @Test
    void reorderedPacketsKeepTheirOwnTimesAndLateOnesAfterAReportAreIgnored() {
        TransportCcGenerator g = new TransportCcGenerator();
        g.onPacket(100, 1_000_000);
        g.onPacket(102, 1_010_000);
        g.onPacket(101, 1_020_000); // reordered: negative delta for 102 relative to 101
        byte[] b = new byte[1500];
        List<long[]> d = decode(b, 0, g.writeFeedback(b, 0, 1, 2));
        assertEquals(3, d.size());
        assertTrue(Math.abs(d.get(1)[1] - 1_020_000) <= 250);
        assertTrue(Math.abs(d.get(2)[1] - 1_010_000) <= 250);
        g.onPacket(99, 1_030_000);
        assertEquals(0, g.writeFeedback(b, 0, 1, 2));
    }

    @Test
    void longRunsAreSplitAcrossFeedbackPackets() {
        TransportCcGenerator g = new TransportCcGenerator();
        for (int k = 0; k < 1000; k++) {
            g.onPacket(k, 5_000_000L + k * 1000L);
        }
        byte[] b = new byte[1500];
        int total = 0;
        int len;
        while ((len = g.writeFeedback(b, 0, 1, 2)) > 0) {
            assertTrue(len <= 1200);
            total += decode(b, 0, len).size();
        }
        assertEquals(1000, total);
    }
}
