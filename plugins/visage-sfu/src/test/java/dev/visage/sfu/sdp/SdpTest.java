package dev.visage.sfu.sdp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SdpTest {
    static String chromeOffer() throws IOException {
        return offer("chrome-publish-offer.sdp");
    }

    private static String offer(String name) throws IOException {
        try (InputStream in = SdpTest.class.getResourceAsStream("/sdp/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\n", "\r\n");
        }
    }

    static final TransportParams OURS = new TransportParams("ufragX", "passwordpasswordpassword", "AA:BB",
            List.of("candidate:1 1 udp 2130706431 10.0.0.1 10000 typ host generation 0"));

    @Test
    void parsesChromeOffer() throws IOException {
        SessionDescription d = SessionDescription.parse(chromeOffer());
        assertEquals(List.of("0", "1"), d.bundle);
        assertEquals(3, d.media.size());
        MediaSection a = d.media.get(0);
        assertEquals("audio", a.kind);
        assertEquals("pmXa", a.iceUfrag);
        assertEquals("sha-256", a.fingerprintAlgorithm);
        assertEquals("OPUS", a.codecName(111));
        assertEquals(48000, a.clockRate(111));
        assertEquals(List.of(1111111111L), a.ssrcs);
        assertEquals("sendonly", a.direction);
        assertEquals(2, a.candidates.size());
        MediaSection v = d.media.get(1);
        assertEquals(3333333333L, v.fidGroups.get(2222222222L));
        assertEquals("96", v.fmtpParam(97, "apt"));
        assertEquals("42e01f", v.fmtpParam(102, "profile-level-id"));
        assertEquals(13, v.extensionId(Codecs.EXT_VIDEO_ORIENTATION));
        assertEquals("videotrack1", v.msidTrack);
    }

    @Test
    void answerAcceptsOpusAndPreferredVideoWithRtxAndRejectsDataChannel() throws IOException {
        SessionDescription offer = SessionDescription.parse(chromeOffer());
        PublishAnswer ans = PublishAnswer.build(offer, OURS, List.of("VP8", "H264"), 1, 1);
        String sdp = ans.sdp;
        assertTrue(sdp.contains("a=group:BUNDLE 0 1\r\n"), sdp);
        assertTrue(sdp.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
        assertTrue(sdp.contains("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"));
        assertTrue(sdp.contains("m=application 0 UDP/DTLS/SCTP"));
        assertTrue(sdp.contains("a=setup:passive"));
        assertTrue(sdp.contains("a=recvonly"));
        assertTrue(sdp.contains("a=fingerprint:sha-256 AA:BB"));
        assertTrue(sdp.contains("a=ice-ufrag:ufragX"));
        assertTrue(sdp.contains("a=extmap:13 urn:3gpp:video-orientation"));
        assertTrue(sdp.contains("a=extmap:3 " + Codecs.EXT_TRANSPORT_CC), "transport-cc keeps the offer's id");
        assertTrue(sdp.contains("a=rtcp-fb:96 transport-cc"));
        assertTrue(sdp.contains("a=rtcp-fb:111 transport-cc"));
        assertTrue(sdp.contains("a=rtcp-fb:96 goog-remb"));
        assertTrue(sdp.contains("a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"), "Opus with DTX asked for: " + sdp);
        assertEquals(2, ans.tracks.size());
        TrackInfo video = ans.tracks.get(1);
        assertEquals("VP8", video.codec());
        assertEquals((int) 2222222222L, video.ssrc());
        assertEquals((int) 3333333333L, video.rtxSsrc());
        assertEquals(97, video.rtxPayloadType());
        assertEquals(Map.of(Codecs.EXT_ABS_SEND_TIME, 2, Codecs.EXT_VIDEO_ORIENTATION, 13, Codecs.EXT_MID, 4,
                Codecs.EXT_TRANSPORT_CC, 3), video.extensionIds());
        // the answer itself parses
        SessionDescription back = SessionDescription.parse(sdp);
        assertEquals(3, back.media.size());
    }

    /**
     * Firefox ESR 153's publish offer (max-bundle): its video section has port 0 and a=bundle-only,
     * which means "in the bundle", not "rejected". Read as rejected, Firefox published no video.
     */
    @Test
    void answerAcceptsFirefoxBundleOnlyVideo() throws IOException {
        SessionDescription offer = SessionDescription.parse(offer("firefox-publish-offer.sdp"));
        MediaSection video = offer.media.get(1);
        assertEquals(0, video.port);
        assertTrue(video.bundleOnly);
        assertFalse(video.rejected());
        PublishAnswer ans = PublishAnswer.build(offer, OURS, List.of("VP8", "H264"), 1, 1);
        assertTrue(ans.sdp.contains("a=group:BUNDLE 0 1\r\n"), ans.sdp);
        assertTrue(ans.sdp.contains("m=video 9 UDP/TLS/RTP/SAVPF 120 124\r\n"), ans.sdp);
        assertTrue(ans.sdp.contains("a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1;usedtx=1\r\n"), ans.sdp);
        assertEquals(2, ans.tracks.size());
        TrackInfo v = ans.tracks.get(1);
        assertEquals("VP8", v.codec());
        assertEquals((int) 3925887425L, v.ssrc());
        assertEquals((int) 2955288182L, v.rtxSsrc());
        assertEquals(124, v.rtxPayloadType());
    }

    /**
     * Chromium 156's offer for a 1280x720 camera sent as three encodings (rids q, h, f; no a=ssrc
     * lines): the answer receives the three rids, and the track gets SSRCs of our own.
     */
    @Test
    void answerAcceptsChromiumVp8Simulcast() throws IOException {
        SessionDescription offer = SessionDescription.parse(offer("chrome-simulcast-publish-offer.sdp"));
        MediaSection video = offer.media.get(1);
        assertEquals(List.of("q", "h", "f"), video.simulcastRids);
        assertEquals(List.of("q", "h", "f"), video.sendRids);
        assertTrue(video.ssrcs.isEmpty());
        PublishAnswer ans = PublishAnswer.build(offer, OURS, List.of("VP8", "H264"), 1, 1);
        TrackInfo v = receivesRidsQhf(ans, 10, 11);
        assertTrue(v.simulcast());
        assertTrue(v.ssrc() != 0 && v.rtxSsrc() != 0 && v.ssrc() != v.rtxSsrc());
        assertEquals(10, v.extensionIds().get(Codecs.EXT_RID));
        assertFalse(ans.tracks.get(0).simulcast(), "audio has one stream");
    }

    /**
     * Firefox ESR 153's offer for the web client's three encodings (rids q, h, f): unlike
     * Chromium's it signals an SSRC and an RTX SSRC per layer (FID groups, not tied to the rids) and
     * offers the rid extensions sendonly. The answer receives the three rids and the track's layers
     * are still found by rid, as Chromium's are.
     */
    @Test
    void answerAcceptsFirefoxVp8Simulcast() throws IOException {
        SessionDescription offer = SessionDescription.parse(offer("firefox-simulcast-publish-offer.sdp"));
        MediaSection video = offer.media.get(1);
        assertEquals(List.of("q", "h", "f"), video.simulcastRids);
        assertEquals(6, video.ssrcs.size());
        assertEquals(3, video.fidGroups.size());
        TrackInfo v = receivesRidsQhf(PublishAnswer.build(offer, OURS, List.of("VP8", "H264"), 1, 1), 9, 10);
        assertEquals(120, v.payloadType());
        assertEquals(124, v.rtxPayloadType());
        assertFalse(video.ssrcs.contains((long) v.ssrc() & 0xFFFFFFFFL), "the track's SSRC is ours, not an offered one");
    }

    /**
     * The answer receives rids q, h and f with the offer's rid and repaired-rid extension ids;
     * returns its video track (the second section's).
     */
    private static TrackInfo receivesRidsQhf(PublishAnswer ans, int ridId, int repairedRidId) {
        assertTrue(ans.sdp.contains("a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n"), ans.sdp);
        assertTrue(ans.sdp.contains("a=extmap:" + ridId + " " + Codecs.EXT_RID + "\r\n"), ans.sdp);
        assertTrue(ans.sdp.contains("a=extmap:" + repairedRidId + " " + Codecs.EXT_REPAIRED_RID + "\r\n"), ans.sdp);
        TrackInfo v = ans.tracks.get(1);
        assertEquals(List.of("q", "h", "f"), v.rids());
        return v;
    }

    /**
     * Chromium's simulcast offer with H.264 first, as the web client's {@code setCodecPreferences} makes it
     * for {@code ?codec=h264}: the publisher's order decides among the codecs the SFU accepts, and
     * its constrained-baseline, packetization-mode 1 payload type is received in all three layers.
     */
    @Test
    void answerAcceptsChromiumH264SimulcastWhenTheOfferPutsItFirst() throws IOException {
        String reordered = offer("chrome-simulcast-publish-offer.sdp").replace(
                "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109",
                "m=video 9 UDP/TLS/RTP/SAVPF 108 109 96 97 102 103 104 107");
        PublishAnswer ans = PublishAnswer.build(SessionDescription.parse(reordered), OURS, List.of("VP8", "H264"), 1, 1);
        TrackInfo v = ans.tracks.get(1);
        assertEquals("H264", v.codec());
        assertEquals(108, v.payloadType(), "42e01f, packetization-mode=1");
        assertEquals(109, v.rtxPayloadType());
        assertEquals(List.of("q", "h", "f"), v.rids());
        assertTrue(ans.sdp.contains("a=simulcast:recv q;h;f\r\n"), ans.sdp);
        assertTrue(ans.sdp.contains("a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"), ans.sdp);
        String toSubscriber = SubscribeOffer.build(List.of(new SubscribeOffer.Section("0", "video", v, "sessA", "sessA")),
                OURS, 5, 1);
        assertTrue(toSubscriber.contains("m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\n"), "canonical H.264 and RTX: " + toSubscriber);
        assertTrue(toSubscriber.contains("a=rtpmap:102 H264/90000\r\n"), toSubscriber);
        assertTrue(toSubscriber.contains("a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"),
                toSubscriber);
        assertTrue(toSubscriber.contains("a=fmtp:103 apt=102\r\n"), toSubscriber);
        String vp8First = offer("chrome-simulcast-publish-offer.sdp");
        assertEquals("VP8", PublishAnswer.build(SessionDescription.parse(vp8First), OURS, List.of("H264", "VP8"), 1, 1)
                .tracks.get(1).codec(), "a browser's default order (VP8 first) keeps VP8");
    }

    /** Consumers switch layers of VP8 and H.264 only: another codec gets its last (the largest) encoding, found by rid. */
    @Test
    void answerTakesOneEncodingOfOtherCodecs() throws IOException {
        PublishAnswer ans = PublishAnswer.build(SessionDescription.parse(offer("chrome-simulcast-publish-offer.sdp")), OURS,
                List.of("VP9"), 1, 1);
        assertTrue(ans.sdp.contains("a=rid:f recv\r\na=simulcast:recv f\r\n"), ans.sdp);
        assertFalse(ans.sdp.contains("a=rid:h"), ans.sdp);
        assertFalse(ans.sdp.contains("a=rid:q"), ans.sdp);
        TrackInfo v = ans.tracks.get(1);
        assertEquals(List.of("f"), v.rids());
        assertFalse(v.simulcast());
    }

    @Test
    void simulcastLineReadsFirstAlternativesAndPausedStreams() {
        SessionDescription d = SessionDescription.parse("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n"
                + "a=rid:a send\r\na=rid:b send\r\na=rid:c send\r\na=rid:x recv\r\na=rid:bad$ send\r\n"
                + "a=simulcast:send a,b;~c;bad$ recv x\r\n");
        assertEquals(List.of("a", "c"), d.media.get(0).simulcastRids);
        assertEquals(List.of("a", "b", "c"), d.media.get(0).sendRids);
    }

    @Test
    void answerHonoursH264Preference() throws IOException {
        PublishAnswer ans = PublishAnswer.build(SessionDescription.parse(chromeOffer()), OURS, List.of("H264"), 1, 1);
        assertEquals("H264", ans.tracks.get(1).codec());
        assertEquals(102, ans.tracks.get(1).payloadType());
        assertEquals(103, ans.tracks.get(1).rtxPayloadType());
    }

    @Test
    void subscribeOfferUsesCanonicalPayloadTypesAndSignalsSsrcs() throws IOException {
        PublishAnswer ans = PublishAnswer.build(SessionDescription.parse(chromeOffer()), OURS, List.of("VP8"), 1, 1);
        String sdp = SubscribeOffer.build(List.of(
                new SubscribeOffer.Section("0", "audio", ans.tracks.get(0), "sessA", "sessA"),
                new SubscribeOffer.Section("1", "video", ans.tracks.get(1), "sessA", "sessA"),
                new SubscribeOffer.Section("2", "video", null, "sessB", "sessB")), OURS, 5, 3);
        assertTrue(sdp.contains("a=group:BUNDLE 0 1 2"));
        assertTrue(sdp.contains("a=setup:actpass"));
        assertTrue(sdp.contains("a=ssrc-group:FID 2222222222 3333333333"));
        assertTrue(sdp.contains("a=msid:sessA videotrack1"));
        assertTrue(sdp.contains("a=rtpmap:96 VP8/90000"));
        assertTrue(sdp.contains("a=fmtp:97 apt=96"));
        assertTrue(sdp.contains("a=inactive"));
        assertTrue(sdp.contains("a=rtcp-fb:96 transport-cc") && sdp.contains("a=rtcp-fb:111 transport-cc"),
                "transport-wide congestion control feedback asked for video and audio");
        SessionDescription d = SessionDescription.parse(sdp);
        for (int m = 0; m < 3; m++) {
            assertEquals(Codecs.SUBSCRIBER_TRANSPORT_CC_ID, d.media.get(m).extensionId(Codecs.EXT_TRANSPORT_CC), "section " + m);
        }
        assertEquals("sendonly", d.media.get(1).direction);
        assertEquals("inactive", d.media.get(2).direction);
        assertTrue(d.media.get(2).ssrcs.isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "   ",
            "hello",
            "v=0\r\nm=audio\r\n",
            "v=0\r\nm=audio x UDP/TLS/RTP/SAVPF 111\r\n",
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 300\r\n",
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF abc\r\n",
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:999 opus/48000\r\n",
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:x\r\n",
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:0 urn:x\r\n",
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:abc urn:x\r\n",
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ssrc:-5 cname:x\r\n",
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ssrc:99999999999 cname:x\r\n",
            "v=0\r\na=fingerprint:sha-256\r\n",
            "v=0\r\nthis is not sdp\r\n",
            "v=0\r\nm=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n",
    })
    void malformedSdpIsAnIllegalArgument(String sdp) {
        assertThrows(IllegalArgumentException.class, () -> SessionDescription.parse(sdp));
    }

    @Test
    void hugeSdpIsRejected() {
        String big = "v=0\r\n" + "a=x\r\n".repeat(100_000);
        assertThrows(IllegalArgumentException.class, () -> SessionDescription.parse(big));
    }

    @Test
    void offerWithoutAcceptableCodecsOrMidIsRejected() {
        String noMid = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";
        assertThrows(IllegalArgumentException.class,
                () -> PublishAnswer.build(SessionDescription.parse(noMid), OURS, List.of("VP8"), 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> PublishAnswer.build(SessionDescription.parse("v=0\r\n"), OURS, List.of("VP8"), 1, 1));
        String pcmuOnly = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=rtpmap:0 PCMU/8000\r\n";
        PublishAnswer a = PublishAnswer.build(SessionDescription.parse(pcmuOnly), OURS, List.of("VP8"), 1, 1);
        assertTrue(a.tracks.isEmpty());
        assertTrue(a.sdp.contains("m=audio 0 "));
    }
}
