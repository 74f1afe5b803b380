package dev.visage.sfu.rtp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransportWideSequenceTest {
    private static final int ID = 5;

    private static byte[] packet(String extensionHex, int payload) {
        byte[] ext = java.util.HexFormat.of().parseHex(extensionHex);
        byte[] b = new byte[1700];
        b[0] = (byte) (ext.length > 0 ? 0x90 : 0x80);
        b[1] = 96;
        RtpPacket.setSequence(b, 0, 1000);
        RtpPacket.setSsrc(b, 0, 0xCAFE);
        System.arraycopy(ext, 0, b, 12, ext.length);
        for (int i = 0; i < payload; i++) {
            b[12 + ext.length + i] = (byte) (i + 1);
        }
        return b;
    }

    private static void assertPayloadIntact(byte[] b, int len, int payload) {
        int hl = RtpPacket.headerLength(b, 0, len);
        assertEquals(payload, len - hl);
        for (int i = 0; i < payload; i++) {
            assertEquals((byte) (i + 1), b[hl + i], "payload byte " + i);
        }
    }

    @Test
    void overwritesTheElementAPacketAlreadyCarries() {
        // audio level (id 1, 1 byte) and transport-cc (id 5, 2 bytes) in one word + padding word
        byte[] b = packet("bede0002" + "10ff" + "51" + "0102" + "000000", 100);
        int len = 12 + 12 + 100;
        assertEquals(len, TransportWideSequence.write(b, 0, len, ID, 0xABCD, 16));
        long at = RtpPacket.findExtension(b, 0, len, ID);
        assertEquals(0xABCD, RtpPacket.u16(b, (int) (at >>> 8)));
        assertPayloadIntact(b, len, 100);
    }

    @Test
    void addsAWordToAnExtensionBlockWithoutTheElement() {
        byte[] b = packet("bede0001" + "10ff0000", 50);
        int len = 12 + 8 + 50;
        int grown = TransportWideSequence.write(b, 0, len, ID, 42, 16);
        assertEquals(len + 4, grown);
        assertTrue(RtpPacket.isValid(b, 0, grown));
        assertEquals(42, RtpPacket.u16(b, (int) (RtpPacket.findExtension(b, 0, grown, ID) >>> 8)));
        assertEquals(0xff, b[(int) (RtpPacket.findExtension(b, 0, grown, 1) >>> 8)] & 0xFF, "audio level kept");
        assertPayloadIntact(b, grown, 50);
    }

    @Test
    void addsAnExtensionBlockToAPacketWithoutOne() {
        byte[] b = packet("", 30);
        int grown = TransportWideSequence.write(b, 0, 42, ID, 7, 16);
        assertEquals(50, grown);
        assertTrue(RtpPacket.isValid(b, 0, grown));
        assertEquals(7, RtpPacket.u16(b, (int) (RtpPacket.findExtension(b, 0, grown, ID) >>> 8)));
        assertEquals(1000, RtpPacket.sequence(b, 0));
        assertPayloadIntact(b, grown, 30);
    }

    @Test
    void leavesAPacketAloneWhenItCannot() {
        byte[] full = packet("", 30);
        assertEquals(-1, TransportWideSequence.write(full, 0, full.length - 20, ID, 7, 16), "no room for growth and the tag");
        byte[] twoByte = packet("10000001" + "05020102", 10);
        assertEquals(-1, TransportWideSequence.write(twoByte, 0, 12 + 8 + 10, ID, 7, 16), "two-byte extensions");
        byte[] truncated = packet("bede0009" + "10ff0000", 0);
        assertEquals(-1, TransportWideSequence.write(truncated, 0, 20, ID, 7, 16), "block longer than the packet");
    }
}
