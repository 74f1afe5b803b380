package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.sdp.Codecs;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The video codecs a subscriber's browser says it decodes ({@code videoCodecs} in its
 * {@code media-ready}, from {@code RTCRtpReceiver.getCapabilities}). An SFU forwards without
 * transcoding, so a track in another codec is not offered to it (its m-section would carry a codec
 * the browser must reject, and its answer would fail or leave a black tile); the client is told
 * instead ({@link #notice}) and shows why. A client that says nothing decodes everything, as
 * before this message had the field; if its answer then refuses a section (port 0), that track is
 * dropped with the same notice ({@code SfuEndpoint#dropRefusedTracks}; the choice is kept by {@link SubscribeNegotiation}).
 */
record DecodableCodecs(Set<String> video) {
    static final DecodableCodecs ALL = new DecodableCodecs(null);
    private static final int MAX_CODECS = 32;

    /**
     * From media-ready's {@code videoCodecs} (absent: {@link #ALL}).
     *
     * @throws IllegalArgumentException if it is not a short list of codec names
     */
    static DecodableCodecs from(Object videoCodecs) {
        if (videoCodecs == null) {
            return ALL;
        }
        if (!(videoCodecs instanceof List<?> list) || list.size() > MAX_CODECS) {
            throw new IllegalArgumentException("videoCodecs must be a list of at most " + MAX_CODECS + " codec names");
        }
        Set<String> names = new HashSet<>();
        for (Object o : list) {
            if (!(o instanceof String s) || s.isEmpty() || s.length() > 32) {
                throw new IllegalArgumentException("videoCodecs must be a list of codec names (e.g. \"VP8\", \"H264\")");
            }
            names.add(s.toUpperCase(Locale.ROOT));
        }
        return new DecodableCodecs(Set.copyOf(names));
    }

    /** Whether the subscriber can decode {@code t} (audio is always Opus, which every browser decodes). */
    boolean decodes(PublishedTrack t) {
        return video == null || !t.video || video.contains(t.info.codec());
    }

    /**
     * {@code {type:"track-unsupported", sessionId, userId, displayName, kind, source, trackId, codec}}:
     * the track of that publisher is not sent to this subscriber, whose browser cannot decode its codec.
     */
    static Map<String, Object> notice(PublishedTrack t) {
        Participant p = t.publisher;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "track-unsupported");
        m.put("sessionId", p.sessionId());
        m.put("userId", p.userId() != null ? p.userId() : "");
        m.put("displayName", p.displayName() != null ? p.displayName() : "");
        m.put("kind", t.info.kind());
        m.put("source", t.info.source());
        m.put("trackId", t.info.trackId());
        m.put("codec", Codecs.rtpmapName(t.info.codec()));
        return m;
    }
}
