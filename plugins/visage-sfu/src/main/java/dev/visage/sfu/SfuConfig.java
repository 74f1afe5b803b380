package dev.visage.sfu;

import dev.visage.api.plugin.PluginContext;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Typed settings of the SFU, read once at start from {@link PluginContext#setting}:
 * <pre>
 * visage.media.port                 UDP port shared by all peers                  (10000)
 * visage.media.addresses            comma-separated IPv4s to bind and advertise   (all non-loopback IPv4)
 * visage.relay.port                 UDP port of the node-to-node relay, on the first media address
 *                                   (media port + 1000); see dev.visage.sfu.relay.RelayConfig
 * visage.sfu.video-codecs           video codecs accepted, comma-separated        (VP8,H264,VP9,AV1);
 *                                   the publisher's offer order picks among them
 * visage.sfu.consent-timeout-ms     fail a transport after this long without consent or media (15000)
 * visage.sfu.pli-interval-ms        minimum interval between key-frame requests per stream (200)
 * visage.sfu.reconnect-grace-ms     how long subscribers keep the streams of a publisher whose
 *                                   connection was lost, for the same user to continue them (15000)
 * visage.sfu.nack-cache-packets     per video stream NACK cache size, power of two (512)
 * visage.sfu.remb-bitrate           bits/s advertised to publishers in REMB        (2500000)
 * visage.sfu.srtp-cipher            AES implementation: openssl | sunjce | bc     (openssl; jitsi-srtp
 *                                   falls back to Java if the native library fails)
 * visage.sfu.debug.drop-rtp-percent TESTING ONLY: drop this share of RTP received and sent, to
 *                                   exercise NACK/RTX where netem is unavailable   (0)
 * </pre>
 */
public record SfuConfig(int port, String addresses, List<String> videoCodecs, long consentTimeoutMillis,
                        long pliIntervalMillis, long reconnectGraceMillis, int nackCachePackets, long rembBitrate, String srtpCipher, double debugDropRtpPercent) {

    public static SfuConfig from(PluginContext ctx) {
        return new SfuConfig(
                Integer.parseInt(ctx.setting("visage.media.port").orElse("10000").trim()),
                ctx.setting("visage.media.addresses").orElse(""),
                Arrays.stream(ctx.setting("visage.sfu.video-codecs").orElse("VP8,H264,VP9,AV1").split(","))
                        .map(s -> s.trim().toUpperCase(Locale.ROOT)).filter(s -> !s.isEmpty()).toList(),
                Long.parseLong(ctx.setting("visage.sfu.consent-timeout-ms").orElse("15000").trim()),
                Long.parseLong(ctx.setting("visage.sfu.pli-interval-ms").orElse("200").trim()),
                Long.parseLong(ctx.setting("visage.sfu.reconnect-grace-ms").orElse("15000").trim()),
                Integer.highestOneBit(Math.max(64, Integer.parseInt(ctx.setting("visage.sfu.nack-cache-packets").orElse("512").trim()))),
                Long.parseLong(ctx.setting("visage.sfu.remb-bitrate").orElse("2500000").trim()),
                ctx.setting("visage.sfu.srtp-cipher").orElse("openssl").trim().toLowerCase(Locale.ROOT),
                Double.parseDouble(ctx.setting("visage.sfu.debug.drop-rtp-percent").orElse("0").trim()));
    }

    /** jitsi-srtp cipher factory class for {@link #srtpCipher()}. */
    public String aesFactoryClass() {
        return switch (srtpCipher) {
            case "openssl" -> "org.jitsi.srtp.crypto.Aes$OpenSSLCipherFactory";
            case "bc" -> "org.jitsi.srtp.crypto.Aes$BouncyCastleCipherFactory";
            default -> "org.jitsi.srtp.crypto.Aes$SunJCECipherFactory";
        };
    }
}
