package dev.visage.sfu.sdp;

import java.util.Map;

/**
 * A track a publisher sends, as accepted in our answer: its SSRCs, chosen codec (publisher's
 * payload types) and the header extension ids the publisher uses.
 */
public record TrackInfo(String kind, String mid, int ssrc, int rtxSsrc, String codec, int payloadType,
                        int rtxPayloadType, int clockRate, String fmtp, Map<String, Integer> extensionIds,
                        String trackId) {
}
