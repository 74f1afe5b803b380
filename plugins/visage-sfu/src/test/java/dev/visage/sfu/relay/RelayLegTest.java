package dev.visage.sfu.relay;

import dev.visage.api.media.Participant;
import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.Room;
import dev.visage.sfu.sdp.TrackInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leg state machine, and SRTP media and feedback over two real relay sockets (loopback). */
class RelayLegTest {
    RelaySocket sa;
    RelaySocket sb;

    @BeforeEach
    void sockets() throws Exception {
        sa = new RelaySocket(InetAddress.getLoopbackAddress(), 0);
        sb = new RelaySocket(InetAddress.getLoopbackAddress(), 0);
        sa.start();
        sb.start();
    }

    @AfterEach
    void close() {
        sa.close();
        sb.close();
    }

    /** One of the leg's /metrics series ({@code visage_relay_leg_<name>}). */
    static double counter(RelayLeg leg, String name) {
        Map<String, Number> m = new java.util.HashMap<>();
        leg.stats().putMetrics(m, "");
        return m.get("visage_relay_leg_" + name).doubleValue();
    }

    static void await(BooleanSupplier c, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + 5000;
        while (!c.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("timed out: " + what);
            }
            Thread.sleep(10);
        }
    }

    static PublishedTrack track(int ssrc, PublishedTrack.Upstream up) {
        TrackInfo info = new TrackInfo("video", "relay", ssrc, ssrc + 1, "VP8", 96, 97, 90000, "", Map.of(), "cam");
        return new PublishedTrack(new Participant("r", "sX", "uX", "X"), info, 64, up);
    }

    @Test
    void offerIsResentEverySecondThenFails() {
        RelayLeg a = RelayLeg.offer("B", RelayKeys.AES_GCM, RelayFramingTest.CLUSTER, sa, 0);
        assertEquals(RelayLeg.State.OFFERING, a.state);
        Map<String, Object> first = a.tick(1000);
        assertEquals(RelayMessages.OFFER, first.get("type"));
        assertNull(a.tick(1500), "no resend within a second");
        for (int i = 2; i <= RelayMessages.MAX_ATTEMPTS; i++) {
            Map<String, Object> again = a.tick(1000L * i);
            assertEquals(first, again, "the same offer (same leg id and nonce) each time");
        }
        assertNull(a.tick(10_000));
        assertEquals(RelayLeg.State.FAILED, a.state);
        assertTrue(!a.isReady());
    }

    @Test
    void badOffersAreRefused() {
        Map<String, Object> offer = new java.util.HashMap<>(RelayLeg.offer("B", RelayKeys.AES_GCM, RelayFramingTest.CLUSTER, sa, 0).offerMessage());
        offer.put("profile", 99L);
        assertThrows(IllegalArgumentException.class, () -> RelayLeg.answer("A", offer, RelayFramingTest.CLUSTER, sb, 0));
        offer.put("profile", (long) RelayKeys.AES_GCM);
        offer.put("address", "evil.example.com");
        assertThrows(IllegalArgumentException.class, () -> RelayLeg.answer("A", offer, RelayFramingTest.CLUSTER, sb, 0));
        offer.put("address", "127.0.0.1");
        offer.put("nonce", "AAAA");
        assertThrows(IllegalArgumentException.class, () -> RelayLeg.answer("A", offer, RelayFramingTest.CLUSTER, sb, 0));
    }

    @Test
    void handshakeThenRtpOneWayAndRtcpBothWays() throws Exception {
        RelayLeg a = RelayLeg.offer("B", RelayKeys.AES_GCM, RelayFramingTest.CLUSTER, sa, 0);
        Map<String, Object> offer = a.tick(1000);
        RelayLeg b = RelayLeg.answer("A", offer, RelayFramingTest.CLUSTER, sb, 1000);
        assertEquals(RelayLeg.State.ANSWERED, b.state);
        assertTrue(!b.isReady(), "the answerer waits for ready before sending");
        Map<String, Object> ready = a.onAnswer(b.answerMessage(), 1100);
        assertEquals(RelayMessages.READY, ready.get("type"));
        assertEquals(RelayLeg.State.READY, a.state);
        assertEquals(ready, a.onAnswer(b.answerMessage(), 1200), "a repeated answer gets ready again");
        assertNull(b.tick(1500));
        b.onReady(1200);
        assertTrue(a.isReady() && b.isReady());
        sa.setLegs(new RelayLeg[] {a});
        sb.setLegs(new RelayLeg[] {b});

        // B receives a relayed stream of ssrc 1000 from A
        Room room = new Room("r", new dev.visage.sfu.SfuMetrics());
        RemoteStream rs = new RemoteStream("r", room, b, 1000, 0);
        PublishedTrack relayed = track(1000, rs);
        rs.bind(relayed);
        b.setIncoming(new RemoteStream[] {rs});
        // A's side of the same stream (a track with a cache; owner-less here)
        PublishedTrack origin = track(1000, null);
        a.setOutgoing(new TrackRelay[] {new TrackRelay(origin)});

        for (int seq = 10; seq < 20; seq++) {
            if (seq == 15) {
                continue; // lost on the leg
            }
            byte[] p = RelayFramingTest.rtp(1000, seq, 300);
            assertTrue(a.sendRtp(p, 0, 312));
        }
        await(() -> b.stats().packetsReceived() == 9, "9 packets at B");
        assertEquals(9, a.stats().packetsSent());
        byte[] out = new byte[1600];
        assertEquals(312, relayed.cachedPacket(0, 12, out), "B caches relayed packets for its subscribers' NACKs");
        assertEquals(-1, relayed.cachedPacket(0, 15, out));

        // B's NACK step asked A for 15 as soon as 16 showed the gap, before any subscriber did
        await(() -> counter(a, "nacks_received_total") >= 1 && counter(b, "nacks_sent_total") >= 1, "B's own NACK of the gap at A");
        double nacksBefore = counter(a, "nacks_received_total");
        // feedback B -> A: a PLI, and a NACK for what B's cache lacks
        rs.requestKeyFrame(relayed, 1000);
        rs.requestRetransmission(relayed, 1000, 15);
        await(() -> counter(a, "plis_received_total") == 1 && counter(a, "nacks_received_total") == nacksBefore + 1, "PLI and NACK at A");
        assertEquals(0, counter(a, "retransmissions_total"), "A's cache does not have 15 either (nothing resent)");

        // reports both ways: RTT at each end, loss measured at B and reported to A
        byte[] buf = new byte[1500];
        int[] loss = new int[2];
        a.sendReport(buf, loss, System.currentTimeMillis());
        await(() -> b.peerSsrc == a.localSsrc, "A's SR at B");
        b.sendReport(buf, loss, System.currentTimeMillis());
        await(() -> counter(a, "rtt_seconds") >= 0, "RTT at A");
        assertTrue(counter(a, "rtt_seconds") < 1, "loopback RTT " + counter(a, "rtt_seconds"));
        assertEquals(1, counter(b, "packets_lost_received"));
        await(() -> counter(a, "packets_lost_sent") == 1, "B's loss report at A");
        assertTrue(counter(a, "fraction_lost_sent") > 0);

        // a datagram from an address that is no leg's peer is dropped unread
        try (java.net.DatagramSocket stranger = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            byte[] p = RelayFramingTest.rtp(1000, 30, 20);
            stranger.send(new java.net.DatagramPacket(p, 32, InetAddress.getLoopbackAddress(), sb.port()));
        }
        await(() -> sb.droppedUnknownSource() == 1, "stranger dropped");

        a.close(2000);
        assertTrue(!a.sendRtp(RelayFramingTest.rtp(1000, 40, 20), 0, 32));
        assertNotNull(b.remote());
    }

    @Test
    void aPacketOfAStreamNotYetKnownCanStillBeRecoveredOnceItIs() throws Exception {
        // media can reach the far node before the message announcing its track; such a packet is
        // dropped before decryption, so its retransmission is not refused as an SRTP replay later
        RelayLeg a = RelayLeg.offer("B", RelayKeys.AES_GCM, RelayFramingTest.CLUSTER, sa, 0);
        RelayLeg b = RelayLeg.answer("A", a.tick(1000), RelayFramingTest.CLUSTER, sb, 1000);
        a.onAnswer(b.answerMessage(), 1100);
        b.onReady(1200);
        sa.setLegs(new RelayLeg[] {a});
        sb.setLegs(new RelayLeg[] {b});
        assertTrue(a.sendRtp(RelayFramingTest.rtp(1000, 7, 300), 0, 312));
        await(() -> counter(b, "dropped_unknown_ssrc_total") == 1, "a packet of an unannounced stream dropped");

        Room room = new Room("r", new dev.visage.sfu.SfuMetrics());
        RemoteStream rs = new RemoteStream("r", room, b, 1000, 0);
        PublishedTrack relayed = track(1000, rs);
        rs.bind(relayed);
        b.setIncoming(new RemoteStream[] {rs});
        assertTrue(a.sendRtp(RelayFramingTest.rtp(1000, 7, 300), 0, 312), "the same packet again (a retransmission)");
        byte[] out = new byte[1600];
        await(() -> relayed.cachedPacket(0, 7, out) == 312, "the retransmission taken (cached for the far subscribers)");
        assertEquals(0, counter(b, "dropped_srtp_total"), "not refused as a replay");
    }
}
