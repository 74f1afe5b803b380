package dev.visage.sfu.transport;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.dtls.DtlsCertificate;
import dev.visage.sfu.dtls.DtlsSession;
import dev.visage.sfu.dtls.SrtpKeys;
import dev.visage.sfu.srtp.SrtpSession;
import org.jitsi.srtp.SrtcpCryptoContext;
import org.jitsi.srtp.SrtpContextFactory;
import org.jitsi.srtp.SrtpCryptoContext;
import org.jitsi.srtp.SrtpErrorStatus;
import org.jitsi.utils.ByteArrayBuffer;
import org.jitsi.utils.logging2.LoggerImpl;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receive path on raw bytes: what a browser (the DTLS client) would send, protected with the
 * client half of the keying material, plus every kind of bad datagram.
 */
class PacketReceiverTest {
    static final int SSRC = 0x01020304;

    /** A browser-side SRTP endpoint for the same keys (encrypts with client keys, decrypts server's). */
    static final class Browser {
        final SrtpCryptoContext rtpOut;
        final SrtcpCryptoContext rtcpOut;
        final SrtpCryptoContext rtpIn;

        Browser(SrtpKeys keys) throws Exception {
            int kl = 16;
            int sl = SrtpKeys.saltLength(keys.profile());
            byte[] m = keys.material();
            byte[] ck = Arrays.copyOfRange(m, 0, kl);
            byte[] sk = Arrays.copyOfRange(m, kl, 2 * kl);
            byte[] cs = Arrays.copyOfRange(m, 2 * kl, 2 * kl + sl);
            byte[] ss = Arrays.copyOfRange(m, 2 * kl + sl, 2 * kl + 2 * sl);
            LoggerImpl log = new LoggerImpl("test");
            SrtpContextFactory out = new SrtpContextFactory(true, ck, cs, SrtpSession.policy(keys.profile()),
                    SrtpSession.policy(keys.profile()), log);
            SrtpContextFactory in = new SrtpContextFactory(false, sk, ss, SrtpSession.policy(keys.profile()),
                    SrtpSession.policy(keys.profile()), log);
            rtpOut = out.deriveContext(SSRC, 0);
            rtcpOut = out.deriveControlContext(SSRC);
            rtpIn = in.deriveContext(SSRC, 0);
        }

        byte[] protectRtp(int seq, int payloadLen) throws Exception {
            byte[] b = new byte[12 + payloadLen + 64];
            b[0] = (byte) 0x80;
            b[1] = 96;
            b[2] = (byte) (seq >> 8);
            b[3] = (byte) seq;
            b[7] = 1;
            b[8] = 1;
            b[9] = 2;
            b[10] = 3;
            b[11] = 4;
            for (int i = 0; i < payloadLen; i++) {
                b[12 + i] = (byte) i;
            }
            Buf v = new Buf(b, 12 + payloadLen);
            assertEquals(SrtpErrorStatus.OK, rtpOut.transformPacket(v));
            return Arrays.copyOf(b, v.len);
        }

        byte[] protectPli() throws Exception {
            byte[] b = new byte[12 + 64];
            b[0] = (byte) 0x81;
            b[1] = (byte) 206;
            b[3] = 2;
            b[4] = 1;
            b[5] = 2;
            b[6] = 3;
            b[7] = 4;
            b[11] = 9;
            Buf v = new Buf(b, 12);
            assertEquals(SrtpErrorStatus.OK, rtcpOut.transformPacket(v));
            return Arrays.copyOf(b, v.len);
        }
    }

    static final class Buf implements ByteArrayBuffer {
        byte[] b;
        int off;
        int len;

        Buf(byte[] b, int len) {
            this.b = b;
            this.len = len;
        }

        public byte[] getBuffer() {
            return b;
        }

        public int getOffset() {
            return off;
        }

        public int getLength() {
            return len;
        }

        public void setLength(int l) {
            len = l;
        }

        public void setOffset(int o) {
            off = o;
        }

        public boolean isInvalid() {
            return false;
        }

        public void readRegionToBuff(int o, int l, byte[] out) {
            System.arraycopy(b, off + o, out, 0, l);
        }

        public void grow(int n) {
            if (off + len + n > b.length) {
                b = Arrays.copyOf(b, off + len + n);
            }
        }

        public void append(byte[] d, int l) {
            grow(l);
            System.arraycopy(d, 0, b, off + len, l);
            len += l;
        }

        public void shrink(int l) {
            len -= l;
        }
    }

