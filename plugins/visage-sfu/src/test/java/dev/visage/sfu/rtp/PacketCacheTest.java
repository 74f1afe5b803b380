package dev.visage.sfu.rtp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketCacheTest {
    private static byte[] rtp(int seq, int payloadByte) {
        byte[] p = new byte[20];
        p[0] = (byte) 0x80;
        p[1] = 96;
        RtpPacket.setSequence(p, 0, seq);
        p[19] = (byte) payloadByte;
        return p;
    }

    @Test
    void returnsStoredPacketBySequenceUntilOverwritten() {
        PacketCache c = new PacketCache(64);
        for (int s = 65450; s < 65536 + 20; s++) {
            c.put(rtp(s & 0xFFFF, s), 0, 20);
        }
        byte[] out = new byte[1500];
        assertEquals(20, c.get(5, out));
        assertEquals((byte) 65541, out[19]);
        assertEquals(20, c.get(65530, out));
        assertEquals(-1, c.get(65450, out)); // overwritten by 65450+64
        assertEquals(-1, c.get(100, out));   // never stored
    }

    @Test
    void rateLimitsResendsPerPacket() {
        PacketCache c = new PacketCache(64);
        c.put(rtp(10, 1), 0, 20);
        assertTrue(c.markResent(10, 1_000, 100));
        assertFalse(c.markResent(10, 1_050, 100));
        assertTrue(c.markResent(10, 1_200, 100));
        assertFalse(c.markResent(11, 1_200, 100));
    }

    @Test
    void ignoresOversizedPackets() {
        PacketCache c = new PacketCache(64);
        byte[] big = new byte[3000];
        big[0] = (byte) 0x80;
        c.put(big, 0, big.length);
        assertEquals(-1, c.get(0, new byte[3000]));
    }
}
