package dev.visage.sfu.rtp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RtxTest {
    @Test
    void unwrapRestoresOriginalSequenceSsrcPayloadTypeAndPayload() {
        byte[] p = {(byte) 0xA0, 97, 0, 5, 0, 0, 0, 9, 0, 0, 0, 42, /* OSN */ 0x12, 0x34, 'a', 'b', 'c', /* padding */ 0, 0, 3};
        int len = Rtx.unwrap(p, 0, p.length, 7, 96);
        assertEquals(15, len);
        assertEquals(0x1234, RtpPacket.sequence(p, 0));
        assertEquals(7, RtpPacket.ssrc(p, 0));
        assertEquals(96, RtpPacket.payloadType(p, 0));
        assertEquals(0, p[0] & 0x20);
        assertEquals('a', p[12]);
        assertEquals('c', p[14]);
    }

    @Test
    void paddingOnlyProbesAndTruncatedPacketsAreRejected() {
        byte[] probe = {(byte) 0xA0, 97, 0, 5, 0, 0, 0, 9, 0, 0, 0, 42, 0, 0, 0, 4};
        assertEquals(-1, Rtx.unwrap(probe, 0, probe.length, 7, 96));
        byte[] osnOnly = {(byte) 0x80, 97, 0, 5, 0, 0, 0, 9, 0, 0, 0, 42, 0x12, 0x34};
        assertEquals(-1, Rtx.unwrap(osnOnly, 0, osnOnly.length, 7, 96));
        byte[] truncated = {(byte) 0x90, 97, 0, 5, 0, 0, 0, 9, 0, 0, 0, 42, (byte) 0xBE, (byte) 0xDE, 0, 9};
        assertEquals(-1, Rtx.unwrap(truncated, 0, truncated.length, 7, 96));
    }
}
