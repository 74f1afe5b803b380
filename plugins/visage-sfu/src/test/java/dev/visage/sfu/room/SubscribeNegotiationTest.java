package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.SfuConfig;
import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.sdp.Codecs;
import dev.visage.sfu.sdp.MediaSection;
import dev.visage.sfu.sdp.SessionDescription;
import dev.visage.sfu.sdp.TrackInfo;
import dev.visage.sfu.sdp.TransportParams;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A subscriber's m-sections as its browser sees them in our offers, as tracks come and go. */
class SubscribeNegotiationTest {
    private static final TransportParams TRANSPORT = new TransportParams("ufragS", "passwordpasswordpassword", "AA:BB",
            List.of("candidate:1 1 udp 2130706431 127.0.0.1 10000 typ host generation 0"));

    private final SubscribeNegotiation negotiation = new SubscribeNegotiation(42);
    private final SubscribeTransport consumers = new SubscribeTransport(new RoomServices(
            new SfuConfig(0, "", List.of("VP8", "H264"), 15_000, 200, 15_000, 512, 2_500_000, "sunjce", 0),
            new SfuMetrics(), List.of(), null, RoomServices.newTimer("test-timer"), e -> { }));

    /** As the endpoint subscribes: a section, and a consumer under its mid. */
    private String subscribe(PublishedTrack t) {
        String mid = negotiation.openSection(t);
        consumers.add(new Subscription(t, mid, consumers));
        return mid;
    }

    private void unsubscribe(String mid) {
        consumers.remove(consumers.consumerByMid(mid));
        negotiation.closeSection(mid);
    }

    /** The tracks message's entries as "mid:sessionId:trackId". */
    @SuppressWarnings("unchecked")
    private List<String> tracks() {
        Map<String, Object> message = negotiation.tracksMessage(consumers);
        assertEquals("tracks", message.get("type"));
        return ((List<Map<String, Object>>) message.get("tracks")).stream()
                .map(m -> m.get("mid") + ":" + m.get("sessionId") + ":" + m.get("trackId")).toList();
    }

    private static PublishedTrack track(String session, String kind, int ssrc, String codec) {
        boolean video = kind.equals("video");
        TrackInfo info = new TrackInfo(kind, "0", ssrc, video ? ssrc + 1 : 0, codec, video ? 96 : 111, video ? 97 : -1,
                video ? 90000 : 48000, "", Map.of(), kind + "-" + session);
        return new PublishedTrack(new Participant("r", session, "u-" + session, session), info, 64, null);
    }

    /** The offer the browser gets now, answered at once (as a browser does). */
    private SessionDescription offerAndAnswer() {
        SessionDescription offer = offer();
        assertFalse(negotiation.answered(), "nothing changed while the answer was pending");
        return offer;
    }

    private SessionDescription offer() {
        assertTrue(negotiation.offerWanted());
        return SessionDescription.parse(negotiation.offer(TRANSPORT));
    }

    private static List<String> mids(SessionDescription sdp) {
        return sdp.media.stream().map(m -> m.mid).toList();
    }

    private static MediaSection section(SessionDescription sdp, String mid) {
        return sdp.media.stream().filter(m -> mid.equals(m.mid)).findFirst().orElseThrow();
    }

    @Test
    void eachTrackGetsASendonlySectionWithItsPublishersStreamInJoinOrder() {
        negotiation.clientReady();
        assertEquals("0", subscribe(track("sA", "audio", 1000, "OPUS")));
        assertEquals("1", subscribe(track("sA", "video", 2000, "VP8")));
        assertEquals("2", subscribe(track("sB", "audio", 3000, "OPUS")));
        SessionDescription offer = offerAndAnswer();
        assertEquals(List.of("0", "1", "2"), mids(offer));
        assertEquals(List.of("0", "1", "2"), offer.bundle);
        MediaSection video = section(offer, "1");
        assertEquals("sendonly", video.direction);
        assertEquals("sA", video.msidStream, "the MediaStream id is the publisher's session");
        assertEquals("video-sA", video.msidTrack);
        assertEquals(List.of(2000L, 2001L), video.ssrcs);
        assertEquals(2001L, video.fidGroups.get(2000L));
    }

    @Test
    void aTrackThatLeavesKeepsItsSectionInPlaceInactive() {
        negotiation.clientReady();
        subscribe(track("sA", "audio", 1000, "OPUS"));
        subscribe(track("sA", "video", 2000, "VP8"));
        subscribe(track("sB", "audio", 3000, "OPUS"));
        offerAndAnswer();
        unsubscribe("1");
        SessionDescription offer = offerAndAnswer();
        assertEquals(List.of("0", "1", "2"), mids(offer), "the browser's m-line order never changes");
        MediaSection left = section(offer, "1");
        assertEquals("inactive", left.direction);
        assertNull(left.msidStream);
        assertTrue(left.ssrcs.isEmpty());
        assertEquals("sendonly", section(offer, "2").direction);
        assertEquals(List.of("0:sA:audio-sA", "2:sB:audio-sB"), tracks(), "the client is told which mids carry a track");
    }

    @Test
    void aNewTrackTakesOverASectionTheBrowserAcceptedAsInactive() {
        negotiation.clientReady();
        subscribe(track("sA", "audio", 1000, "OPUS"));
        subscribe(track("sA", "video", 2000, "VP8"));
        offerAndAnswer();
        unsubscribe("1");
        offerAndAnswer(); // the browser has taken section 1 as inactive

        assertEquals("1", subscribe(track("sC", "video", 5000, "VP8")));
        SessionDescription offer = offerAndAnswer();
        assertEquals(List.of("0", "1"), mids(offer), "the SDP does not grow with a leave and a join");
        MediaSection taken = section(offer, "1");
        assertEquals("sendonly", taken.direction);
        assertEquals("sC", taken.msidStream);
        assertEquals(List.of(5000L, 5001L), taken.ssrcs);
    }

