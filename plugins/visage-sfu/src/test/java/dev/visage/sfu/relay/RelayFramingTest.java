package dev.visage.sfu.relay;

import dev.visage.api.media.Participant;
import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.Room;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.sdp.TrackInfo;
import dev.visage.sfu.srtp.SrtpSession;
import org.jitsi.srtp.SrtpErrorStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    static final RelayKeys CLUSTER = new RelayKeys("relay key of this test's cluster, 32".getBytes(StandardCharsets.UTF_8));

    @ParameterizedTest
    @ValueSource(ints = {RelayKeys.AES_GCM, RelayKeys.AES_CM})
    void keysDerivedFromTheNoncesOnTheBusProtectBothDirections(int profile) {
        byte[] offerNonce = RelayKeys.nonce();
        byte[] answerNonce = RelayKeys.nonce();
        // each side only ever sees the other's nonce as base64 from the bus
        byte[] a = CLUSTER.sendingKey(profile, "leg1", true, offerNonce);
        byte[] b = CLUSTER.sendingKey(profile, "leg1", false, answerNonce);
        byte[] bSeenByA = CLUSTER.sendingKey(profile, "leg1", false, RelayKeys.decodeNonce(RelayKeys.encode(answerNonce)));
        byte[] aSeenByB = CLUSTER.sendingKey(profile, "leg1", true, RelayKeys.decodeNonce(RelayKeys.encode(offerNonce)));
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
        // whoever read both nonces on the bus but holds another cluster's secret can neither read nor inject
        RelayKeys reader = new RelayKeys("a process that joined the data grid".getBytes(StandardCharsets.UTF_8));
        SrtpSession stranger = new SrtpSession(RelayKeys.sessionKeys(profile,
                reader.sendingKey(profile, "leg1", true, offerNonce), reader.sendingKey(profile, "leg1", false, answerNonce)));
        byte[] p = rtp(0xCAFEBABE, 500, 50);
        assertEquals(SrtpErrorStatus.OK, sa.protectRtp(p, 0, 62, 0xCAFEBABE));
        byte[] captured = p.clone();
        assertNotEquals(SrtpErrorStatus.OK, stranger.unprotectRtp(captured, 0, sa.protectedLength(), 0xCAFEBABE));
        byte[] forged = rtp(0xCAFEBABE, 501, 50);
        stranger.protectRtp(forged, 0, 62, 0xCAFEBABE);
        assertNotEquals(SrtpErrorStatus.OK, sb.unprotectRtp(forged, 0, stranger.protectedLength(), 0xCAFEBABE));
    }

    @Test
    void keysAreFreshPerNonceSideAndLegAndNoncesAreChecked() {
        byte[] nonce = RelayKeys.nonce();
        assertNotEquals(RelayKeys.encode(nonce), RelayKeys.encode(RelayKeys.nonce()));
        byte[] key = CLUSTER.sendingKey(RelayKeys.AES_GCM, "leg1", true, nonce);
        assertEquals(28, key.length);
        assertEquals(30, CLUSTER.sendingKey(RelayKeys.AES_CM, "leg1", true, nonce).length);
        assertArrayEquals(key, CLUSTER.sendingKey(RelayKeys.AES_GCM, "leg1", true, nonce.clone()), "both sides agree");
        assertFalse(Arrays.equals(key, CLUSTER.sendingKey(RelayKeys.AES_GCM, "leg1", false, nonce)));
        assertFalse(Arrays.equals(key, CLUSTER.sendingKey(RelayKeys.AES_GCM, "leg2", true, nonce)));
        assertFalse(Arrays.equals(key, CLUSTER.sendingKey(RelayKeys.AES_GCM, "leg1", true, RelayKeys.nonce())));
        assertThrows(IllegalArgumentException.class, () -> RelayKeys.decodeNonce("!!"));
        assertThrows(IllegalArgumentException.class, () -> RelayKeys.decodeNonce(RelayKeys.encode(new byte[30])));
    }

    /** A simulcast track is announced with its layers' rids and relay SSRCs, smallest first. */
    @Test
    void tracksMessageCarriesEachSimulcastLayersRidAndSsrc() {
        TrackInfo video = new TrackInfo("video", "1", 7, 8, "VP8", 96, 97, 90000, "", Map.of(), "cam", null,
                List.of("q", "h", "f"));
        Participant p = new Participant("r", "s1", "u1", "Alice");
        int[] ssrcs = {(int) 3_000_000_000L, 11, 12};
        Map<String, Object> msg = RelayMessages.tracks("r", List.of(new RelayMessages.RemoteTrack(p, video, false, ssrcs)));
        RelayMessages.RemoteTrack back = RelayMessages.parseTracks("r", msg).get(0);
        assertEquals(List.of("q", "h", "f"), back.info().rids());
        assertTrue(back.info().simulcast());
        assertEquals(List.of((int) 3_000_000_000L, 11, 12), java.util.Arrays.stream(back.streamSsrcs()).boxed().toList());
        assertEquals(7, back.info().ssrc(), "the SSRC subscribers know the track by");
        Map<String, Object> entry = new java.util.HashMap<>(castEntry(msg));
        entry.put("layers", List.of());
        assertThrows(IllegalArgumentException.class, () -> RelayMessages.parseTracks("r", Map.of("tracks", List.of(entry))));
        entry.put("layers", List.of(Map.of("rid", "q")));
        assertThrows(IllegalArgumentException.class, () -> RelayMessages.parseTracks("r", Map.of("tracks", List.of(entry))));
        TrackInfo one = new TrackInfo("video", "1", 7, 8, "VP8", 96, 97, 90000, "", Map.of(), "cam");
        assertEquals(List.of(7), java.util.Arrays.stream(new RelayMessages.RemoteTrack(p, one, false, new int[0]).streamSsrcs())
                .boxed().toList(), "a track without rids: one stream, its own SSRC");
    }

    @Test
    void layersMessageRoundTripsUnsignedSsrcsAndRejectsBadMasks() {
        Map<Integer, Integer> demand = new java.util.LinkedHashMap<>();
        demand.put((int) 3_000_000_000L, 0b001);
        demand.put(7, 0b111);
        Map<String, Object> msg = RelayMessages.layers("r", demand);
        assertEquals(RelayMessages.LAYERS, msg.get("type"));
        assertEquals(demand, RelayMessages.parseLayers(msg));
        for (long bad : new long[]{0, 0x10, -1}) {
            assertThrows(IllegalArgumentException.class, () -> RelayMessages.parseLayers(Map.of("tracks",
                    List.of(Map.of("ssrc", 7L, "layers", bad)))), "mask " + bad);
        }
        assertThrows(IllegalArgumentException.class, () -> RelayMessages.parseLayers(Map.of("type", RelayMessages.LAYERS)));
    }

    /** A leg gets only the layers its node asked for; a leg not named in the demand (yet) gets all. */
    @Test
    void aTrackRelayOnlySendsEachLegTheLayersItsNodeWants() throws Exception {
        TrackInfo info = new TrackInfo("video", "1", 7, 8, "VP8", 96, 97, 90000, "", Map.of(), "cam", null,
                List.of("q", "h", "f"));
        PublishedTrack track = new PublishedTrack(new Participant("r", "s1", "u1", "Alice"), info, 64, null);
        RelaySocket socket = new RelaySocket(java.net.InetAddress.getLoopbackAddress(), 0);
        RelayLeg thumbnails = RelayLeg.offer("B", RelayKeys.AES_GCM, CLUSTER, socket, 0);
        RelayLeg large = RelayLeg.offer("C", RelayKeys.AES_GCM, CLUSTER, socket, 0);
        RelayLeg unknown = RelayLeg.offer("D", RelayKeys.AES_GCM, CLUSTER, socket, 0);
        TrackRelay relay = new TrackRelay(track);
        relay.route(new RelayLeg[]{thumbnails, large, unknown}, new int[]{0b001, 0b111});
        byte[] p = rtp(1, 1, 100);
        for (int layer = 0; layer < 3; layer++) {
            relay.onRtp(track, layer, p, 0, p.length);
        }
        // the legs are not ready: every packet offered to one is counted as dropped there
        assertEquals(1, RelayLegTest.counter(thumbnails, "dropped_not_ready_total"), "q only");
        assertEquals(3, RelayLegTest.counter(large, "dropped_not_ready_total"));
        assertEquals(3, RelayLegTest.counter(unknown, "dropped_not_ready_total"));
        socket.close();
    }

    /**
     * A layer the far node did not want was not sent: its gap is not loss in the leg's reports; a
     * real gap is. The packets take the relayed path (the room's fan-out, which keeps the stream's
     * receive statistics).
     */
    @Test
    void aPausedLayersGapIsNotCountedAsLoss() {
        TrackInfo info = new TrackInfo("video", "1", 7, 8, "VP8", 96, 97, 90000, "", Map.of(), "cam", null,
                List.of("q", "h"));
        PublishedTrack track = new PublishedTrack(new Participant("r", "s1", "u1", "Alice"), info, new int[] {11, 12}, 64,
                null);
        Room room = new Room("r", new SfuMetrics());
        RemoteStream layer = new RemoteStream("r", room, null, 12, 1);
        layer.bind(track);
        int[] loss = new int[2];
        for (int seq = 100; seq < 110; seq++) {
            room.forwardRelayedRtp(track, 1, rtp(12, seq, 100), 0, 112);
        }
        layer.setWanted(false);
        layer.setWanted(true);
        for (int seq = 500; seq < 510; seq++) {
            room.forwardRelayedRtp(track, 1, rtp(12, seq, 100), 0, 112);
        }
        layer.lossStats(loss);
        assertEquals(0, loss[0], "fraction lost");
        assertEquals(0, loss[1], "cumulative lost");
        room.forwardRelayedRtp(track, 1, rtp(12, 512, 100), 0, 112); // 510 and 511 lost on the leg
        assertEquals(512, layer.lossStats(loss), "extended highest sequence number");
        assertEquals(2, loss[1]);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castEntry(Map<String, Object> msg) {
        return (Map<String, Object>) ((List<?>) msg.get("tracks")).get(0);
    }

    @Test
    void tracksMessageRoundTripsUnsignedSsrcsAndRejectsGarbage() {
        TrackInfo video = new TrackInfo("video", "1", (int) 3_000_000_000L, (int) 3_000_000_001L, "VP8", 120, 121, 90000,
                "", Map.of("urn:x", 5), "cam");
        TrackInfo audio = new TrackInfo("audio", "0", 42, 0, "OPUS", 109, -1, 48000, "minptime=10", Map.of(), "mic");
        Participant p = new Participant("r", "s1", "u1", "Alice");
        Map<String, Object> msg = RelayMessages.tracks("r", List.of(new RelayMessages.RemoteTrack(p, video, false, new int[0]),
                new RelayMessages.RemoteTrack(p, audio, true, new int[0])));
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
