package dev.visage.sfu.relay;

import dev.visage.api.media.Participant;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.sdp.TrackInfo;
import dev.visage.sfu.srtp.SrtpSession;
import org.jitsi.srtp.SrtpErrorStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keys, messages and the relay's own RTCP, on raw bytes and maps. */
class RelayFramingTest {

    static byte[] rtp(int ssrc, int seq, int payload) {
        byte[] b = new byte[1700];
        b[0] = (byte) 0x80;
        b[1] = 96;
        RtpPacket.w16(b, 2, seq);
        RtpPacket.w32(b, 4, 1234);
        RtpPacket.w32(b, 8, ssrc);
        for (int i = 0; i < payload; i++) {
            b[12 + i] = (byte) i;
        }
        return b;
    }

    @ParameterizedTest
    @ValueSource(ints = {RelayKeys.AES_GCM, RelayKeys.AES_CM})
    void keysExchangedOverTheBusProtectBothDirections(int profile) {
        byte[] a = RelayKeys.generate(profile);
        byte[] b = RelayKeys.generate(profile);
        // each side only ever sees the other's key as base64 from the bus
        byte[] aSeenByB = RelayKeys.decode(RelayKeys.encode(a), profile);
        byte[] bSeenByA = RelayKeys.decode(RelayKeys.encode(b), profile);
        SrtpSession sa = new SrtpSession(RelayKeys.sessionKeys(profile, a, bSeenByA));
        SrtpSession sb = new SrtpSession(RelayKeys.sessionKeys(profile, b, aSeenByB));
        for (int seq = 100; seq < 103; seq++) {
            byte[] p = rtp(0xCAFEBABE, seq, 200);
            byte[] plain = java.util.Arrays.copyOf(p, 212);
            assertEquals(SrtpErrorStatus.OK, sa.protectRtp(p, 0, 212, 0xCAFEBABE));
            int n = sa.protectedLength();
            assertEquals(212 + (profile == RelayKeys.AES_GCM ? 16 : 10), n);
            assertEquals(SrtpErrorStatus.OK, sb.unprotectRtp(p, 0, n, 0xCAFEBABE));
            assertArrayEquals(plain, java.util.Arrays.copyOf(p, sb.resultLength()));
        }
        // RTCP the other way
        byte[] pli = new byte[64];
        int n = Rtcp.writePli(pli, 0, 7, 0xCAFEBABE);
        assertEquals(SrtpErrorStatus.OK, sb.protectRtcp(pli, 0, n, 7));
        assertEquals(SrtpErrorStatus.OK, sa.unprotectRtcp(pli, 0, sb.protectedLength(), 7));
        assertEquals(Rtcp.PSFB, Rtcp.type(pli, 0));
        // a third party with its own keys cannot inject
        SrtpSession stranger = new SrtpSession(RelayKeys.sessionKeys(profile, RelayKeys.generate(profile), a));
        byte[] p = rtp(0xCAFEBABE, 500, 50);
        stranger.protectRtp(p, 0, 62, 0xCAFEBABE);
        assertNotEquals(SrtpErrorStatus.OK, sb.unprotectRtp(p, 0, stranger.protectedLength(), 0xCAFEBABE));
    }

    @Test
    void keysAreFreshAndChecked() {
        assertNotEquals(RelayKeys.encode(RelayKeys.generate(RelayKeys.AES_GCM)),
                RelayKeys.encode(RelayKeys.generate(RelayKeys.AES_GCM)));
        assertEquals(28, RelayKeys.generate(RelayKeys.AES_GCM).length);
        assertEquals(30, RelayKeys.generate(RelayKeys.AES_CM).length);
        assertThrows(IllegalArgumentException.class, () -> RelayKeys.decode("!!", RelayKeys.AES_GCM));
        assertThrows(IllegalArgumentException.class,
                () -> RelayKeys.decode(RelayKeys.encode(new byte[30]), RelayKeys.AES_GCM));
    }

