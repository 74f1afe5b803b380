package dev.visage.sfu.room;

import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.Participant;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.sfu.SfuEngine;
import dev.visage.sfu.sdp.MediaSection;
import dev.visage.sfu.SubscriberAnswer;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.sdp.SessionDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's signalling and its UDP socket, without a browser (media address 127.0.0.1). */
public class SfuEngineTest {
    static SfuEngine engine;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Map<String, String> settings = Map.of("visage.media.addresses", "127.0.0.1", "visage.media.port", String.valueOf(port),
                "visage.sfu.reconnect-grace-ms", "1500");
        engine = (SfuEngine) ServiceLoader.load(dev.visage.api.media.MediaEngine.class).stream()
                .map(ServiceLoader.Provider::get).filter(e -> e.name().equals("sfu")).findFirst().orElseThrow();
        engine.start(new TestPluginContext("n1", Path.of("target"), settings));
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    /** Chromium's simulcast offer with H.264 (42e01f, packetization-mode 1) first, as ?codec=h264 makes it. */
    static String h264FirstOffer() throws Exception {
        return sdp("chrome-simulcast-publish-offer.sdp").replace(
                "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109",
                "m=video 9 UDP/TLS/RTP/SAVPF 108 109 96 97 102 103 104 107");
    }

    static String chromeOffer() throws Exception {
        return sdp("chrome-publish-offer.sdp");
    }

    private static String sdp(String name) throws Exception {
        try (InputStream in = SfuEngineTest.class.getResourceAsStream("/sdp/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\n", "\r\n");
        }
    }

