package dev.visage.sfu.dtls;

import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DatagramTransport;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One DTLS server session over an ICE component. bctls is blocking, so the handshake runs on its
 * own thread and reads datagrams from a bounded queue that the demultiplexer fills ({@link #offer});
 * outgoing records go through the {@link Sender}. On success {@code onKeys} gets the SRTP keys and
 * the thread ends: the few records that come after the handshake (a client's repeated final flight,
 * which bctls answers with ours for a while, or an alert) are handled on the receiving thread, so
 * an established transport holds no thread (a node of 500 sessions would park 1000 otherwise).
 */
public final class DtlsSession implements AutoCloseable {
    public static final int RECEIVE_LIMIT = 1472;
    public static final int SEND_LIMIT = 1408;
    public static final long HANDSHAKE_TIMEOUT_MS = 30_000;

    /** Where DTLS records go out (the ICE component). */
    @FunctionalInterface
    public interface Sender {
        void send(byte[] buf, int off, int len) throws IOException;
    }

    private final ArrayBlockingQueue<byte[]> inbound = new ArrayBlockingQueue<>(64);
    private final DtlsServer server;
    private final Sender sender;
    private final Consumer<Exception> onFailure;
    private final Thread thread;
    /** Guards the established transport's receive side and the record being handed to it. */
    private final Object receiving = new Object();
    private final byte[] applicationData = new byte[RECEIVE_LIMIT];
    private byte[] handedOver;
    private volatile boolean closed;
    private volatile DTLSTransport transport;

    public DtlsSession(String name, DtlsCertificate identity, String remoteFingerprintAlgorithm, String remoteFingerprint,
                       Sender sender, Consumer<SrtpKeys> onKeys, Consumer<Exception> onFailure) {
        this.server = new DtlsServer(DtlsServer.newCrypto(), identity, remoteFingerprintAlgorithm, remoteFingerprint);
        this.sender = sender;
        this.onFailure = onFailure;
        this.thread = new Thread(() -> handshake(onKeys), "dtls-" + name);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * A received DTLS record: queued (copied) for the handshake, or handled at once after it.
     * Returns false if the handshake's queue is full (dropped).
     */
    public boolean offer(byte[] buf, int off, int len) {
        if (closed) {
            return false;
        }
        byte[] copy = new byte[len];
        System.arraycopy(buf, off, copy, 0, len);
        Exception failure;
        synchronized (receiving) {
            if (transport == null) {
                return inbound.offer(copy);
            }
            failure = handOver(copy);
        }
        reportFailure(failure);
        return true;
    }

    private void handshake(Consumer<SrtpKeys> onKeys) {
        try {
            DTLSTransport established = new DTLSServerProtocol().accept(server, new QueueTransport());
            Exception failure = null;
            synchronized (receiving) {
                transport = established;
                // records that arrived between the handshake's last read and now
                for (byte[] record = inbound.poll(); record != null && failure == null; record = inbound.poll()) {
                    failure = handOver(record);
                }
            }
            onKeys.accept(server.keys());
            reportFailure(failure);
        } catch (Exception e) {
            reportFailure(e);
        }
    }

    /**
     * Lets bctls process one record after the handshake. Its receive loop asks the transport for
     * more until its wait is over; the transport answers the second ask with an
     * InterruptedIOException, which bctls passes up without failing the connection.
     */
    private Exception handOver(byte[] record) {
        handedOver = record;
        try {
            transport.receive(applicationData, 0, applicationData.length, 1);
            return null;
        } catch (InterruptedIOException allHandled) {
            return null;
        } catch (IOException | RuntimeException e) {
            return e;
        } finally {
            handedOver = null;
        }
    }

    private void reportFailure(Exception failure) {
        if (failure != null && !closed) {
            onFailure.accept(failure);
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
            if (transport != null) {
                byte[] record = handedOver;
                handedOver = null;
                if (record == null) {
                    throw new InterruptedIOException("no more records at hand");
                }
                return copyOut(record, buf, off, len);
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("DTLS handshake timed out");
            }
            try {
                byte[] p = inbound.poll(waitMillis, TimeUnit.MILLISECONDS);
                return p == null ? -1 : copyOut(p, buf, off, len);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }

        private static int copyOut(byte[] record, byte[] buf, int off, int len) {
            int n = Math.min(len, record.length);
            System.arraycopy(record, 0, buf, off, n);
            return n;
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
