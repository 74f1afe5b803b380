package dev.visage.sfu.rtp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PacketKindTest {
    private static PacketKind of(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return PacketKind.classify(b, 0, b.length);
    }

    @Test
    void classifiesByFirstByteAsRfc7983() {
        assertEquals(PacketKind.STUN, of(0x00, 0x01));
        assertEquals(PacketKind.STUN, of(0x01, 0x01));
        assertEquals(PacketKind.DTLS, of(22, 0xFE, 0xFD));
        assertEquals(PacketKind.DTLS, of(63, 0));
        assertEquals(PacketKind.UNKNOWN, of(64, 0));
        assertEquals(PacketKind.UNKNOWN, of(4, 0));
        assertEquals(PacketKind.UNKNOWN, of(0xFF, 0));
        assertEquals(PacketKind.RTP, of(0x80, 96));
        assertEquals(PacketKind.RTP, of(0x90, 0xE0)); // marker + PT 96
        assertEquals(PacketKind.RTCP, of(0x80, 200));
        assertEquals(PacketKind.RTCP, of(0x81, 206));
    }

    @Test
    void emptyAndOneByteRtpAreUnknown() {
        assertEquals(PacketKind.UNKNOWN, PacketKind.classify(new byte[0], 0, 0));
        assertEquals(PacketKind.UNKNOWN, of(0x80));
    }
}
