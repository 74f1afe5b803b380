package dev.visage.sfu;

import dev.visage.api.media.MediaEndpoint;
import dev.visage.sfu.sdp.SessionDescription;

import java.util.Map;

/** A browser's answer to a subscribe offer, reduced to what the SFU reads from it (tests). */
public final class SubscriberAnswer {
    private SubscriberAnswer() {
    }

    /** Answers the subscribe offer message on e; fingerprint: any valid SHA-256 fingerprint. */
    public static void answer(MediaEndpoint e, Map<String, Object> offer, String fingerprint) {
        SessionDescription so = SessionDescription.parse((String) offer.get("sdp"));
        String sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:" + so.media.get(0).mid + "\r\na=ice-ufrag:bbbb\r\n"
                + "a=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb\r\na=fingerprint:sha-256 " + fingerprint + "\r\na=setup:active\r\n";
        if (!e.onClientMessage("answer", Map.of("type", "answer", "pc", "subscribe", "sdp", sdp))) {
            throw new AssertionError("the endpoint did not take the subscribe answer");
        }
    }
}
