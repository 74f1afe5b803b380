package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.sdp.TrackInfo;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The RTP rewrite that keeps a subscriber's stream continuous when its source changes. */
class SubscriptionTest {
    static final int OLD_SSRC = 0x11111111;
    static final int NEW_SSRC = 0x22222222;

    static PublishedTrack video(String session, int ssrc, String codec, String fmtp) {
        TrackInfo info = new TrackInfo("video", "1", ssrc, ssrc + 1, codec, 96, 97, 90000, fmtp, Map.of(), "v-" + session);
        return new PublishedTrack(new Participant("r", session, "alice", "Alice"), info, 64, null);
    }

    static byte[] packet(int ssrc, int seq, int ts) {
        byte[] p = new byte[20];
        p[0] = (byte) 0x80;
        p[1] = 96;
        RtpPacket.setSequence(p, 0, seq);
        RtpPacket.w32(p, 4, ts);
        RtpPacket.setSsrc(p, 0, ssrc);
        return p;
    }

    @Test
    void untilItsSourceChangesAStreamIsForwardedAsItIs() {
        PublishedTrack t = video("s1", OLD_SSRC, "VP8", null);
        Subscription s = new Subscription(t, "0", null);
        byte[] p = packet(OLD_SSRC, 500, 123456);
        s.rewriteRtp(p, 0, p.length, 1);
        assertEquals(OLD_SSRC, RtpPacket.ssrc(p, 0));
        assertEquals(500, RtpPacket.sequence(p, 0));
        assertEquals(123456L, RtpPacket.timestamp(p, 0));
        assertEquals(500, Subscription.sequenceOf(s.resendSource(500)));
    }

    @Test
    void aNewSourceContinuesTheSubscribersNumberingAfterTheGap() {
        PublishedTrack old = video("s1", OLD_SSRC, "VP8", null);
        Subscription s = new Subscription(old, "0", null);
        long t0 = 1_000_000_000L;
        // the old source's last packets sent: sequence wraps, timestamp near 2^32
        s.rewriteRtp(packet(OLD_SSRC, 65534, 0xFFFFF000), 0, 20, t0);
        s.rewriteRtp(packet(OLD_SSRC, 65535, 0xFFFFFF00), 0, 20, t0 + 33_000_000L);
        PublishedTrack next = video("s2", NEW_SSRC, "VP8", null);
        assertTrue(s.canContinueWith(next));
        s.rebind(next);
        assertFalse(s.ready());

        // 2 s after the old source's last packet, the new one starts at its own random numbers
        long arrival = t0 + 33_000_000L + 2_000_000_000L;
        byte[] p = packet(NEW_SSRC, 4000, 777);
        s.rewriteRtp(p, 0, p.length, arrival);
        assertTrue(s.ready());
        assertEquals(OLD_SSRC, RtpPacket.ssrc(p, 0));
        assertEquals(0, RtpPacket.sequence(p, 0)); // 65535 + 1
        assertEquals((0xFFFFFF00 + 180_000) & 0xFFFFFFFFL, RtpPacket.timestamp(p, 0)); // + 2 s at 90 kHz

        byte[] q = packet(NEW_SSRC, 4001, 777 + 3000);
        s.rewriteRtp(q, 0, q.length, arrival + 33_000_000L);
        assertEquals(1, RtpPacket.sequence(q, 0));
        assertEquals((0xFFFFFF00 + 183_000) & 0xFFFFFFFFL, RtpPacket.timestamp(q, 0));
        // a NACK of the subscriber's sequence 1 is the new source's 4001
        assertEquals(4001, Subscription.sequenceOf(s.resendSource(1)));

        // the source's SR, copied for the subscriber: its SSRC and RTP time in the same terms
        byte[] sr = new byte[28];
        sr[0] = (byte) 0x80;
        sr[1] = (byte) 200;
        RtpPacket.w32(sr, 4, NEW_SSRC);
        RtpPacket.w32(sr, 16, 777 + 3000);
        s.rewriteSenderReport(sr, 0);
        assertEquals(OLD_SSRC, RtpPacket.i32(sr, 4));
        assertEquals(RtpPacket.i32(q, 4), RtpPacket.i32(sr, 16));
    }

    @Test
    void aSourceThatNeverSentDoesNotMoveWhereTheStreamStopped() {
        PublishedTrack old = video("s1", OLD_SSRC, "VP8", null);
        Subscription s = new Subscription(old, "0", null);
        s.rewriteRtp(packet(OLD_SSRC, 100, 9000), 0, 20, 1_000_000_000L);
        s.rebind(video("s2", NEW_SSRC, "VP8", null)); // came back, lost again before sending
        PublishedTrack third = video("s3", NEW_SSRC + 2, "VP8", null);
        s.rebind(third);
        byte[] p = packet(NEW_SSRC + 2, 7, 1);
        s.rewriteRtp(p, 0, p.length, 2_000_000_000L);
        assertEquals(101, RtpPacket.sequence(p, 0));
        assertEquals(9000L + 90_000, RtpPacket.timestamp(p, 0));
    }

    @Test
    void onlyTheSameKindCodecAndFormatCanContinueAStream() {
        Subscription s = new Subscription(video("s1", OLD_SSRC, "VP8", null), "0", null);
        assertFalse(s.canContinueWith(video("s2", NEW_SSRC, "H264", null)));
        Subscription h = new Subscription(video("s1", OLD_SSRC, "H264", "profile-level-id=42e01f"), "0", null);
        assertFalse(h.canContinueWith(video("s2", NEW_SSRC, "H264", "profile-level-id=640c1f")));
        assertTrue(h.canContinueWith(video("s2", NEW_SSRC, "H264", "profile-level-id=42e01f")));
        // a track relayed from another node says "" where a local one has no fmtp at all
        assertTrue(s.canContinueWith(video("s2", NEW_SSRC, "VP8", "")));
    }

    /**
     * After a failover the user's camera, until then relayed as one layer, comes from a local
     * simulcast track: VP8 picture ids are rewritten, so the stream continues (the subscriber keeps
     * its SSRC and tile); a layering change of a codec whose ids are not rewritten does not.
     */
    @Test
    void aRelayedVp8StreamContinuesWithASimulcastTrackOfTheSameCamera() {
        Subscription relayed = new Subscription(video("s1", OLD_SSRC, "VP8", ""), "0", null);
        assertTrue(relayed.canContinueWith(simulcastVideo("s2", "VP8")));
        Subscription local = new Subscription(simulcastVideo("s1", "VP8"), "0", null);
        assertTrue(local.canContinueWith(video("s2", NEW_SSRC, "VP8", "")));
        Subscription h264 = new Subscription(video("s1", OLD_SSRC, "H264", null), "0", null);
        assertFalse(h264.canContinueWith(simulcastVideo("s2", "H264")));
    }

    static PublishedTrack simulcastVideo(String session, String codec) {
        TrackInfo info = new TrackInfo("video", "1", NEW_SSRC, 0, codec, 96, 97, 90000, codec.equals("VP8") ? "" : null,
                Map.of(), "v-" + session, TrackInfo.CAMERA, java.util.List.of("q", "h", "f"));
        return new PublishedTrack(new Participant("r", session, "alice", "Alice"), info, 64, null);
    }
}
