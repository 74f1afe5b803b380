package dev.visage.sfu.dtls;

import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DatagramTransport;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One DTLS server session over an ICE component. bctls is blocking, so the handshake runs on its
 * own thread and reads datagrams from a bounded queue that the demultiplexer fills ({@link #offer});
 * outgoing records go through the {@link Sender}. On success {@code onKeys} gets the SRTP keys.
 */
public final class DtlsSession implements AutoCloseable {
    public static final int RECEIVE_LIMIT = 1472;
    public static final int SEND_LIMIT = 1408;
    public static final long HANDSHAKE_TIMEOUT_MS = 30_000;
    /**
     * How long one wait for post-handshake records lasts. {@link #close()} interrupts it, so the
     * length only sets how often an idle session's thread wakes up for nothing (once a second per
     * transport when it was 1 s: 101 wake-ups a second at 100 subscribers).
     */
    private static final int APPLICATION_DATA_WAIT_MS = 60_000;

    /** Where DTLS records go out (the ICE component). */
    @FunctionalInterface
    public interface Sender {
        void send(byte[] buf, int off, int len) throws IOException;
    }

    private final ArrayBlockingQueue<byte[]> inbound = new ArrayBlockingQueue<>(64);
    private final DtlsServer server;
    private final Sender sender;
    private final Thread thread;
    private volatile boolean closed;
    private volatile DTLSTransport transport;

    public DtlsSession(String name, DtlsCertificate identity, String remoteFingerprintAlgorithm, String remoteFingerprint,
                       Sender sender, Consumer<SrtpKeys> onKeys, Consumer<Exception> onFailure) {
        this.server = new DtlsServer(DtlsServer.newCrypto(), identity, remoteFingerprintAlgorithm, remoteFingerprint);
        this.sender = sender;
        this.thread = new Thread(() -> run(onKeys, onFailure), "dtls-" + name);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Queues a received DTLS record (copied). Returns false if the queue is full (dropped). */
    public boolean offer(byte[] buf, int off, int len) {
        if (closed) {
            return false;
        }
        byte[] copy = new byte[len];
        System.arraycopy(buf, off, copy, 0, len);
        return inbound.offer(copy);
    }

    private void run(Consumer<SrtpKeys> onKeys, Consumer<Exception> onFailure) {
        try {
            DTLSServerProtocol protocol = new DTLSServerProtocol();
            DTLSTransport t = protocol.accept(server, new QueueTransport());
            transport = t;
            onKeys.accept(server.keys());
            byte[] buf = new byte[RECEIVE_LIMIT];
            while (!closed) {
                // Drain application data / alerts; the peer's close_notify ends the loop.
                int n = t.receive(buf, 0, buf.length, APPLICATION_DATA_WAIT_MS);
                if (n < 0 && closed) {
                    break;
                }
            }
        } catch (Exception e) {
            if (!closed) {
                onFailure.accept(e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        DTLSTransport t = transport;
        if (t != null) {
            try {
                t.close();
            } catch (IOException | RuntimeException ignored) {
                // best effort close_notify
            }
        }
        thread.interrupt();
    }

    private final class QueueTransport implements DatagramTransport {
        private final long deadline = System.currentTimeMillis() + HANDSHAKE_TIMEOUT_MS;

        @Override
        public int getReceiveLimit() {
            return RECEIVE_LIMIT;
        }

        @Override
        public int getSendLimit() {
            return SEND_LIMIT;
        }

        @Override
        public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
            if (closed) {
                throw new IOException("closed");
            }
            if (transport == null && System.currentTimeMillis() > deadline) {
                throw new IOException("DTLS handshake timed out");
            }
            try {
                byte[] p = inbound.poll(waitMillis, TimeUnit.MILLISECONDS);
                if (p == null) {
                    return -1;
                }
                int n = Math.min(len, p.length);
                System.arraycopy(p, 0, buf, off, n);
                return n;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }

        @Override
        public void send(byte[] buf, int off, int len) throws IOException {
            // The browser may start DTLS as soon as its side of ICE is up, before ice4j has a
            // valid pair to send on: wait a little for one, else drop (DTLS retransmits).
            for (int attempt = 0; attempt < 50 && !closed; attempt++) {
                try {
                    sender.send(buf, off, len);
                    return;
                } catch (IOException e) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                }
            }
        }

        @Override
        public void close() {
            // bctls closes its transport on failure; the session reports that via onFailure.
        }
    }
}
