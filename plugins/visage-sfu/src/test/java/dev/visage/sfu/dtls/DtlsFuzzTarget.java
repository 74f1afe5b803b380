package dev.visage.sfu.dtls;

import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DatagramTransport;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzz target "dtls": the DTLS records a client sends, into our DTLS-SRTP server (bctls's
 * handshake with our callbacks: use_srtp negotiation, certificate request, the client certificate
 * checked against the SDP fingerprint, key export). The input is a sequence of datagrams, each
 * preceded by its length (2 bytes, big-endian). The handshake runs synchronously and ends when the
 * datagrams do: it must end with an exception (a TLS alert, or whatever {@link DtlsSession} reports
 * as a DTLS failure), never hang, and never fail inside our own callbacks.
 *
 * <p>Cookie exchange (HelloVerifyRequest) is off here: a replayed ClientHello cannot carry the
 * cookie of this run's server, and with it on nothing past the first ClientHello would be parsed.
 */
public final class DtlsFuzzTarget {
    /** The client certificate of the captured handshakes under fuzz/dtls/: its fingerprint is "in the SDP". */
    static final String CLIENT_FINGERPRINT =
            "3B:D4:AB:A5:ED:59:39:C5:9E:C7:26:7F:E1:C3:AB:D4:93:F0:C0:9F:3E:C8:1B:43:98:DE:56:2C:88:C0:BF:CE";
    private static DtlsCertificate identity;

    private DtlsFuzzTarget() {
    }

    public static void fuzzerInitialize() {
        identity = DtlsCertificate.generate();
    }

    public static void fuzzerTestOneInput(byte[] input) {
        DtlsServer server = new DtlsServer(DtlsServer.newCrypto(), identity, "sha-256", CLIENT_FINGERPRINT);
        DTLSServerProtocol protocol = new DTLSServerProtocol();
        protocol.setVerifyRequests(false);
        try {
            protocol.accept(server, new Replay(datagrams(input)));
        } catch (IOException alertOrEndOfRecords) {
            // the handshake failed, as it should on records of another handshake or on garbage
        } catch (RuntimeException e) {
            for (StackTraceElement frame : e.getStackTrace()) {
                if (frame.getClassName().equals(DtlsServer.class.getName())) {
                    throw e; // one of our callbacks failed on what the client sent
                }
            }
            // inside bctls: DtlsSession reports it as a failed handshake
        }
    }

    static List<byte[]> datagrams(byte[] input) {
        List<byte[]> out = new ArrayList<>();
        int i = 0;
        while (i < input.length) {
            int len = i + 1 < input.length ? ((input[i] & 0xFF) << 8) | (input[i + 1] & 0xFF) : 0;
            int start = Math.min(i + 2, input.length);
            int end = Math.min(start + len, input.length);
            out.add(java.util.Arrays.copyOfRange(input, start, end));
            i = end;
        }
        return out;
    }

    /** Hands bctls the datagrams one by one, then fails the read: no waiting for more. */
    private static final class Replay implements DatagramTransport {
        private final List<byte[]> datagrams;
        private int next;

        Replay(List<byte[]> datagrams) {
            this.datagrams = datagrams;
        }

        @Override
        public int getReceiveLimit() {
            return DtlsSession.RECEIVE_LIMIT;
        }

        @Override
        public int getSendLimit() {
            return DtlsSession.SEND_LIMIT;
        }

        @Override
        public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
            if (next == datagrams.size()) {
                throw new IOException("no more records");
            }
            byte[] d = datagrams.get(next++);
            int n = Math.min(len, d.length);
            System.arraycopy(d, 0, buf, off, n);
            return n;
        }

        @Override
        public void send(byte[] buf, int off, int len) {
        }

        @Override
        public void close() {
        }
    }
}
