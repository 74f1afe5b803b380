package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.SfuConfig;
import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.dtls.DtlsCertificate;
import dev.visage.sfu.ice.IceSetup;
import dev.visage.sfu.transport.PeerTransport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * A room for the RTP and RTCP fuzz targets: a publisher with Chrome's audio and VP8+RTX tracks
 * (transport-cc negotiated) and a subscriber to both, without harvesters, so no transport ever
 * binds a socket or sends a packet: the fuzzed packets go straight into the endpoints' handlers,
 * as the receive loop passes them on after decryption.
 */
final class FuzzRoom {
    static final int AUDIO_SSRC = (int) 1111111111L;
    static final int VIDEO_SSRC = (int) 2222222222L;
    static final int RTX_SSRC = (int) 3333333333L;

    /**
     * The transports' ICE agents log every remote candidate at INFO (through PeerTransport's
     * logger): thousands of lines a second under fuzzing. Kept here so the level sticks.
     */
    private static final List<Logger> QUIET = List.of(Logger.getLogger(PeerTransport.class.getName()),
            Logger.getLogger("org.ice4j"));

    final SfuMetrics metrics = new SfuMetrics();
    final Room room;
    final RoomServices services;
    final SfuEndpoint publisher;
    final SfuEndpoint subscriber;

    private FuzzRoom() {
        IceSetup.configureIce4j();
        QUIET.forEach(l -> l.setLevel(Level.WARNING));
        SfuConfig config = new SfuConfig(0, "", List.of("VP8", "H264", "VP9", "AV1"), 15_000, 200, 15_000, 512,
                2_500_000, "sunjce", 0);
        services = new RoomServices(config, metrics, List.of(), DtlsCertificate.generate(), RoomServices.newTimer("fuzz-timer"), e -> { });
        room = new Room("fuzz", metrics);
        List<Map<String, Object>> toPublisher = new java.util.ArrayList<>();
        publisher = SfuEndpoint.join(room, new Participant("fuzz", "pub", "u1", "Publisher"), toPublisher::add, services);
        subscriber = SfuEndpoint.join(room, new Participant("fuzz", "sub", "u2", "Subscriber"), m -> { }, services);
        publisher.onClientMessage("offer", Map.of("type", "offer", "pc", "publish", "sdp", chromeOfferWithoutCandidates()));
        subscriber.onClientMessage("media-ready", Map.of("type", "media-ready"));
        if (toPublisher.stream().anyMatch(m -> String.valueOf(m.get("sdp")).contains("a=candidate"))) {
            throw new IllegalStateException("a transport here has local candidates: it could send packets");
        }
        if (publisher.publishedTracks().length != 2) {
            throw new IllegalStateException("the publisher's offer gave " + publisher.publishedTracks().length + " tracks");
        }
    }

    static FuzzRoom open() {
        return new FuzzRoom();
    }

    /** Chrome's offer; its candidates are left out: ICE checks must never leave this machine. */
    static String chromeOfferWithoutCandidates() {
        try (InputStream in = FuzzRoom.class.getResourceAsStream("/sdp/chrome-publish-offer.sdp")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.startsWith("a=candidate"))
                    .collect(Collectors.joining("\r\n", "", "\r\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
