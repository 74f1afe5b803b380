package dev.visage.sfu.sdp;

import java.util.Map;
import java.util.Set;

/**
 * A track a publisher sends, as accepted in our answer: its SSRCs, chosen codec (publisher's
 * payload types), the header extension ids the publisher uses, and what it shows: {@code source}
 * is "microphone" or "camera" unless the publisher says otherwise ("screen" for a shared screen).
 */
public record TrackInfo(String kind, String mid, int ssrc, int rtxSsrc, String codec, int payloadType,
                        int rtxPayloadType, int clockRate, String fmtp, Map<String, Integer> extensionIds,
                        String trackId, String source) {
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
    }

    /** The default source of its kind. */
    public TrackInfo(String kind, String mid, int ssrc, int rtxSsrc, String codec, int payloadType, int rtxPayloadType,
                     int clockRate, String fmtp, Map<String, Integer> extensionIds, String trackId) {
        this(kind, mid, ssrc, rtxSsrc, codec, payloadType, rtxPayloadType, clockRate, fmtp, extensionIds, trackId, null);
    }

    public TrackInfo withSource(String newSource) {
        return new TrackInfo(kind, mid, ssrc, rtxSsrc, codec, payloadType, rtxPayloadType, clockRate, fmtp, extensionIds,
                trackId, newSource);
    }
}
