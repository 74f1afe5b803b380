package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.sdp.Codecs;
import dev.visage.sfu.sdp.MediaSection;
import dev.visage.sfu.sdp.SessionDescription;
import dev.visage.sfu.sdp.SubscribeOffer;
import dev.visage.sfu.sdp.TransportParams;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SDP side of one subscriber's receive PeerConnection: which m-section (mid) carries which
 * remote track, the offer/answer exchange (one offer at a time; a change while an answer is
 * pending is offered right after it) and the video codecs the subscriber's browser decodes.
 *
 * <p>The browser keeps every m-section it has ever seen, in order, so a section is never removed
 * or moved: a track that leaves makes its section inactive, and a later track of the same kind
 * takes that section over once the browser has answered an offer carrying it inactive (before
 * that, the browser would see one mid go from one track to another in a single step). Without
 * recycling the SDP would grow with every join and leave.
 *
 * <p>Not thread-safe: its endpoint calls it under the room monitor.
 */
final class SubscribeNegotiation {
    private final long sdpSessionId;
    /** In m-line order, as the browser has them; a section's {@code track} is null while inactive. */
    private final List<SubscribeOffer.Section> sections = new ArrayList<>();
    /** mid of an inactive section -> the version of the first offer that carried it inactive. */
    private final Map<String, Long> inactiveSince = new HashMap<>();
    private int nextMid;
    private long offeredVersion;
    private long answeredVersion;
    private boolean awaitingAnswer;
    /** Something changed while an answer was pending: offer again once it arrives. */
    private boolean reofferAfterAnswer;
    private boolean clientReady;
    private DecodableCodecs decodable = DecodableCodecs.ALL;

    SubscribeNegotiation(long sdpSessionId) {
        this.sdpSessionId = sdpSessionId;
    }

    // ---------------------------------------------------------------- what the client said

    /** The client can take subscribe offers now (its media-ready, or an older client's first publish offer). */
    void clientReady() {
        clientReady = true;
    }

    boolean isClientReady() {
        return clientReady;
    }

    /** The video codecs the client said it decodes (media-ready's videoCodecs). */
    void clientDecodes(DecodableCodecs said) {
        decodable = said;
    }

    /** Whether the subscriber's browser can decode t, as far as it said (see {@link DecodableCodecs}). */
    boolean decodes(PublishedTrack t) {
        return decodable.decodes(t);
    }

    // ---------------------------------------------------------------- m-sections

    /**
     * An m-section for t, from the next offer on: an inactive one of the same kind that the
     * browser has already accepted as inactive, else a new one at the end.
     *
     * @return its mid
     */
    String openSection(PublishedTrack t) {
        String kind = t.info.kind();
        int reuse = -1;
        for (int i = 0; i < sections.size() && reuse < 0; i++) {
            SubscribeOffer.Section sec = sections.get(i);
            Long inactiveAt = inactiveSince.get(sec.mid());
            if (sec.track() == null && sec.kind().equals(kind) && inactiveAt != null && inactiveAt <= answeredVersion) {
                reuse = i;
            }
        }
        String mid = reuse >= 0 ? sections.get(reuse).mid() : String.valueOf(nextMid++);
        String streamId = t.publisher.sessionId();
        SubscribeOffer.Section section = new SubscribeOffer.Section(mid, kind, t.info, streamId, streamId);
        if (reuse >= 0) {
            inactiveSince.remove(mid);
            sections.set(reuse, section);
        } else {
            sections.add(section);
        }
        return mid;
    }

    /** The section goes inactive in the next offer (its track is no longer sent). */
    void closeSection(String mid) {
        for (int i = 0; i < sections.size(); i++) {
            SubscribeOffer.Section sec = sections.get(i);
            if (sec.mid().equals(mid)) {
                sections.set(i, new SubscribeOffer.Section(sec.mid(), sec.kind(), null, sec.streamId(), sec.cname()));
            }
        }
    }

    /**
     * {@code {type:"tracks", tracks:[{mid, sessionId, userId, displayName, kind, source, trackId, muted}]}},
     * sent right before each offer: which section carries whose track, in m-line order. The owner
     * is the consumer's current source's: after a publisher reconnect, its new session under the
     * same mid and trackId.
     */
    Map<String, Object> tracksMessage(SubscribeTransport consumers) {
        List<Object> list = new ArrayList<>();
        for (SubscribeOffer.Section sec : sections) {
            Subscription s = sec.track() == null ? null : consumers.consumerByMid(sec.mid());
            if (s == null) {
                continue;
            }
            Participant owner = s.track.publisher;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mid", sec.mid());
            m.put("sessionId", owner.sessionId());
            m.put("userId", owner.userId() != null ? owner.userId() : "");
            m.put("displayName", owner.displayName() != null ? owner.displayName() : "");
            m.put("kind", sec.kind());
            m.put("source", sec.track().source());
            m.put("trackId", sec.track().trackId());
            m.put("muted", s.track.muted);
            list.add(m);
        }
        return Map.of("type", "tracks", "tracks", list);
    }

    // ---------------------------------------------------------------- offer and answer

    /**
     * Something to offer: true if an offer should be built now; false if there is nothing to
     * offer yet, or an answer is pending (then the offer follows that answer, see {@link #answered}).
     */
    boolean offerWanted() {
        if (!clientReady || sections.isEmpty()) {
            return false;
        }
        if (awaitingAnswer) {
            reofferAfterAnswer = true;
            return false;
        }
        return true;
    }

    /** The next offer, over these transport parameters; an answer is pending from now on. */
    String offer(TransportParams transport) {
        String sdp = SubscribeOffer.build(sections, transport, sdpSessionId, ++offeredVersion);
        for (SubscribeOffer.Section sec : sections) {
            if (sec.track() == null) {
                inactiveSince.putIfAbsent(sec.mid(), offeredVersion);
            }
        }
        awaitingAnswer = true;
        reofferAfterAnswer = false;
        return sdp;
    }

    boolean awaitingAnswer() {
        return awaitingAnswer;
    }

    /** The mids of the sections the answer refused (port 0: the browser has none of the codecs offered). */
    static List<String> refusedMids(SessionDescription answer) {
        return answer.media.stream().filter(MediaSection::rejected).map(m -> m.mid).toList();
    }

    /** The answer keeps our transport-wide sequence number extension (under our id). */
    static boolean keepsTransportCc(SessionDescription answer) {
        for (MediaSection m : answer.media) {
            if (!m.rejected() && m.extensionId(Codecs.EXT_TRANSPORT_CC) == Codecs.SUBSCRIBER_TRANSPORT_CC_ID) {
                return true;
            }
        }
        return false;
    }

    /**
     * The answer to the pending offer arrived.
     *
     * @return true if something changed meanwhile, so a new offer is due now
     */
    boolean answered() {
        awaitingAnswer = false;
        answeredVersion = offeredVersion;
        return reofferAfterAnswer;
    }
}
