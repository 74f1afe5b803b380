package dev.visage.sfu.room;

import dev.visage.sfu.sdp.PublishAnswer;
import dev.visage.sfu.sdp.SessionDescription;
import dev.visage.sfu.sdp.TransportParams;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target "sdp": a client's SDP. Parsing and answering may fail only with
 * IllegalArgumentException (the signalling answers it with a bad_request error); an answer we
 * build must parse again and accept at most {@link PublishAnswer#MAX_TRACKS} tracks. Then the same
 * text goes to an endpoint as a publish offer and as a subscribe answer, through the handler the
 * signalling calls (transports without harvesters: candidates are parsed, never contacted).
 */
public final class SdpFuzzTarget {
    private static final TransportParams OURS = new TransportParams("ufrag", "password-password-pass",
            "AA:BB", List.of("candidate:1 1 udp 2130706431 10.0.0.1 10000 typ host generation 0"));
    private static FuzzRoom room;

    private SdpFuzzTarget() {
    }

    public static void fuzzerInitialize() {
        room = FuzzRoom.open();
    }

    public static void fuzzerTestOneInput(byte[] input) {
        String sdp = new String(input, StandardCharsets.UTF_8);
        try {
            SessionDescription offer = SessionDescription.parse(sdp);
            PublishAnswer answer = PublishAnswer.build(offer, OURS, List.of("VP8", "H264", "VP9", "AV1"), 1, 2);
            SessionDescription again = SessionDescription.parse(answer.sdp);
            if (again.media.size() != offer.media.size() || answer.tracks.size() > PublishAnswer.MAX_TRACKS) {
                throw new AssertionError("our answer does not match the offer's sections: " + answer.sdp);
            }
        } catch (IllegalArgumentException rejected) {
            // a clear error for the client
        }
        for (String type : new String[]{"offer", "answer"}) {
            try {
                room.subscriber.onClientMessage(type, Map.of("type", type, "sdp", sdp));
            } catch (IllegalArgumentException rejected) {
                // a clear error for the client
            }
        }
    }
}