    static SrtpKeys keys(int profile) {
        int n = 2 * (16 + SrtpKeys.saltLength(profile));
        byte[] m = new byte[n];
        new Random(profile).nextBytes(m);
        return new SrtpKeys(profile, m);
    }

    final SfuMetrics metrics = new SfuMetrics();
    final AtomicInteger rtp = new AtomicInteger();
    final AtomicInteger rtcp = new AtomicInteger();
    byte[] lastRtp;
    final PacketReceiver receiver = new PacketReceiver(metrics, new PacketReceiver.MediaHandler() {
        @Override
        public void onRtp(byte[] buf, int off, int len) {
            rtp.incrementAndGet();
            lastRtp = Arrays.copyOfRange(buf, off, off + len);
        }

        @Override
        public void onRtcp(byte[] buf, int off, int len) {
            rtcp.incrementAndGet();
        }
    });

    private void feed(byte[] p) {
        byte[] b = Arrays.copyOf(p, p.length + 64);
        receiver.receive(b, 0, p.length);
    }

    @ParameterizedTest
    @ValueSource(ints = {SrtpKeys.AES128_CM_HMAC_SHA1_80, SrtpKeys.AEAD_AES_128_GCM})
    void authenticRtpAndRtcpAreDecryptedAndDelivered(int profile) throws Exception {
        SrtpKeys k = keys(profile);
        receiver.setSrtp(new SrtpSession(k));
        Browser browser = new Browser(k);
        for (int seq = 1; seq <= 10; seq++) {
            feed(browser.protectRtp(seq, 100));
        }
        assertEquals(10, rtp.get());
        assertEquals(12 + 100, lastRtp.length);
        assertEquals(99, lastRtp[12 + 99]);
        feed(browser.protectPli());
        assertEquals(1, rtcp.get());
        assertEquals(10, metrics.rtpReceived.get());
    }

    @ParameterizedTest
    @ValueSource(ints = {SrtpKeys.AES128_CM_HMAC_SHA1_80, SrtpKeys.AEAD_AES_128_GCM})
    void ourProtectedPacketsDecryptWithTheServerHalfOfTheKeys(int profile) throws Exception {
        SrtpKeys k = keys(profile);
        SrtpSession ours = new SrtpSession(k);
        Browser browser = new Browser(k);
        byte[] plain = new byte[12 + 50 + 64];
        plain[0] = (byte) 0x80;
        plain[1] = 96;
        plain[3] = 7;
        plain[8] = 1;
        plain[9] = 2;
        plain[10] = 3;
        plain[11] = 4;
        Arrays.fill(plain, 12, 62, (byte) 0x5A);
        byte[] expected = Arrays.copyOf(plain, 62);
        assertEquals(SrtpErrorStatus.OK, ours.protectRtp(plain, 0, 62, SSRC));
        int len = ours.protectedLength();
        assertEquals(62 + ours.tagOverhead, len);
        Buf v = new Buf(plain, len);
        assertEquals(SrtpErrorStatus.OK, browser.rtpIn.reverseTransformPacket(v, false));
        assertArrayEquals(expected, Arrays.copyOf(plain, v.len));
    }

    @ParameterizedTest
    @ValueSource(ints = {SrtpKeys.AES128_CM_HMAC_SHA1_80, SrtpKeys.AEAD_AES_128_GCM})
    void tamperedPacketsFailAuthentication(int profile) throws Exception {
        SrtpKeys k = keys(profile);
        receiver.setSrtp(new SrtpSession(k));
        Browser browser = new Browser(k);
        byte[] p = browser.protectRtp(1, 100);
        p[40] ^= 1;
        feed(p);
        byte[] c = browser.protectPli();
        c[c.length - 1] ^= 1;
        feed(c);
        assertEquals(0, rtp.get() + rtcp.get());
        assertEquals(2, metrics.dropSrtpAuth.get());
        // a packet from another key set
        Browser stranger = new Browser(keysOther(profile));
        feed(stranger.protectRtp(2, 100));
        assertEquals(0, rtp.get());
        // the genuine stream still flows afterwards
        feed(browser.protectRtp(3, 100));
        assertEquals(1, rtp.get());
    }

    private static SrtpKeys keysOther(int profile) {
        int n = 2 * (16 + SrtpKeys.saltLength(profile));
        byte[] m = new byte[n];
        new Random(12345).nextBytes(m);
        return new SrtpKeys(profile, m);
    }

    @Test
    void replayedPacketsAreDropped() throws Exception {
        SrtpKeys k = keys(SrtpKeys.AES128_CM_HMAC_SHA1_80);
        receiver.setSrtp(new SrtpSession(k));
        Browser browser = new Browser(k);
        byte[] p = browser.protectRtp(5, 100);
        feed(p);
        feed(p);
        feed(p);
        assertEquals(1, rtp.get());
        assertEquals(2, metrics.dropSrtpReplay.get());
    }

