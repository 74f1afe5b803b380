package dev.visage.sfu.transport;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.dtls.DtlsSession;
import dev.visage.sfu.rtp.PacketKind;
import dev.visage.sfu.srtp.SrtpSession;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The receive side of one transport: demultiplexes a datagram (RFC 7983), hands DTLS to the
 * handshake, authenticates and decrypts SRTP/SRTCP in place and passes plaintext to the
 * {@link MediaHandler}. Anything malformed, unauthenticated, replayed or early is dropped and
 * counted; nothing here throws or allocates per packet.
 */
public final class PacketReceiver {
    /** Plaintext packets out of a transport. */
    public interface MediaHandler {
        void onRtp(byte[] buf, int off, int len);

        void onRtcp(byte[] buf, int off, int len);
    }

    private final SfuMetrics metrics;
    private final MediaHandler handler;
    private volatile DtlsSession dtls;
    private volatile SrtpSession srtp;
    private volatile long lastReceivedMillis;
    private volatile double debugDropRate;

    /** TESTING ONLY: drop this fraction (0..1) of received RTP before decryption. */
    public void setDebugDropRate(double rate) {
        this.debugDropRate = rate;
    }

    public PacketReceiver(SfuMetrics metrics, MediaHandler handler) {
        this.metrics = metrics;
        this.handler = handler;
    }

    public void setDtls(DtlsSession dtls) {
        this.dtls = dtls;
    }

    public void setSrtp(SrtpSession srtp) {
        this.srtp = srtp;
    }

    public long lastReceivedMillis() {
        return lastReceivedMillis;
    }

    public void receive(byte[] buf, int off, int len) {
        metrics.packetsReceived.incrementAndGet();
        metrics.bytesReceived.addAndGet(len);
        try {
            switch (PacketKind.classify(buf, off, len)) {
                case DTLS -> receiveDtls(buf, off, len);
                case RTP -> receiveRtp(buf, off, len);
                case RTCP -> receiveRtcp(buf, off, len);
                case STUN -> metrics.dropStunOnMediaPath.incrementAndGet();
                default -> metrics.dropUnknown.incrementAndGet();
            }
        } catch (RuntimeException e) {
            metrics.handlerErrors.incrementAndGet();
        }
    }

    private void receiveDtls(byte[] buf, int off, int len) {
        metrics.dtlsReceived.incrementAndGet();
        DtlsSession d = dtls;
        if (d == null) {
            metrics.dropNotReady.incrementAndGet();
        } else if (!d.offer(buf, off, len)) {
            metrics.dropDtlsQueueFull.incrementAndGet();
        }
    }

    private void receiveRtp(byte[] buf, int off, int len) {
        if (debugDropRate > 0 && java.util.concurrent.ThreadLocalRandom.current().nextDouble() < debugDropRate) {
            metrics.debugDropped.incrementAndGet();
            return;
        }
        SrtpSession s = srtp;
        if (s == null) {
            metrics.dropNotReady.incrementAndGet();
            return;
        }
        int plen = s.decryptRtp(buf, off, len);
        if (plen < 0) {
            countDrop(plen, metrics.dropMalformedRtp);
            return;
        }
        lastReceivedMillis = System.currentTimeMillis();
        metrics.rtpReceived.incrementAndGet();
        handler.onRtp(buf, off, plen);
    }

    private void receiveRtcp(byte[] buf, int off, int len) {
        SrtpSession s = srtp;
        if (s == null) {
            metrics.dropNotReady.incrementAndGet();
            return;
        }
        int plen = s.decryptRtcp(buf, off, len);
        if (plen < 0) {
            countDrop(plen, metrics.dropMalformedRtcp);
            return;
        }
        lastReceivedMillis = System.currentTimeMillis();
        metrics.rtcpReceived.incrementAndGet();
        handler.onRtcp(buf, off, plen);
    }

    private void countDrop(int reason, AtomicLong malformed) {
        switch (reason) {
            case SrtpSession.MALFORMED -> malformed.incrementAndGet();
            case SrtpSession.AUTH_FAILED -> metrics.dropSrtpAuth.incrementAndGet();
            case SrtpSession.REPLAYED -> metrics.dropSrtpReplay.incrementAndGet();
            default -> metrics.dropSrtpOther.incrementAndGet();
        }
    }
}
