package dev.visage.sfu.sdp;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A track a publisher sends, as accepted in our answer: its SSRCs, chosen codec (publisher's
 * payload types), the header extension ids the publisher uses, and what it shows: {@code source}
 * is "microphone" or "camera" unless the publisher says otherwise ("screen" for a shared screen).
 *
 * <p>A track with {@code rids} (the encodings' RTP stream ids, as the publisher listed them; more
 * than one for simulcast) sends one RTP stream per rid, whose SSRCs the SFU learns from the
 * packets' rid header extension; {@code ssrc} and {@code rtxSsrc} are then the SFU's own, the
 * ones subscribers know the track by.
 */
public record TrackInfo(String kind, String mid, int ssrc, int rtxSsrc, String codec, int payloadType,
                        int rtxPayloadType, int clockRate, String fmtp, Map<String, Integer> extensionIds,
                        String trackId, String source, List<String> rids) {
    public static final String CAMERA = "camera";
    public static final String MICROPHONE = "microphone";
    public static final String SCREEN = "screen";
    private static final Set<String> SOURCES = Set.of(CAMERA, MICROPHONE, SCREEN);

    public TrackInfo {
        if (source == null) {
            source = "audio".equals(kind) ? MICROPHONE : CAMERA;
        } else if (!SOURCES.contains(source)) {
            throw new IllegalArgumentException("unknown track source '" + source + "' (camera, microphone or screen)");
        }
        rids = rids == null ? List.of() : List.copyOf(rids);
    }

    /** One RTP stream (not simulcast), of a given source. */
    public TrackInfo(String kind, String mid, int ssrc, int rtxSsrc, String codec, int payloadType, int rtxPayloadType,
                     int clockRate, String fmtp, Map<String, Integer> extensionIds, String trackId, String source) {
        this(kind, mid, ssrc, rtxSsrc, codec, payloadType, rtxPayloadType, clockRate, fmtp, extensionIds, trackId, source,
                List.of());
    }

    /** The default source of its kind. */
    public TrackInfo(String kind, String mid, int ssrc, int rtxSsrc, String codec, int payloadType, int rtxPayloadType,
                     int clockRate, String fmtp, Map<String, Integer> extensionIds, String trackId) {
        this(kind, mid, ssrc, rtxSsrc, codec, payloadType, rtxPayloadType, clockRate, fmtp, extensionIds, trackId, null);
    }

    public TrackInfo withSource(String newSource) {
        return new TrackInfo(kind, mid, ssrc, rtxSsrc, codec, payloadType, rtxPayloadType, clockRate, fmtp, extensionIds,
                trackId, newSource, rids);
    }

    /** More than one encoding: subscribers get one layer each. */
    public boolean simulcast() {
        return rids.size() > 1;
    }
}
