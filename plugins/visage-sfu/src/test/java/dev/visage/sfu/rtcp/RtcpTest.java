package dev.visage.sfu.rtcp;

import dev.visage.sfu.rtp.RtpPacket;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RtcpTest {
    @Test
    void pliRoundTrip() {
        byte[] b = new byte[12];
        assertEquals(12, Rtcp.writePli(b, 0, 0x11111111, 0x22222222));
        assertTrue(Rtcp.isValidCompound(b, 0, 12));
        assertEquals(Rtcp.PSFB, Rtcp.type(b, 0));
        assertEquals(Rtcp.FMT_PLI, Rtcp.fmt(b, 0));
        assertEquals(12, Rtcp.packetLength(b, 0));
        assertEquals(0x11111111, Rtcp.senderSsrc(b, 0));
        assertEquals(0x22222222, Rtcp.mediaSsrc(b, 0));
    }

    @Test
    void rembRoundTrip() {
        byte[] b = new byte[24];
        Rtcp.writeRemb(b, 0, 1, 2_500_000, 42);
        assertTrue(Rtcp.isValidCompound(b, 0, 24));
        assertTrue(Rtcp.isRemb(b, 0, 24));
        long br = Rtcp.rembBitrate(b, 0);
        assertTrue(Math.abs(br - 2_500_000) < 2_500_000 / 1000, "bitrate " + br);
        assertEquals(42, RtpPacket.i32(b, 20));
    }

    @Test
    void receiverReportWithBlocks() {
        byte[] b = new byte[64];
        int at = Rtcp.writeEmptyRr(b, 0, 9);
        at += Rtcp.writeReportBlock(b, at, 0, 0xABCDEF01, 25, 3, 70000, 0, 0, 0);
        at += Rtcp.writeReportBlock(b, at, 0, 0x01020304, 0, 0, 5, 0, 0, 0);
        Rtcp.setLengthBytes(b, 0, at);
        assertEquals(56, at);
        assertTrue(Rtcp.isValidCompound(b, 0, at));
        assertEquals(2, Rtcp.fmt(b, 0));
        assertEquals(56, Rtcp.packetLength(b, 0));
        assertEquals(0xABCDEF01, RtpPacket.i32(b, 8));
        assertEquals(25, b[12]);
        assertEquals(70000, RtpPacket.i32(b, 16));
    }

    @Test
    void parsesNackEntries() {
        // RTPFB NACK, 2 FCI entries: PID 100 BLP 0x0005; PID 65535 BLP 0
        byte[] b = {(byte) 0x81, (byte) 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 100, 0, 5, (byte) 0xFF, (byte) 0xFF, 0, 0};
        assertTrue(Rtcp.isValidCompound(b, 0, b.length));
        assertEquals(2, Rtcp.nackEntries(Rtcp.packetLength(b, 0)));
        assertEquals(100, Rtcp.nackPid(b, 0, 0));
        assertEquals(5, Rtcp.nackBlp(b, 0, 0));
        assertEquals(65535, Rtcp.nackPid(b, 0, 1));
    }

    @Test
    void compoundOfSrAndPli() {
        byte[] b = new byte[28 + 12];
        b[0] = (byte) 0x80;
        b[1] = (byte) 200;
        RtpPacket.w16(b, 2, 6);
        RtpPacket.w32(b, 4, 77);
        Rtcp.writePli(b, 28, 1, 2);
        assertTrue(Rtcp.isValidCompound(b, 0, b.length));
        byte[] out = new byte[28];
        assertEquals(28, Rtcp.copySrWithoutBlocks(b, 0, 28, out, 0));
        assertEquals(77, Rtcp.senderSsrc(out, 0));
    }

    @Test
    void rejectsTruncatedAndInconsistentCompounds() {
        byte[] b = new byte[12];
        Rtcp.writePli(b, 0, 1, 2);
        for (int len = 0; len < 12; len++) {
            assertFalse(Rtcp.isValidCompound(b, 0, len), "length " + len);
        }
        byte[] longer = new byte[16];
        Rtcp.writePli(longer, 0, 1, 2);
        assertFalse(Rtcp.isValidCompound(longer, 0, 16), "trailing garbage after a packet");
        byte[] badLen = b.clone();
        badLen[3] = 50;
        assertFalse(Rtcp.isValidCompound(badLen, 0, 12));
        byte[] badVersion = b.clone();
        badVersion[0] = 0x41;
        assertFalse(Rtcp.isValidCompound(badVersion, 0, 12));
        byte[] rtpType = b.clone();
        rtpType[1] = 96;
        assertFalse(Rtcp.isValidCompound(rtpType, 0, 12));
    }
}