    /** Before the browser answered an offer with the section inactive, one step would move a mid between two tracks. */
    @Test
    void aSectionNotYetAnsweredAsInactiveIsNotTakenOver() {
        negotiation.clientReady();
        subscribe(track("sA", "video", 2000, "VP8"));
        offerAndAnswer();
        unsubscribe("0");
        assertEquals("1", subscribe(track("sB", "video", 3000, "VP8")), "never offered inactive yet");
        offer(); // carries 0 inactive; no answer yet
        assertEquals("2", subscribe(track("sC", "video", 4000, "VP8")), "its answer is pending");
    }

    @Test
    void anInactiveSectionIsTakenOverOnlyByATrackOfItsKind() {
        negotiation.clientReady();
        subscribe(track("sA", "video", 2000, "VP8"));
        offerAndAnswer();
        unsubscribe("0");
        offerAndAnswer();
        assertEquals("1", subscribe(track("sB", "audio", 3000, "OPUS")));
        assertEquals("0", subscribe(track("sB", "video", 4000, "VP8")));
        SessionDescription offer = offerAndAnswer();
        assertEquals("video", section(offer, "0").kind);
        assertEquals("audio", section(offer, "1").kind);
    }

    @Test
    void nothingIsOfferedBeforeTheClientIsReadyOrWithoutTracks() {
        assertFalse(negotiation.offerWanted(), "not ready, no tracks");
        negotiation.clientReady();
        assertFalse(negotiation.offerWanted(), "ready, no tracks");
        subscribe(track("sA", "audio", 1000, "OPUS"));
        assertTrue(negotiation.offerWanted());
    }

    /** One offer at a time: a change while the browser answers goes in the offer right after its answer. */
    @Test
    void aChangeWhileAnAnswerIsPendingIsOfferedRightAfterIt() {
        negotiation.clientReady();
        subscribe(track("sA", "audio", 1000, "OPUS"));
        offer();
        assertTrue(negotiation.awaitingAnswer());
        subscribe(track("sB", "audio", 3000, "OPUS"));
        assertFalse(negotiation.offerWanted(), "the answer is pending");
        assertTrue(negotiation.answered(), "the change is due now");
        assertEquals(List.of("0", "1"), mids(offerAndAnswer()));
        assertFalse(negotiation.awaitingAnswer());
    }

    @Test
    void aClientDecodesEverythingUntilItSaysOtherwise() {
        PublishedTrack h264 = track("sA", "video", 2000, "H264");
        PublishedTrack vp8 = track("sB", "video", 3000, "VP8");
        PublishedTrack opus = track("sA", "audio", 1000, "OPUS");
        assertTrue(negotiation.decodes(h264));
        negotiation.clientDecodes(DecodableCodecs.from(List.of("vp8", "VP9")));
        assertFalse(negotiation.decodes(h264), "a browser without H.264 is not offered it");
        assertTrue(negotiation.decodes(vp8), "codec names are not case-sensitive");
        assertTrue(negotiation.decodes(opus), "audio is always Opus");
    }

    @Test
    void theSectionsAnAnswerRefusesAreTheOnesWithPortZero() {
        String answer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
                + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n"
                + "m=video 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\n"
                + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=rtpmap:96 VP8/90000\r\n";
        assertEquals(List.of("1"), SubscribeNegotiation.refusedMids(SessionDescription.parse(answer)));
    }

    @Test
    void transportCcIsOnWhenAnAcceptedSectionKeepsOurExtensionId() {
        String head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
        String ours = "a=extmap:" + Codecs.SUBSCRIBER_TRANSPORT_CC_ID + " " + Codecs.EXT_TRANSPORT_CC + "\r\n";
        String kept = head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n" + ours;
        String onlyRefused = head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
                + "m=video 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\n" + ours;
        String dropped = head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n";
        assertTrue(SubscribeNegotiation.keepsTransportCc(SessionDescription.parse(kept)));
        assertFalse(SubscribeNegotiation.keepsTransportCc(SessionDescription.parse(onlyRefused)));
        assertFalse(SubscribeNegotiation.keepsTransportCc(SessionDescription.parse(dropped)));
    }

    /** A publisher's new session continues its stream: the same section and trackId, now under the new session. */
    @Test
    void aContinuedStreamKeepsItsMidAndTrackIdUnderTheNewSession() {
        negotiation.clientReady();
        PublishedTrack before = track("sA", "video", 2000, "VP8");
        subscribe(track("sB", "audio", 3000, "OPUS"));
        subscribe(before);
        SessionDescription first = offerAndAnswer();
        assertEquals(List.of("0:sB:audio-sB", "1:sA:video-sA"), tracks());
        consumers.rebind(consumers.consumerOf(before), track("sA2", "video", 2000, "VP8"));
        SessionDescription next = offerAndAnswer();
        assertEquals(List.of("0:sB:audio-sB", "1:sA2:video-sA"), tracks());
        assertEquals(section(first, "1").ssrcs, section(next, "1").ssrcs, "the browser's receiver is untouched");
        assertEquals("sA", section(next, "1").msidStream);
    }
}
