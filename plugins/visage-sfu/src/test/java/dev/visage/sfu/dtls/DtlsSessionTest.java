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
        return handshake("test", (b, o, l) -> true, clientCert, expectedFingerprint, profiles);
    }

    /** Which of the server's datagrams reach the client. */
    @FunctionalInterface
    interface Delivery {
        boolean deliver(byte[] buf, int off, int len);
    }

    private static Outcome handshake(String name, Delivery toClient, DtlsCertificate clientCert,
                                     String expectedFingerprint, int... profiles) {
        CompletableFuture<SrtpKeys> keys = new CompletableFuture<>();
        CompletableFuture<Exception> failure = new CompletableFuture<>();
        QueueTransport ct = new QueueTransport();
        DtlsSession server = new DtlsSession(name, SERVER, "sha-256", expectedFingerprint, (b, o, l) -> {
            if (toClient.deliver(b, o, l)) {
                ct.in.add(java.util.Arrays.copyOfRange(b, o, o + l));
            }
        }, keys::complete, failure::complete);
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

    /**
     * A session needs no thread of its own once its keys are out: at 500 sessions a node would
     * otherwise park 1000 threads (publish and subscribe transport each). Run with
     * -Ddtls.sessions=500 for the figure at that scale.
     */
    @Test
    void anEstablishedSessionKeepsNoThread() throws Exception {
        int sessions = Integer.getInteger("dtls.sessions", 10);
        DtlsCertificate browser = DtlsCertificate.generate();
        java.util.List<Outcome> outcomes = new java.util.ArrayList<>();
        long rssBefore = rssKib();
        int threadsBefore = java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount();
        for (int i = 0; i < sessions; i++) {
            outcomes.add(handshake("threads-" + i, (b, o, l) -> true, browser, browser.fingerprint(),
                    SrtpKeys.AEAD_AES_128_GCM));
        }
        for (Outcome o : outcomes) {
            o.keys().get(60, TimeUnit.SECONDS);
            assertTrue(o.clientResult().get(60, TimeUnit.SECONDS) instanceof org.bouncycastle.tls.DTLSTransport);
        }
        System.out.printf("[figure] %d established DTLS sessions: %d live threads (%d before), %d named dtls-, "
                        + "RSS %d MiB (%d before)%n", sessions,
                java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount(), threadsBefore,
                dtlsThreads(), rssKib() / 1024, rssBefore / 1024);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (dtlsThreads() > 0) {
            assertTrue(System.nanoTime() < deadline, dtlsThreads() + " DTLS threads still alive after a minute");
            Thread.sleep(100);
        }
    }

    /**
     * The server's last flight (ChangeCipherSpec, Finished) is lost: the client sends its own
     * again, and the established session, without a thread of its own, answers with its last flight.
     */
    @Test
    void aLostFinalFlightIsSentAgainAfterTheHandshake() throws Exception {
        DtlsCertificate browser = DtlsCertificate.generate();
        java.util.concurrent.atomic.AtomicInteger dropped = new java.util.concurrent.atomic.AtomicInteger();
        Outcome o = handshake("lossy", (b, o2, l) -> {
            boolean changeCipherSpecOrEpochOne = b[o2] == 20 || (b[o2 + 3] == 0 && b[o2 + 4] == 1);
            return !(changeCipherSpecOrEpochOne && dropped.getAndIncrement() < 2);
        }, browser, browser.fingerprint(), SrtpKeys.AEAD_AES_128_GCM);
        o.keys().get(20, TimeUnit.SECONDS);
        assertTrue(o.clientResult().get(30, TimeUnit.SECONDS) instanceof org.bouncycastle.tls.DTLSTransport,
                String.valueOf(o.clientResult().getNow(null)));
        assertTrue(dropped.get() >= 2, "the final flight was dropped");
    }

    private static long dtlsThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("dtls-threads-")).count();
    }

    private static long rssKib() throws IOException {
        return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmRSS:")).map(l -> l.replaceAll("\\D", "")).mapToLong(Long::parseLong)
                .findFirst().orElse(-1);
    }

    @Test
    void fingerprintIsSha256OverDerInUppercaseHexWithColons() {
        String fp = SERVER.fingerprint();
        assertTrue(fp.matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), fp);
        assertThrows(IllegalArgumentException.class, () -> DtlsCertificate.fingerprint("md5", new byte[1]));
    }
}
