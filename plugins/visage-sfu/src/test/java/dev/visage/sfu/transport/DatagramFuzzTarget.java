package dev.visage.sfu.transport;

import dev.visage.fuzz.Placement;
import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.dtls.DtlsCertificate;
import dev.visage.sfu.dtls.DtlsSession;
import dev.visage.sfu.dtls.SrtpKeys;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.srtp.SrtpSession;
import org.jitsi.srtp.SrtpErrorStatus;
import org.jitsi.srtp.crypto.Aes;

import java.util.Arrays;

/**
 * Fuzz target "datagram": what arrives on the media socket, through the receive loop
 * ({@link PacketReceiver}) of a transport with SRTP keys and a DTLS session. The first byte picks
 * how the rest is sent: as it is (any datagram: STUN, DTLS, RTP, RTCP, unknown), or as plaintext
 * RTP or RTCP that a browser with the right keys protected (so that what fails only after
 * decryption is reached too), with AES-CM or AES-GCM. The loop must count every datagram, never
 * fail inside (its error counter stays 0) and pass on only valid packets.
 */
public final class DatagramFuzzTarget {
    private static final int SSRC = PacketReceiverTest.SSRC;
    private static final PacketReceiver.MediaHandler ONLY_VALID_PACKETS = new PacketReceiver.MediaHandler() {
        @Override
        public void onRtp(byte[] buf, int off, int len) {
            if (!RtpPacket.isValid(buf, off, len)) {
                throw new AssertionError("the receive loop passed on invalid RTP");
            }
        }

        @Override
        public void onRtcp(byte[] buf, int off, int len) {
            if (!Rtcp.isValidCompound(buf, off, len)) {
                throw new AssertionError("the receive loop passed on invalid RTCP");
            }
        }
    };
    private static DtlsSession dtls;

    private DatagramFuzzTarget() {
    }

    public static void fuzzerInitialize() {
        // the node's choice (SfuConfig's default); left unset, jitsi-srtp benchmarks every backend first
        Aes.setFactoryClassName("org.jitsi.srtp.crypto.Aes$OpenSSLCipherFactory");
        dtls = new DtlsSession("fuzz", DtlsCertificate.generate(), "sha-256", "00:11", (b, o, l) -> { }, k -> { },
                e -> { });
        dtls.start();
    }

    public static void fuzzerTestOneInput(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        int profile = (input[0] & 0x04) != 0 ? SrtpKeys.AEAD_AES_128_GCM : SrtpKeys.AES128_CM_HMAC_SHA1_80;
        SrtpKeys keys = PacketReceiverTest.keys(profile);
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        byte[] datagram = switch (input[0] & 0x03) {
            case 1 -> protectRtp(keys, rest);
            case 2 -> protectRtcp(keys, rest);
            default -> rest;
        };
        if (datagram == null) {
            return; // the browser side would not protect this
        }
        SfuMetrics metrics = new SfuMetrics();
        PacketReceiver receiver = new PacketReceiver(metrics, ONLY_VALID_PACKETS);
        receiver.setSrtp(new SrtpSession(keys));
        receiver.setDtls(dtls);
        // a receive buffer is larger than the datagram (and SRTP needs room after it)
        receiver.receive(Placement.followedBy(datagram, 64, (byte) 0x5A), Placement.OFFSET, datagram.length);
        if (metrics.handlerErrors.get() != 0) {
            throw new AssertionError("the receive loop failed inside on this datagram");
        }
        long outcomes = metrics.rtpReceived.get() + metrics.rtcpReceived.get() + metrics.dtlsReceived.get()
                + metrics.dropUnknown.get() + metrics.dropStunOnMediaPath.get() + metrics.dropMalformedRtp.get()
                + metrics.dropMalformedRtcp.get() + metrics.dropSrtpAuth.get() + metrics.dropSrtpReplay.get()
                + metrics.dropSrtpOther.get() + metrics.dropNotReady.get();
        if (outcomes == 0) {
            throw new AssertionError("a datagram went uncounted");
        }
    }

    private static byte[] protectRtp(SrtpKeys keys, byte[] plain) throws Exception {
        if (plain.length < RtpPacket.FIXED_HEADER || RtpPacket.headerLength(plain, 0, plain.length) < 0) {
            return null;
        }
        RtpPacket.setSsrc(plain, 0, SSRC);
        PacketReceiverTest.Buf b = new PacketReceiverTest.Buf(Arrays.copyOf(plain, plain.length + 64), plain.length);
        return protect(b, new PacketReceiverTest.Browser(keys).rtpOut::transformPacket);
    }

    /** The browser side's result, or null where jitsi-srtp would not protect these bytes at all. */
    private static byte[] protect(PacketReceiverTest.Buf b, Transform transform) {
        try {
            return transform.apply(b) == SrtpErrorStatus.OK ? Arrays.copyOf(b.b, b.len) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private interface Transform {
        SrtpErrorStatus apply(PacketReceiverTest.Buf b) throws Exception;
    }

    private static byte[] protectRtcp(SrtpKeys keys, byte[] plain) throws Exception {
        if (plain.length < 8) {
            return null;
        }
        RtpPacket.w32(plain, 4, SSRC);
        PacketReceiverTest.Buf b = new PacketReceiverTest.Buf(Arrays.copyOf(plain, plain.length + 64), plain.length);
        return protect(b, new PacketReceiverTest.Browser(keys).rtcpOut::transformPacket);
    }
}
