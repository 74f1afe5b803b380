package dev.visage.sfu.rtp;

import dev.visage.sfu.rtcp.Rtcp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NackGeneratorTest {
    @Test
    void gapsAreNackedAsPidAndBitmask() {
        NackGenerator g = new NackGenerator();
        g.onPacket(65530);
        g.onPacket(65531);
        g.onPacket(2); // 65532..65535, 0, 1 missing across the wrap
        assertEquals(6, g.missingCount());
        byte[] b = new byte[1500];
        int n = g.writeNack(b, 0, 1, 99, 1_000, 100);
        assertEquals(16, n);
        assertTrue(Rtcp.isValidCompound(b, 0, n));
        assertEquals(Rtcp.RTPFB, Rtcp.type(b, 0));
        assertEquals(Rtcp.FMT_NACK, Rtcp.fmt(b, 0));
        assertEquals(99, Rtcp.mediaSsrc(b, 0));
        assertEquals(65532, Rtcp.nackPid(b, 0, 0));
        assertEquals(0b11111, Rtcp.nackBlp(b, 0, 0));
        assertEquals(0, g.writeNack(b, 0, 1, 99, 1_050, 100), "not again within the retry interval");
        assertTrue(g.writeNack(b, 0, 1, 99, 1_200, 100) > 0);
    }

    @Test
    void retransmissionFillsTheHoleAndDuplicatesAreNotFills() {
        NackGenerator g = new NackGenerator();
        assertEquals(NackGenerator.NEW, g.onPacket(10));
        assertEquals(NackGenerator.NEW, g.onPacket(13));
        assertEquals(NackGenerator.RECOVERED, g.onPacket(11));
        assertEquals(NackGenerator.DUPLICATE, g.onPacket(11));
        assertEquals(NackGenerator.DUPLICATE, g.onPacket(13));
        assertEquals(1, g.missingCount());
        assertEquals(1, g.recovered());
    }

    @Test
    void aCopyAheadOfTheHighestIsNewNotADuplicate() {
        // Chromium's RTX padding can carry a packet whose original was lost before the gap is seen
        NackGenerator g = new NackGenerator();
        g.onPacket(2704);
        assertEquals(NackGenerator.NEW, g.onPacket(2705));
        assertEquals(NackGenerator.NEW, g.onPacket(2706));
        assertEquals(0, g.missingCount());
    }

    @Test
    void givesUpAfterMaxTriesAndIgnoresHugeJumps() {
        NackGenerator g = new NackGenerator();
        g.onPacket(100);
        g.onPacket(102);
        byte[] b = new byte[1500];
        for (int i = 0; i < NackGenerator.MAX_TRIES; i++) {
            assertTrue(g.writeNack(b, 0, 1, 2, 1_000L * (i + 1), 1) > 0);
        }
        assertEquals(0, g.writeNack(b, 0, 1, 2, 1_000_000, 1));
        assertEquals(0, g.missingCount());
        g.onPacket(5000); // a jump, not 4897 losses
        assertEquals(0, g.missingCount());
    }

    @Test
    void farApartLossesMakeSeveralEntries() {
        NackGenerator g = new NackGenerator();
        g.onPacket(0);
        g.onPacket(2);   // 1
        g.onPacket(40);  // 3..39
        byte[] b = new byte[1500];
        int n = g.writeNack(b, 0, 1, 2, 10, 1);
        int entries = Rtcp.nackEntries(n);
        assertEquals(3, entries); // 1+[3..17], 18+[19..34], 35+[36..39]
        assertEquals(1, Rtcp.nackPid(b, 0, 0));
        assertEquals(0xFFFE, Rtcp.nackBlp(b, 0, 0)); // 3..17 => bits 1..15 set
        assertEquals(18, Rtcp.nackPid(b, 0, 1));
        assertEquals(0xFFFF, Rtcp.nackBlp(b, 0, 1));
        assertEquals(35, Rtcp.nackPid(b, 0, 2));
        assertEquals(0b1111, Rtcp.nackBlp(b, 0, 2));
    }
}