    @Test
    void truncatedPacketsAreMalformed() throws Exception {
        SrtpKeys k = keys(SrtpKeys.AES128_CM_HMAC_SHA1_80);
        receiver.setSrtp(new SrtpSession(k));
        Browser browser = new Browser(k);
        byte[] p = browser.protectRtp(1, 100);
        for (int len = 2; len < 22; len++) {
            feed(Arrays.copyOf(p, len));
        }
        byte[] c = browser.protectPli();
        for (int len = 2; len < 22; len++) {
            feed(Arrays.copyOf(c, len));
        }
        assertEquals(0, rtp.get() + rtcp.get());
        assertEquals(40, metrics.dropMalformedRtp.get() + metrics.dropMalformedRtcp.get()
                + metrics.dropSrtpAuth.get() + metrics.dropSrtpOther.get());
        feed(browser.protectRtp(2, 100));
        assertEquals(1, rtp.get());
    }

    @Test
    void mediaBeforeDtlsCompletesIsDroppedAsNotReady() throws Exception {
        Browser browser = new Browser(keys(1));
        feed(browser.protectRtp(1, 10));
        feed(browser.protectPli());
        feed(new byte[]{22, (byte) 0xFE, (byte) 0xFD, 0, 0});
        assertEquals(3, metrics.dropNotReady.get());
    }

    @Test
    void stunAndUnknownBytesOnTheMediaPathAreCounted() {
        feed(new byte[]{0, 1, 0, 0, 0x21, 0x12, (byte) 0xA4, 0x42});
        feed(new byte[]{(byte) 0xFF, 1, 2});
        feed(new byte[0]);
        assertEquals(1, metrics.dropStunOnMediaPath.get());
        assertEquals(2, metrics.dropUnknown.get());
    }

    @Test
    void randomDatagramsNeverThrowAndAreAllCounted() throws Exception {
        SrtpKeys k = keys(SrtpKeys.AEAD_AES_128_GCM);
        receiver.setSrtp(new SrtpSession(k));
        Random r = new Random(42);
        int n = 20_000;
        int dtlsWithoutSession = 0;
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[r.nextInt(1500)];
            r.nextBytes(b);
            if (b.length > 0 && r.nextBoolean()) {
                b[0] = (byte) (0x80 | (b[0] & 0x3F)); // bias towards RTP/RTCP
            }
            if (dev.visage.sfu.rtp.PacketKind.classify(b, 0, b.length) == dev.visage.sfu.rtp.PacketKind.DTLS) {
                dtlsWithoutSession++; // counted as received and as not ready
            }
            feed(b);
        }
        long dropped = metrics.dropUnknown.get() + metrics.dropStunOnMediaPath.get() + metrics.dropMalformedRtp.get()
                + metrics.dropMalformedRtcp.get() + metrics.dropSrtpAuth.get() + metrics.dropSrtpReplay.get()
                + metrics.dropSrtpOther.get() + metrics.dropNotReady.get() + metrics.dtlsReceived.get();
        assertEquals(n, dropped - dtlsWithoutSession);
        assertEquals(0, rtp.get() + rtcp.get());
        assertEquals(0, metrics.handlerErrors.get());
        // still alive
        feed(new Browser(k).protectRtp(1, 10));
        assertEquals(1, rtp.get());
    }

    @Test
    void dtlsGarbageNeitherCrashesTheHandshakeNorTheReceiveLoop() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        DtlsSession dtls = new DtlsSession("t", DtlsCertificate.generate(), "sha-256", "00:11",
                (b, o, l) -> { }, keys -> { }, e -> failures.incrementAndGet());
        dtls.start();
        receiver.setDtls(dtls);
        Random r = new Random(7);
        for (int i = 0; i < 200; i++) {
            byte[] b = new byte[1 + r.nextInt(300)];
            r.nextBytes(b);
            b[0] = (byte) (20 + r.nextInt(44));
            feed(b);
        }
        Thread.sleep(300);
        assertEquals(200, metrics.dtlsReceived.get());
        assertEquals(0, metrics.handlerErrors.get());
        SrtpKeys k = keys(1);
        receiver.setSrtp(new SrtpSession(k));
        feed(new Browser(k).protectRtp(1, 10));
        assertEquals(1, rtp.get());
        dtls.close();
        assertTrue(failures.get() <= 1);
    }
}
