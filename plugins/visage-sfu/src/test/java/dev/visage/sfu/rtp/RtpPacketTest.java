package dev.visage.sfu.rtp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RtpPacketTest {
    /** V=2, X=1, PT=96, seq 0x1234, ts 0x01020304, ssrc 0xCAFEBABE; one-byte ext: id 4 (1 byte "0"), id 2 (3 bytes). */
    static byte[] packetWithExtensions() {
        return new byte[]{
                (byte) 0x90, (byte) 0xE0, 0x12, 0x34, 1, 2, 3, 4, (byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE,
                (byte) 0xBE, (byte) 0xDE, 0, 2,
                0x40, '0', 0x22, 0x11, 0x22, 0x33, 0, 0,
                'p', 'a', 'y'};
    }

    @Test
    void readsHeaderFields() {
        byte[] p = packetWithExtensions();
        assertTrue(RtpPacket.isValid(p, 0, p.length));
        assertEquals(96, RtpPacket.payloadType(p, 0));
        assertTrue(RtpPacket.marker(p, 0));
        assertEquals(0x1234, RtpPacket.sequence(p, 0));
        assertEquals(0x01020304L, RtpPacket.timestamp(p, 0));
        assertEquals(0xCAFEBABE, RtpPacket.ssrc(p, 0));
        assertEquals(24, RtpPacket.headerLength(p, 0, p.length));
        assertEquals(3, RtpPacket.payloadLength(p, 0, p.length));
    }

    @Test
    void findsOneByteExtensions() {
        byte[] p = packetWithExtensions();
        long mid = RtpPacket.findExtension(p, 0, p.length, 4);
        assertEquals(17, (int) (mid >> 8));
        assertEquals(1, (int) (mid & 0xFF));
        long ast = RtpPacket.findExtension(p, 0, p.length, 2);
        assertEquals(19, (int) (ast >> 8));
        assertEquals(3, (int) (ast & 0xFF));
        assertEquals(-1, RtpPacket.findExtension(p, 0, p.length, 7));
    }

    @Test
    void remapsAndStripsExtensionIdsInPlace() {
        byte[] p = packetWithExtensions();
        byte[] map = new byte[16];
        map[2] = 5; // abs-send-time 2 -> 5, mid (4) stripped
        assertTrue(RtpPacket.remapExtensions(p, 0, p.length, map));
        assertEquals(-1, RtpPacket.findExtension(p, 0, p.length, 4));
        long ast = RtpPacket.findExtension(p, 0, p.length, 5);
        assertEquals(19, (int) (ast >> 8));
        assertEquals(0x11, p[19]);
        assertEquals(0, p[16]);
        assertEquals(0, p[17]);
        assertEquals('p', p[24]);
    }

    @Test
    void rejectsTruncatedAndBadVersion() {
        byte[] p = packetWithExtensions();
        for (int len = 0; len < 24; len++) {
            assertFalse(RtpPacket.isValid(p, 0, len), "length " + len);
        }
        byte[] v1 = p.clone();
        v1[0] = 0x50;
        assertFalse(RtpPacket.isValid(v1, 0, v1.length));
        byte[] manyCsrc = p.clone();
        manyCsrc[0] = (byte) 0x8F; // 15 CSRCs do not fit
        assertFalse(RtpPacket.isValid(manyCsrc, 0, manyCsrc.length));
    }

    @Test
    void rejectsBadPaddingAndExtensionLength() {
        byte[] p = packetWithExtensions();
        p[0] |= 0x20;
        p[p.length - 1] = 100; // padding longer than the packet
        assertFalse(RtpPacket.isValid(p, 0, p.length));
        p[p.length - 1] = 0; // zero padding count is invalid
        assertFalse(RtpPacket.isValid(p, 0, p.length));
        byte[] q = packetWithExtensions();
        q[15] = 50; // extension claims 200 bytes
        assertFalse(RtpPacket.isValid(q, 0, q.length));
        assertFalse(RtpPacket.remapExtensions(q, 0, q.length, new byte[16]));
    }

    @Test
    void writesHeaderFields() {
        byte[] p = packetWithExtensions();
        RtpPacket.setPayloadType(p, 0, 100);
        RtpPacket.setSequence(p, 0, 0xFFFF);
        RtpPacket.setSsrc(p, 0, 7);
        assertEquals(100, RtpPacket.payloadType(p, 0));
        assertTrue(RtpPacket.marker(p, 0));
        assertEquals(0xFFFF, RtpPacket.sequence(p, 0));
        assertEquals(7, RtpPacket.ssrc(p, 0));
    }
}
