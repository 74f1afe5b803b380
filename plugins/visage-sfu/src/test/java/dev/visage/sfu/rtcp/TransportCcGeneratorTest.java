package dev.visage.sfu.rtcp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransportCcGeneratorTest {
    /** The feedback read back with {@link TransportCcFeedback}: {seq, arrivalMicros or -1} pairs. */
    static List<long[]> decode(byte[] b, int at, int len) {
        assertTrue(Rtcp.isValidCompound(b, at, len));
        List<long[]> out = new ArrayList<>();
        int n = TransportCcFeedback.read(b, at, len, (seq, arrival) ->
                out.add(new long[]{seq, arrival == TransportCcFeedback.NOT_RECEIVED ? -1 : arrival}));
        assertEquals(out.size(), n, "a well-formed feedback");
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
