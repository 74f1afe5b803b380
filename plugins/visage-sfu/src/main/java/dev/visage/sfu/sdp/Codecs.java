package dev.visage.sfu.sdp;

import java.util.List;

/**
 * The codecs the SFU forwards and the canonical payload types and header extension ids it uses
 * towards subscribers (publishers' own numbers are rewritten on the way through).
 */
public final class Codecs {
    public static final String EXT_MID = "urn:ietf:params:rtp-hdrext:sdes:mid";
    public static final String EXT_AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    public static final String EXT_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    public static final String EXT_VIDEO_ORIENTATION = "urn:3gpp:video-orientation";
    public static final String EXT_RID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    public static final String EXT_REPAIRED_RID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    public static final String EXT_TRANSPORT_CC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

    /**
     * Extensions accepted from publishers. mid, the rids and transport-cc are consumed by the SFU
     * and stripped when forwarding (transport-cc feeds our feedback to the publisher's estimator;
     * mid and rid name a simulcast layer's RTP stream before its SSRC is known).
     */
    public static final List<String> PUBLISH_EXTENSIONS = List.of(EXT_MID, EXT_AUDIO_LEVEL, EXT_ABS_SEND_TIME,
            EXT_VIDEO_ORIENTATION, EXT_TRANSPORT_CC, EXT_RID, EXT_REPAIRED_RID);

    /** Our transport-wide sequence number towards subscribers: offered in every section under this id. */
    public static final int SUBSCRIBER_TRANSPORT_CC_ID = 5;

    /**
     * Canonical ids towards subscribers; 0 = stripped. A publisher's transport-wide sequence number
     * keeps its element (under our id) so that the send step can overwrite it in place with the
     * subscriber transport's own number instead of inserting one.
     */
    public static int subscriberExtensionId(String uri) {
        return switch (uri) {
            case EXT_AUDIO_LEVEL -> 1;
            case EXT_ABS_SEND_TIME -> 2;
            case EXT_VIDEO_ORIENTATION -> 3;
            case EXT_TRANSPORT_CC -> SUBSCRIBER_TRANSPORT_CC_ID;
            default -> 0;
        };
    }

    /** Canonical payload type of a codec towards subscribers. */
    public static int canonicalPt(String codec) {
        return switch (codec) {
            case "OPUS" -> 111;
            case "VP8" -> 96;
            case "VP9" -> 98;
            case "H264" -> 102;
            case "AV1" -> 45;
            default -> -1;
        };
    }

    /**
     * Codecs whose simulcast layers a consumer can switch between: it finds their key frames and
     * sizes (VP8's payload descriptor, H.264's SPS) and keeps the stream continuous across layers
     * (VP8 picture ids rewritten; H.264 needs only sequence numbers and timestamps).
     */
    public static boolean simulcastCapable(String codec) {
        return "VP8".equals(codec) || "H264".equals(codec);
    }

    public static int canonicalRtxPt(String codec) {
        int pt = canonicalPt(codec);
        return pt < 0 || codec.equals("OPUS") ? -1 : pt + 1;
    }

    /**
     * The publisher's Opus parameters with discontinuous transmission asked for (as LiveKit does by
     * default): a silent microphone then sends a comfort-noise frame every 400 ms instead of 50
     * packets a second, which every subscriber's downlink would otherwise carry, headers and all.
     */
    public static String withOpusDtx(String fmtp) {
        if (fmtp == null || fmtp.isBlank()) {
            return "usedtx=1";
        }
        return fmtp.contains("usedtx=") ? fmtp : fmtp + ";usedtx=1";
    }

    public static String rtpmapName(String codec) {
        return switch (codec) {
            case "OPUS" -> "opus";
            case "AV1" -> "AV1";
            default -> codec;
        };
    }

    private Codecs() {
    }
}