    /**
     * A simulcast camera is one track to its subscribers, under SSRCs of the SFU's own that a
     * renegotiation keeps; they ask for the size they show it at, and bad sizes get a clear error.
     */
    @Test
    void aSimulcastCameraIsOneStreamToSubscribersWhoTellItsSize() throws Exception {
        Inbox a = new Inbox();
        Inbox b = new Inbox();
        MediaEndpoint ea = engine.join(new Participant("room-simulcast", "sA", "uA", "Alice"), a.messages::add);
        MediaEndpoint eb = engine.join(new Participant("room-simulcast", "sB", "uB", "Bob"), b.messages::add);
        String offer = sdp("chrome-simulcast-publish-offer.sdp");
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", offer)));
        assertTrue(((String) a.of("answer").get(0).get("sdp")).contains("a=simulcast:recv q;h;f"));
        assertTrue(eb.onClientMessage("media-ready", msg("type", "media-ready")));
        List<Map<String, Object>> tracks = tracksIn(b.of("tracks").get(0));
        assertEquals(List.of("audio", "video"), tracks.stream().map(t -> t.get("kind")).toList());
        String videoTrack = (String) tracks.get(1).get("trackId");
        String subOffer = (String) b.of("offer").get(0).get("sdp");
        SessionDescription sub = SessionDescription.parse(subOffer);
        assertEquals(2, sub.media.get(1).ssrcs.size(), "one SSRC and its RTX: " + subOffer);
        assertEquals(3, engine.streamStats("room-simulcast").stream()
                .filter(m -> "publish".equals(m.get("direction")) && m.containsKey("rid")).count(), "a stream per layer");

        answerSubscribe(eb, b.of("offer").get(0));
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", offer)));
        assertEquals(1, b.of("offer").size(), "a renegotiation keeps the track: no re-offer");

        assertTrue(eb.onClientMessage("video-size", msg("type", "video-size", "trackId", videoTrack, "width", 320, "height", 180)));
        assertTrue(eb.onClientMessage("video-size", msg("type", "video-size", "trackId", videoTrack, "width", 0, "height", 0)));
        assertTrue(eb.onClientMessage("video-size", msg("type", "video-size", "trackId", "gone", "width", 0, "height", 0)),
                "a report that crossed its track's end is no error");
        for (Map<String, Object> bad : List.of(
                msg("type", "video-size", "width", 320, "height", 180),
                msg("type", "video-size", "trackId", videoTrack, "width", -1, "height", 180),
                msg("type", "video-size", "trackId", videoTrack, "width", 320.5, "height", 180),
                msg("type", "video-size", "trackId", videoTrack, "width", "320", "height", 180),
                msg("type", "video-size", "trackId", videoTrack, "width", 320, "height", 100_000))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> eb.onClientMessage("video-size", bad));
            assertTrue(e.getMessage().contains("trackId") || e.getMessage().contains("width")
                    || e.getMessage().contains("height"), e.getMessage());
        }
        ea.close();
        eb.close();
    }

    /**
     * An H.264 camera (the publisher put H.264 first) is offered to a subscriber that decodes it,
     * in H.264, and not to one whose browser said it decodes VP8 only (Firefox without its
     * OpenH264 plugin): that one gets the audio, and a notice naming the track and codec, whether
     * the track was there before it said so or came after. A malformed codec list is refused.
     */
    @Test
    void aTrackInACodecTheSubscriberCannotDecodeIsLeftOutWithANotice() throws Exception {
        Inbox a = new Inbox();
        Inbox chromium = new Inbox();
        Inbox firefox = new Inbox();
        String room = "room-h264";
        MediaEndpoint ec = engine.join(new Participant(room, "sC", "uC", "Carol"), chromium.messages::add);
        MediaEndpoint ea = engine.join(new Participant(room, "sA", "uA", "Alice"), a.messages::add);
        String h264First = h264FirstOffer();
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", h264First)));
        MediaEndpoint ef = engine.join(new Participant(room, "sF", "uF", "Fiona"), firefox.messages::add);
        assertThrows(IllegalArgumentException.class, () -> ef.onClientMessage("media-ready",
                msg("type", "media-ready", "videoCodecs", "VP8")));
        assertThrows(IllegalArgumentException.class, () -> ef.onClientMessage("media-ready",
                msg("type", "media-ready", "videoCodecs", List.of("VP8", 7))));
        assertTrue(ef.onClientMessage("media-ready", msg("type", "media-ready", "videoCodecs", List.of("vp8", "VP9"))));
        assertTrue(ec.onClientMessage("media-ready", msg("type", "media-ready", "videoCodecs", List.of("VP8", "H264"))));

        assertEquals(List.of("audio", "video"), tracksIn(chromium.of("tracks").get(0)).stream().map(t -> t.get("kind")).toList());
        assertTrue(((String) chromium.of("offer").get(0).get("sdp")).contains("a=rtpmap:102 H264/90000"));
        assertEquals(List.of("audio"), tracksIn(firefox.of("tracks").get(0)).stream().map(t -> t.get("kind")).toList());
        String firefoxOffer = (String) firefox.of("offer").get(0).get("sdp");
        assertFalse(firefoxOffer.contains("H264"), firefoxOffer);
        Map<String, Object> notice = firefox.of("track-unsupported").get(0);
        assertEquals("sA", notice.get("sessionId"));
        assertEquals("Alice", notice.get("displayName"));
        assertEquals("video", notice.get("kind"));
        assertEquals("camera", notice.get("source"));
        assertEquals("H264", notice.get("codec"));
        assertTrue(chromium.of("track-unsupported").isEmpty());

        // a second H.264 publisher after the subscriber said what it decodes
        Inbox d = new Inbox();
        MediaEndpoint ed = engine.join(new Participant(room, "sD", "uD", "Dan"), d.messages::add);
        answerSubscribe(ef, firefox.of("offer").get(0));
        String otherSsrcs = h264First.replace("1352833209", "1352833211");
        assertTrue(ed.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", otherSsrcs)));
        assertEquals("sD", firefox.of("track-unsupported").get(1).get("sessionId"));
        assertEquals(List.of("audio", "audio"), tracksIn(firefox.of("tracks").get(1)).stream().map(t -> t.get("kind")).toList());
        for (MediaEndpoint e : List.of(ea, ec, ed, ef)) {
            e.close();
        }
    }

    /**
     * A client that did not say what it decodes and refuses the H.264 section in its answer (port
     * 0, as a browser without that codec answers): the track is no longer sent to it, it gets the
     * same notice, and its next offer carries that section inactive.
     */
    @Test
    void aSectionTheSubscribersAnswerRefusesIsDroppedWithANotice() throws Exception {
        Inbox a = new Inbox();
        Inbox b = new Inbox();
        String room = "room-refused";
        MediaEndpoint ea = engine.join(new Participant(room, "sA", "uA", "Alice"), a.messages::add);
        MediaEndpoint eb = engine.join(new Participant(room, "sB", "uB", "Bob"), b.messages::add);
        String h264First = h264FirstOffer();
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", h264First)));
        assertTrue(eb.onClientMessage("media-ready", msg("type", "media-ready")));
        SessionDescription offer = SessionDescription.parse((String) b.of("offer").get(0).get("sdp"));
        String audioMid = offer.media.get(0).mid;
        String videoMid = offer.media.get(1).mid;
        String answer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE " + audioMid + "\r\n"
                + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:" + audioMid + "\r\na=ice-ufrag:bbbb\r\n"
                + "a=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb\r\na=fingerprint:sha-256 " + engine.fingerprint() + "\r\na=setup:active\r\n"
                + "m=video 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:" + videoMid + "\r\n";
        assertTrue(eb.onClientMessage("answer", msg("type", "answer", "pc", "subscribe", "sdp", answer)));
        assertEquals("H264", b.of("track-unsupported").get(0).get("codec"));
        assertEquals("sA", b.of("track-unsupported").get(0).get("sessionId"));
        assertEquals(1, engine.streamStats(room).stream().filter(m -> "subscribe".equals(m.get("direction"))).count(),
                "only the audio is sent to Bob");
        ea.leave(); // the next offer (Alice's audio gone) has the refused section inactive
        SessionDescription next = SessionDescription.parse((String) b.of("offer").get(1).get("sdp"));
        assertEquals("inactive", next.media.get(1).direction);
        eb.close();
    }

    /**
     * A simulcast publisher's packets as Chromium sends them (mid and rid header extensions, no
     * SSRC in the SDP): each layer's SSRC is learned from its first packet, and the relay gets
     * every layer's packets as they come (a far node's consumers choose among them), each known
     * by a relay SSRC of its own that was fixed before the first packet, and finds them in that
     * layer's cache for the far node's NACKs.
     */
    @Test
    void layersAreFoundByRidAndTheRelayGetsEveryLayer() throws Exception {
        Inbox a = new Inbox();
        SfuEndpoint ea = (SfuEndpoint) engine.join(new Participant("room-rid", "sA", "uA", "Alice"), a.messages::add);
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", sdp("chrome-simulcast-publish-offer.sdp"))));
        try {
            PublishedTrack video = ea.publishedTracks()[1];
            int[] relaySsrcs = {video.relaySsrc(0), video.relaySsrc(1), video.relaySsrc(2)};
            assertEquals(3, java.util.Arrays.stream(relaySsrcs).distinct().count(), "one relay SSRC per layer");
            List<int[]> relayed = new ArrayList<>(); // {layer, seq}
            video.downstream = new PublishedTrack.Downstream() {
                @Override
                public void onRtp(PublishedTrack t, int layer, byte[] buf, int off, int len) {
                    relayed.add(new int[]{layer, RtpPacket.sequence(buf, off)});
                }

                @Override
                public void onSenderReport(PublishedTrack t, int layer, byte[] buf, int off, int len) {
                }
            };
            String[] rids = {"q", "h", "f"};
            int[][] sizes = {{320, 180}, {640, 360}, {1280, 720}};
            for (int round = 0; round < 2; round++) {
                for (int l = 0; l < 3; l++) {
                    byte[] p = ridPacket(0xA0 + l, 100 * l + round, rids[l], round == 0, sizes[l]);
                    ea.publisher().onRtp(p, 0, p.length);
                }
            }
            assertEquals(List.of(0xA0, 0xA1, 0xA2), java.util.Arrays.stream(video.layers).map(s -> s.ssrc).toList());
            assertEquals(1280 << 16 | 720, video.layers[2].keyFrameSize);
            assertEquals(List.of("0:0", "1:100", "2:200", "0:1", "1:101", "2:201"),
                    relayed.stream().map(x -> x[0] + ":" + x[1]).toList(), "every layer, in its own numbering");
            for (int l = 0; l < 3; l++) {
                assertEquals(l, video.layerOfRelaySsrc(relaySsrcs[l]));
            }
            assertEquals(-1, video.layerOfRelaySsrc(0xA2), "the publisher's own SSRC is not a relay SSRC");
            byte[] resent = new byte[1600];
            int n = video.cachedPacket(2, 201, resent);
            assertTrue(n > 0, "the far node's NACK of f's packet 201 is found in f's cache");
            assertEquals(0xA2, RtpPacket.ssrc(resent, 0));
            assertEquals(-1, video.cachedPacket(0, 201, resent), "not in q's");
        } finally {
            ea.close();
        }
    }

    /** For tests of other packages: a decrypted packet from the endpoint's publisher. */
    public static void fromPublisher(SfuEndpoint e, byte[] p) {
        e.publisher().onRtp(p, 0, p.length);
    }

    /** An RTP packet of a Chromium simulcast layer: mid "1" (id 4) and rid (id 10), then VP8. */
    public static byte[] ridPacket(int ssrc, int seq, String rid, boolean keyFrame, int[] size) {
        byte[] vp8 = dev.visage.sfu.codec.Vp8DescriptorTest.rtp(ssrc, seq, seq * 3000, seq & 0x7FFF, seq & 0xFF, keyFrame,
                size[0], size[1]);
        byte[] p = new byte[vp8.length + 8];
        System.arraycopy(vp8, 0, p, 0, 12);
        p[0] |= 0x10;
        p[12] = (byte) 0xBE;
        p[13] = (byte) 0xDE;
        p[15] = 1; // one word: mid (2 bytes) + rid (2 bytes)
        p[16] = 0x40; // id 4, length 1
        p[17] = '1';
        p[18] = (byte) 0xA0; // id 10, length 1
        p[19] = (byte) rid.charAt(0);
        System.arraycopy(vp8, 12, p, 20, vp8.length - 12);
        p[1] = (byte) 96; // the offer's VP8 payload type
        return p;
    }

    static final class Inbox {
        final List<Map<String, Object>> messages = Collections.synchronizedList(new ArrayList<>());

        List<Map<String, Object>> of(String type) {
            synchronized (messages) {
                return messages.stream().filter(m -> type.equals(m.get("type"))).toList();
            }
        }
    }

    static Map<String, Object> msg(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void publishSubscribeMuteAndLeave() throws Exception {
        Inbox a = new Inbox();
        Inbox b = new Inbox();
        MediaEndpoint ea = engine.join(new Participant("room1", "sA", "uA", "Alice"), a.messages::add);
        MediaEndpoint eb = engine.join(new Participant("room1", "sB", "uB", "Bob"), b.messages::add);

        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer())));
        Map<String, Object> answer = a.of("answer").get(0);
        assertEquals("publish", answer.get("pc"));
        SessionDescription ans = SessionDescription.parse((String) answer.get("sdp"));
        MediaSection audio = ans.media.get(0);
        assertEquals("passive", audio.setup);
        assertEquals(engine.fingerprint(), audio.fingerprint);
        assertTrue(audio.candidates.get(0).contains(" 127.0.0.1 " + port + " typ host"), audio.candidates.toString());
        assertTrue(b.of("offer").isEmpty(), "no subscribe offer before the client is ready");
        List<Map<String, Object>> stats = engine.streamStats("room1");
        assertEquals(4, stats.size()); // A publishes 2 tracks, B is subscribed to both
        assertEquals("publish", stats.get(1).get("direction"));
        assertEquals("subscribe", stats.get(3).get("direction"));
        assertEquals("sA", stats.get(3).get("fromSessionId"));
        assertEquals("VP8", stats.get(1).get("codec"));
        assertEquals(2222222222L, stats.get(1).get("ssrc"));
        assertTrue(engine.streamStats("no-such-room").isEmpty());

        assertTrue(eb.onClientMessage("media-ready", msg("type", "media-ready")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tracks = (List<Map<String, Object>>) b.of("tracks").get(0).get("tracks");
        assertEquals(2, tracks.size());
        assertEquals("sA", tracks.get(0).get("sessionId"));
        assertEquals("Alice", tracks.get(0).get("displayName"));
        String subOffer = (String) b.of("offer").get(0).get("sdp");
        assertTrue(subOffer.contains("a=ssrc:2222222222 msid:sA videotrack1"), subOffer);
        assertTrue(subOffer.contains("a=setup:actpass"));

        assertTrue(ea.onClientMessage("mute", msg("type", "mute", "kind", "video", "muted", true)));
        Map<String, Object> muted = b.of("track-muted").get(0);
        assertEquals("sA", muted.get("sessionId"));
        assertEquals(true, muted.get("muted"));

        // B answers, then A leaves: B gets a re-offer without A's tracks
        answerSubscribe(eb, b.of("offer").get(0));
        ea.leave();
        assertEquals(2, b.of("offer").size());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> after = (List<Map<String, Object>>) b.of("tracks").get(1).get("tracks");
        assertTrue(after.isEmpty());
        assertTrue(((String) b.of("offer").get(1).get("sdp")).contains("a=inactive"));
        eb.close();
        assertEquals(0, engine.metrics().get("visage_sfu_endpoints").intValue());
    }

    /** A subscriber's answer to a subscribe offer (only what the engine reads of it). */
    static void answerSubscribe(MediaEndpoint e, Map<String, Object> offer) {
        SubscriberAnswer.answer(e, offer, engine.fingerprint());
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> tracksIn(Map<String, Object> tracksMessage) {
        return (List<Map<String, Object>>) tracksMessage.get("tracks");
    }

    @Test
    void aSharedScreenIsAnnouncedWithItsSourceAndAnUnknownSourceIsRefused() throws Exception {
        Inbox a = new Inbox();
        Inbox b = new Inbox();
        MediaEndpoint ea = engine.join(new Participant("room-screen", "sA", "uA", "Alice"), a.messages::add);
        MediaEndpoint eb = engine.join(new Participant("room-screen", "sB", "uB", "Bob"), b.messages::add);
        assertThrows(IllegalArgumentException.class, () -> ea.onClientMessage("offer",
                msg("type", "offer", "pc", "publish", "sdp", chromeOffer(), "sources", Map.of("1", "projector"))));
        assertThrows(IllegalArgumentException.class, () -> ea.onClientMessage("offer",
                msg("type", "offer", "pc", "publish", "sdp", chromeOffer(), "sources", "screen")));
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer(), "sources", Map.of("1", "screen"))));
        assertTrue(eb.onClientMessage("media-ready", msg("type", "media-ready")));
        List<Map<String, Object>> tracks = tracksIn(b.of("tracks").get(0));
        assertEquals(List.of("microphone", "screen"), tracks.stream().map(t -> t.get("source")).toList());
        ea.close();
        eb.close();
    }

    @Test
    void aPublisherWhoReconnectsContinuesTheSameStreamsAndOneWhoDoesNotReturnEndsThem() throws Exception {
        Inbox a = new Inbox();
        Inbox b = new Inbox();
        MediaEndpoint ea = engine.join(new Participant("room7", "sA", "uA", "Alice"), a.messages::add);
        MediaEndpoint eb = engine.join(new Participant("room7", "sB", "uB", "Bob"), b.messages::add);
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer())));
        assertTrue(eb.onClientMessage("media-ready", msg("type", "media-ready")));
        List<Map<String, Object>> before = tracksIn(b.of("tracks").get(0));
        String firstOffer = (String) b.of("offer").get(0).get("sdp");
        answerSubscribe(eb, b.of("offer").get(0));

        // A's connection is lost: B keeps A's streams (no re-offer) while A may come back
        ea.close();
        assertEquals(1, b.of("offer").size());

        // A is back in a new session, publishing new SSRCs: B's streams go on under the old SSRCs
        MediaEndpoint ea2 = engine.join(new Participant("room7", "sA2", "uA", "Alice"), new Inbox().messages::add);
        assertTrue(ea2.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp",
                chromeOffer().replace("1111111111", "41").replace("2222222222", "42").replace("3333333333", "43"))));
        List<Map<String, Object>> after = tracksIn(b.of("tracks").get(1));
        assertEquals(before.size(), after.size());
        for (int k = 0; k < before.size(); k++) {
            assertEquals(before.get(k).get("mid"), after.get(k).get("mid"));
            assertEquals(before.get(k).get("trackId"), after.get(k).get("trackId"));
            assertEquals("sA", before.get(k).get("sessionId"));
            assertEquals("sA2", after.get(k).get("sessionId"));
        }
        String continued = (String) b.of("offer").get(1).get("sdp");
        assertTrue(continued.contains("a=ssrc:2222222222 msid:sA videotrack1"), continued);
        assertFalse(continued.contains("a=ssrc:42 "), continued);
        assertFalse(continued.contains("a=inactive"), continued);
        assertEquals(firstOffer.split("\r\nm=").length, continued.split("\r\nm=").length);
        List<Map<String, Object>> subscribed = engine.streamStats("room7").stream()
                .filter(m -> "subscribe".equals(m.get("direction"))).toList();
        assertEquals(2, subscribed.size());
        assertTrue(subscribed.stream().allMatch(m -> "sA2".equals(m.get("fromSessionId"))), subscribed.toString());
        assertTrue(subscribed.stream().anyMatch(m -> Long.valueOf(2222222222L).equals(m.get("ssrc"))), subscribed.toString());
        answerSubscribe(eb, b.of("offer").get(1));

        // lost again, and nobody comes back: the streams end once the grace (1.5 s here) is over
        ea2.close();
        assertEquals(2, b.of("offer").size());
        long deadline = System.currentTimeMillis() + 5000;
        while (b.of("offer").size() < 3 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(3, b.of("offer").size());
        assertTrue(tracksIn(b.of("tracks").get(2)).isEmpty());
        String ended = (String) b.of("offer").get(2).get("sdp");
        assertEquals(2, ended.split("a=inactive", -1).length - 1, ended);
        eb.close();
    }

    @Test
    void malformedSignallingIsAnIllegalArgumentAndNeverKillsTheEndpoint() throws Exception {
        Inbox a = new Inbox();
        MediaEndpoint e = engine.join(new Participant("room2", "sX", "uX", "X"), a.messages::add);
        assertFalse(e.onClientMessage("chat", msg("type", "chat", "text", "hi")));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("offer", msg("type", "offer", "pc", "publish")));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", 42)));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", "garbage")));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("offer", msg("type", "offer", "pc", "subscribe", "sdp", "v=0")));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("offer", msg("type", "offer", "pc", "publish",
                "sdp", "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n")));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("answer", msg("type", "answer", "pc", "subscribe", "sdp", "v=0\r\n")));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("candidate", msg("type", "candidate")));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("candidate", msg("type", "candidate", "pc", "publish", "candidate", 5)));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("mute", msg("type", "mute", "kind", "screen", "muted", true)));
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("mute", msg("type", "mute", "kind", "audio", "muted", "yes")));
        // a fingerprint with an unknown hash is refused before anything starts
        String badFp = chromeOffer().replace("a=fingerprint:sha-256", "a=fingerprint:md5");
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", badFp)));
        // and afterwards a good offer still works
        assertTrue(e.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer())));
        assertEquals(1, a.of("answer").size());
        assertThrows(IllegalArgumentException.class, () -> e.onClientMessage("candidate", msg("type", "candidate", "pc", "publish",
                "candidate", msg("candidate", "candidate:x"))));
        assertTrue(e.onClientMessage("candidate", msg("type", "candidate", "pc", "publish",
                "candidate", msg("candidate", "candidate:1 1 udp 2122260223 10.1.2.3 5000 typ host generation 0"))));
        assertTrue(e.onClientMessage("candidate", msg("type", "candidate", "pc", "publish", "candidate", null)));
        e.close();
    }

    @Test
    void ssrcsAlreadyInUseAndExcessTracksAreRefused() throws Exception {
        Inbox a = new Inbox();
        Inbox b = new Inbox();
        MediaEndpoint ea = engine.join(new Participant("room4", "s1", "u1", "One"), a.messages::add);
        MediaEndpoint eb = engine.join(new Participant("room4", "s2", "u2", "Two"), b.messages::add);
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer())));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> eb.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer())));
        assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        // the same client may re-offer its own SSRCs (renegotiation)
        assertTrue(ea.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer())));
        // ten video sections: only PublishAnswer.MAX_TRACKS are accepted
        String offer = chromeOffer();
        int v = offer.indexOf("m=video");
        int app = offer.indexOf("m=application");
        String video = offer.substring(v, app);
        StringBuilder many = new StringBuilder(offer.substring(0, app));
        for (int k = 0; k < 9; k++) {
            many.append(video.replace("a=mid:1", "a=mid:v" + k).replace("2222222222", String.valueOf(100 + k))
                    .replace("3333333333", String.valueOf(200 + k)));
        }
        assertTrue(eb.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp",
                many.toString().replace("1111111111", "5555").replace("2222222222", "6666").replace("3333333333", "7777"))));
        String answer = (String) b.of("answer").get(0).get("sdp");
        long accepted = SessionDescription.parse(answer).media.stream().filter(m -> m.port != 0).count();
        assertEquals(dev.visage.sfu.sdp.PublishAnswer.MAX_TRACKS, accepted);
        ea.close();
        eb.close();
    }

    @Test
    void concurrentJoinsAndLeavesNeverSplitARoom() throws Exception {
        int threads = 8;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<MediaEndpoint>> stayers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int n = i;
            stayers.add(pool.submit(() -> {
                go.await();
                for (int k = 0; k < 50; k++) { // churn: join and leave the same room
                    engine.join(new Participant("room5", "churn" + n + "-" + k, "u", "U"), m -> { }).close();
                }
                return engine.join(new Participant("room5", "stay" + n, "u", "U"), m -> { });
            }));
        }
        go.countDown();
        List<MediaEndpoint> joined = new ArrayList<>();
        for (java.util.concurrent.Future<MediaEndpoint> f : stayers) {
            joined.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
        }
        pool.shutdown();
        // every stayer is in the one live room: its stats list all of them
        long members = engine.streamStats("room5").size();
        assertEquals(0, members); // nobody publishes, so no streams...
        Inbox probe = new Inbox();
        MediaEndpoint p = engine.join(new Participant("room5", "probe", "u", "U"), probe.messages::add);
        assertTrue(p.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer())));
        // ...but once the probe publishes, all 8 stayers are subscribed to its 2 tracks in that room
        assertEquals(2 + threads * 2, engine.streamStats("room5").size());
        p.close();
        for (MediaEndpoint e : joined) {
            e.close();
        }
    }

    // --------------------------------------------------------------- STUN on the real socket

    static byte[] bindingRequest(String username, byte[] key, Random r) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(512);
        b.putShort((short) 0x0001).putShort((short) 0).putInt(0x2112A442);
        byte[] tx = new byte[12];
        r.nextBytes(tx);
        b.put(tx);
        byte[] u = username.getBytes(StandardCharsets.UTF_8);
        b.putShort((short) 0x0006).putShort((short) u.length).put(u);
        while (b.position() % 4 != 0) {
            b.put((byte) 0);
        }
        b.putShort((short) 0x0024).putShort((short) 4).putInt(1853759231);
        b.putShort((short) 0x802A).putShort((short) 8).putLong(r.nextLong());
        int miAt = b.position();
        b.putShort(2, (short) (miAt - 20 + 24));
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(key, "HmacSHA1"));
        mac.update(b.array(), 0, miAt);
        b.putShort((short) 0x0008).putShort((short) 20).put(mac.doFinal());
        int fpAt = b.position();
        b.putShort(2, (short) (fpAt - 20 + 8));
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, fpAt);
        b.putShort((short) 0x8028).putShort((short) 4).putInt((int) (crc.getValue() ^ 0x5354554EL));
        byte[] out = new byte[b.position()];
        System.arraycopy(b.array(), 0, out, 0, out.length);
        return out;
    }

    /** Returns the STUN message type of the reply, or -1 if none came. */
    static int exchange(DatagramSocket s, byte[] req) throws Exception {
        s.send(new DatagramPacket(req, req.length, InetAddress.getLoopbackAddress(), port));
        byte[] buf = new byte[1500];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        long deadline = System.currentTimeMillis() + 1500;
        while (System.currentTimeMillis() < deadline) {
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return -1;
            }
            int type = ((buf[0] & 0xFF) << 8) | (buf[1] & 0xFF);
            if (type == 0x0101 || type == 0x0111) {
                return type;
            }
        }
        return -1;
    }

    @Test
    void stunChecksNeedTheRightIntegrityAndGarbageDoesNotStopTheSocket() throws Exception {
        Inbox a = new Inbox();
        MediaEndpoint e = engine.join(new Participant("room3", "sS", "uS", "S"), a.messages::add);
        e.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", chromeOffer()));
        MediaSection m = SessionDescription.parse((String) a.of("answer").get(0).get("sdp")).media.get(0);
        String user = m.iceUfrag + ":pmXa";
        Random r = new Random(1);
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(1500);
            assertEquals(0x0101, exchange(s, bindingRequest(user, m.icePwd.getBytes(StandardCharsets.UTF_8), r)),
                    "a correct check succeeds");
            byte[] badKey = "not-the-password".getBytes(StandardCharsets.UTF_8);
            assertNotEquals(0x0101, exchange(s, bindingRequest(user, badKey, r)), "bad MESSAGE-INTEGRITY must not succeed");
            byte[] tampered = bindingRequest(user, m.icePwd.getBytes(StandardCharsets.UTF_8), r);
            tampered[tampered.length - 20] ^= 1; // breaks the integrity (and fingerprint)
            assertNotEquals(0x0101, exchange(s, tampered));
            // random datagrams of every kind at the shared port
            for (int i = 0; i < 2000; i++) {
                byte[] junk = new byte[r.nextInt(1400) + 1];
                r.nextBytes(junk);
                if (i % 3 == 0 && junk.length > 20) {
                    // STUN-looking junk naming our ufrag
                    byte[] u = user.getBytes(StandardCharsets.UTF_8);
                    junk[0] = 0;
                    junk[1] = 1;
                    System.arraycopy(u, 0, junk, 20, Math.min(u.length, junk.length - 20));
                }
                s.send(new DatagramPacket(junk, junk.length, InetAddress.getLoopbackAddress(), port));
            }
            // the kernel may drop datagrams while the backlog drains; ICE retransmits, and so do we
            int reply = -1;
            for (int attempt = 0; attempt < 5 && reply != 0x0101; attempt++) {
                Thread.sleep(200);
                reply = exchange(s, bindingRequest(user, m.icePwd.getBytes(StandardCharsets.UTF_8), r));
            }
            assertEquals(0x0101, reply, "a correct check still succeeds after the garbage");
        }
        e.close();
    }

    @Test
    void theMediaPortStillAnswersAfterEveryStoredStunFuzzInput() throws Exception {
        Inbox a = new Inbox();
        MediaEndpoint e = engine.join(new Participant("room6", "sF", "uF", "F"), a.messages::add);
        String offer = chromeOffer().lines().filter(l -> !l.startsWith("a=candidate")).collect(Collectors.joining("\r\n", "", "\r\n"));
        e.onClientMessage("offer", msg("type", "offer", "pc", "publish", "sdp", offer));
        MediaSection m = SessionDescription.parse((String) a.of("answer").get(0).get("sdp")).media.get(0);
        byte[] key = m.icePwd.getBytes(StandardCharsets.UTF_8);
        String user = m.iceUfrag + ":pmXa";
        Random r = new Random(2);
        Path stored = Path.of(SfuEngineTest.class.getResource("/fuzz/stun").toURI());
        List<Path> inputs;
        try (Stream<Path> files = Files.list(stored)) {
            inputs = files.toList();
        }
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(1500);
            // a first check makes this address known: what follows reaches the agent's STUN stack
            assertEquals(0x0101, exchange(s, bindingRequest(user, key, r)));
            for (Path input : inputs) {
                byte[] d = Files.readAllBytes(input);
                s.send(new DatagramPacket(d, d.length, InetAddress.getLoopbackAddress(), port));
            }
            int reply = -1;
            for (int attempt = 0; attempt < 5 && reply != 0x0101; attempt++) {
                reply = exchange(s, bindingRequest(user, key, r));
            }
            assertEquals(0x0101, reply, "a correct check still succeeds after " + inputs.size() + " stored inputs");
        }
        e.close();
    }
}
