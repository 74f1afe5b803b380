package dev.visage.sfu.dtls;

import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ExporterLabel;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsSRTPUtils;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.UseSRTPData;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Hashtable;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DTLS server against an in-memory bctls DTLS client playing the browser. */
class DtlsSessionTest {
    static final DtlsCertificate SERVER = DtlsCertificate.generate();

    /** A browser-like DTLS-SRTP client offering GCM then AES-CM, checking the server fingerprint. */
    static final class Client extends DefaultTlsClient {
        final DtlsCertificate identity;
        final int[] profiles;
        String seenServerFingerprint;
        volatile byte[] exported;

        Client(DtlsCertificate identity, int... profiles) {
            super(new BcTlsCrypto(new SecureRandom()));
            this.identity = identity;
            this.profiles = profiles;
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            // the TLS 1.2 PRF is a stream: a shorter export is a prefix of this one
            exported = context.exportKeyingMaterial(ExporterLabel.dtls_srtp, null, 60);
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        public Hashtable getClientExtensions() throws IOException {
            Hashtable ext = super.getClientExtensions();
            TlsSRTPUtils.addUseSRTPExtension(ext, new UseSRTPData(profiles, new byte[0]));
            return ext;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate sc) throws IOException {
                    seenServerFingerprint = DtlsCertificate.fingerprint("sha-256", sc.getCertificate().getCertificateAt(0).getEncoded());
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest req) throws IOException {
                    TlsCertificate c = getCrypto().createCertificate(identity.der());
                    return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), (BcTlsCrypto) getCrypto(),
                            identity.privateKey(), new Certificate(new TlsCertificate[]{c}),
                            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
                }
            };
        }

        byte[] export(int len) {
            return java.util.Arrays.copyOf(exported, len);
        }
    }

    static final class QueueTransport implements DatagramTransport {
        final ArrayBlockingQueue<byte[]> in = new ArrayBlockingQueue<>(256);
        DtlsSession peer;

        public int getReceiveLimit() {
            return 1472;
        }

        public int getSendLimit() {
            return 1408;
        }

        public int receive(byte[] buf, int off, int len, int wait) throws IOException {
            try {
                byte[] p = in.poll(wait, TimeUnit.MILLISECONDS);
                if (p == null) {
                    return -1;
                }
                System.arraycopy(p, 0, buf, off, p.length);
                return p.length;
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        public void send(byte[] buf, int off, int len) {
            peer.offer(buf, off, len);
        }

        public void close() {
        }
    }

    private record Outcome(CompletableFuture<SrtpKeys> keys, CompletableFuture<Exception> failure, Client client,
                           CompletableFuture<Object> clientResult) {
    }

    private static Outcome handshake(DtlsCertificate clientCert, String expectedFingerprint, int... profiles) {
        CompletableFuture<SrtpKeys> keys = new CompletableFuture<>();
        CompletableFuture<Exception> failure = new CompletableFuture<>();
        QueueTransport ct = new QueueTransport();
        DtlsSession server = new DtlsSession("test", SERVER, "sha-256", expectedFingerprint,
                (b, o, l) -> ct.in.add(java.util.Arrays.copyOfRange(b, o, o + l)), keys::complete, failure::complete);
        ct.peer = server;
        server.start();
        Client client = new Client(clientCert, profiles);
        CompletableFuture<Object> clientResult = CompletableFuture.supplyAsync(() -> {
            try {
                return new DTLSClientProtocol().connect(client, ct);
            } catch (IOException e) {
                return e;
            }
        });
        return new Outcome(keys, failure, client, clientResult);
    }

    @Test
    void negotiatesGcmAndExportsTheSameKeysAsTheClient() throws Exception {
        DtlsCertificate browser = DtlsCertificate.generate();
        Outcome o = handshake(browser, browser.fingerprint(), SrtpKeys.AEAD_AES_128_GCM, SrtpKeys.AES128_CM_HMAC_SHA1_80);
        SrtpKeys k = o.keys().get(20, TimeUnit.SECONDS);
        assertTrue(o.clientResult().get(20, TimeUnit.SECONDS) instanceof org.bouncycastle.tls.DTLSTransport);
        assertEquals(SrtpKeys.AEAD_AES_128_GCM, k.profile());
        assertEquals(2 * (16 + 12), k.material().length);
        assertArrayEquals(o.client().export(k.material().length), k.material());
        assertEquals(SERVER.fingerprint(), o.client().seenServerFingerprint);
    }

    @Test
    void fallsBackToAesCmWhenThatIsAllTheClientOffers() throws Exception {
        DtlsCertificate browser = DtlsCertificate.generate();
        Outcome o = handshake(browser, browser.fingerprint(), SrtpKeys.AES128_CM_HMAC_SHA1_80);
        SrtpKeys k = o.keys().get(20, TimeUnit.SECONDS);
        assertEquals(SrtpKeys.AES128_CM_HMAC_SHA1_80, k.profile());
        assertEquals(2 * (16 + 14), k.material().length);
    }

    @Test
    void rejectsAClientWhoseCertificateDoesNotMatchTheSdpFingerprint() throws Exception {
        DtlsCertificate browser = DtlsCertificate.generate();
        DtlsCertificate other = DtlsCertificate.generate();
        Outcome o = handshake(browser, other.fingerprint(), SrtpKeys.AEAD_AES_128_GCM);
        Exception e = o.failure().get(20, TimeUnit.SECONDS);
        assertTrue(e instanceof IOException, String.valueOf(e));
        assertTrue(o.clientResult().get(20, TimeUnit.SECONDS) instanceof IOException);
        assertTrue(!o.keys().isDone());
    }

    @Test
    void rejectsAClientWithoutUseSrtp() throws Exception {
        DtlsCertificate browser = DtlsCertificate.generate();
        Outcome o = handshake(browser, browser.fingerprint(), 0x0002 /* AES128_CM_HMAC_SHA1_32 only: unsupported */);
        assertTrue(o.failure().get(20, TimeUnit.SECONDS) instanceof IOException);
    }

    @Test
    void fingerprintIsSha256OverDerInUppercaseHexWithColons() {
        String fp = SERVER.fingerprint();
        assertTrue(fp.matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), fp);
        assertThrows(IllegalArgumentException.class, () -> DtlsCertificate.fingerprint("md5", new byte[1]));
    }
}