    @Test
    void tracksMessageRoundTripsUnsignedSsrcsAndRejectsGarbage() {
        TrackInfo video = new TrackInfo("video", "1", (int) 3_000_000_000L, (int) 3_000_000_001L, "VP8", 120, 121, 90000,
                "", Map.of("urn:x", 5), "cam");
        TrackInfo audio = new TrackInfo("audio", "0", 42, 0, "OPUS", 109, -1, 48000, "minptime=10", Map.of(), "mic");
        Participant p = new Participant("r", "s1", "u1", "Alice");
        Map<String, Object> msg = RelayMessages.tracks("r", List.of(new RelayMessages.RemoteTrack(p, video, false),
                new RelayMessages.RemoteTrack(p, audio, true)));
        assertEquals(3_000_000_000L, ((Map<?, ?>) ((List<?>) msg.get("tracks")).get(0)).get("ssrc"));
        List<RelayMessages.RemoteTrack> back = RelayMessages.parseTracks("r", msg);
        assertEquals(2, back.size());
        TrackInfo v = back.get(0).info();
        assertEquals((int) 3_000_000_000L, v.ssrc());
        assertEquals((int) 3_000_000_001L, v.rtxSsrc());
        assertEquals(96, v.payloadType(), "canonical payload type on the receiving node");
        assertEquals(97, v.rtxPayloadType());
        assertEquals("cam", v.trackId());
        assertEquals(p, back.get(0).publisher());
        assertEquals(111, back.get(1).info().payloadType());
        assertTrue(back.get(1).muted());
        assertThrows(IllegalArgumentException.class, () -> RelayMessages.parseTracks("r", Map.of("type", "relay-tracks")));
        assertThrows(IllegalArgumentException.class, () -> RelayMessages.parseTracks("r",
                Map.of("tracks", List.of(Map.of("kind", "video", "codec", "NOPE")))));
        assertThrows(IllegalArgumentException.class, () -> RelayMessages.parseTracks("r", Map.of("tracks", List.of(5))));
    }

    @Test
    void senderReportNackAndRtt() {
        byte[] b = new byte[200];
        long now = 1_700_000_000_123L;
        int n = RelayRtcp.writeSr(b, 0, 0x11223344, now, 10, 2000);
        assertEquals(28, n);
        assertEquals(Rtcp.SR, Rtcp.type(b, 0));
        assertEquals(0x11223344, Rtcp.senderSsrc(b, 0));
        assertEquals(RelayRtcp.compactNtp(now), RelayRtcp.srCompactNtp(b, 0));
        n += Rtcp.writeReportBlock(b, n, 0, 0x55, 64, 3, 1000, 0, RelayRtcp.compactNtp(now), 65536 / 10);
        Rtcp.setLengthBytes(b, 0, n);
        assertTrue(Rtcp.isValidCompound(b, 0, n));
        assertEquals(1, RelayRtcp.reportCount(b, 0));
        int blk = RelayRtcp.reportBlock(b, 0, 0);
        assertEquals(0x55, RelayRtcp.blockSsrc(b, blk));
        assertEquals(64, RelayRtcp.blockFractionLost(b, blk));
        assertEquals(3, RelayRtcp.blockCumulativeLost(b, blk));
        // sent at `now`, held 100 ms by the peer, back at now + 150 ms: RTT 50 ms
        double rtt = RelayRtcp.rttMillis(RelayRtcp.compactNtp(now + 150), RelayRtcp.blockLsr(b, blk),
                RelayRtcp.blockDlsr(b, blk));
        assertEquals(50, rtt, 1.0);
        assertEquals(-1, RelayRtcp.rttMillis(123, 0, 0));
        int k = RelayRtcp.writeNack(b, 0, 1, 0x55, 65535);
        assertEquals(16, k);
        assertTrue(Rtcp.isValidCompound(b, 0, k));
        assertEquals(1, Rtcp.nackEntries(k));
        assertEquals(65535, Rtcp.nackPid(b, 0, 0));
        assertEquals(0x55, Rtcp.mediaSsrc(b, 0));
    }
}
