package dev.visage.sfu.transport;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.dtls.DtlsCertificate;
import dev.visage.sfu.dtls.DtlsSession;
import dev.visage.sfu.dtls.SrtpKeys;
import dev.visage.sfu.rtp.TransportWideSequence;
import dev.visage.sfu.srtp.SrtpSession;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Agent;
import org.ice4j.ice.CandidatePair;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.IceMediaStream;
import org.ice4j.ice.IceProcessingState;
import org.ice4j.ice.KeepAliveStrategy;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.RemoteCandidate;
import org.ice4j.ice.harvest.CandidateHarvester;
import org.ice4j.socket.IceSocketWrapper;
import org.ice4j.util.BufferPool;
import org.jitsi.srtp.SrtpErrorStatus;
import org.jitsi.utils.logging2.LoggerImpl;

import java.beans.PropertyChangeEvent;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One WebRTC transport (one browser PeerConnection): a full-ICE ice4j agent on the shared
 * single-port harvesters, a DTLS 1.2 server session keyed to the peer's SDP fingerprint, and
 * SRTP/SRTCP protection. Received datagrams run through the {@link PacketReceiver}; plaintext RTP
 * and RTCP are sent with {@link #sendRtp}/{@link #sendRtcp}, which encrypt in place.
 */
public final class PeerTransport implements AutoCloseable {
    /** Lifecycle events. */
    public interface Listener {
        void onConnected(PeerTransport t);

        void onFailed(PeerTransport t, String reason);
    }

    private static final System.Logger LOG = System.getLogger(PeerTransport.class.getName());
    /** ice4j's check pacing (Ta) once a transport has been up for {@link #SETTLED_AFTER_MS}. */
    private static final long SETTLED_PACING_MS = 1000;
    private static final long SETTLED_AFTER_MS = 10_000;

    private final String name;
    private final SfuMetrics metrics;
    private final Agent agent;
    private final IceMediaStream stream;
    private final Component component;
    /** The selected pair {@link #send} last saw, its socket (null: ice4j's own send) and the packet it reuses. */
    private CandidatePair sendPair;
    private IceSocketWrapper sendSocket;
    private final DatagramPacket sendPacket = new DatagramPacket(new byte[0], 0);
    private final PacketReceiver receiver;
    private final DtlsCertificate certificate;
    private final Listener listener;
    private final long consentTimeoutMillis;
    private final AtomicBoolean remoteSet = new AtomicBoolean();
    private final AtomicBoolean failed = new AtomicBoolean();
    private volatile DtlsSession dtls;
    private volatile SrtpSession srtp;
    private volatile boolean closed;
    private volatile long connectedAtMillis;
    private volatile double debugDropRate;
    /** ICE pacing relaxed (engine timer thread only). */
    private boolean pacingSettled;
    /** Bytes SRTP may add after a packet (the AES-GCM tag; HMAC-SHA1-80 adds 10). */
    private static final int SRTP_TAG_ROOM = 16;
    // transport-wide congestion control on what we send (set under this monitor, read on the send path under it)
    private volatile SendSideEstimator estimator;
    private int transportCcId;
    /** Socket read time of the packet being handled (receive thread only). */
    private long arrivalMicros;

    /**
     * When the datagram now being handled was read from the socket (wall clock, microseconds);
     * valid only on the receive thread, inside the media handler.
     */
    public long arrivalMicros() {
        return arrivalMicros;
    }

    /** TESTING ONLY: drop this fraction (0..1) of RTP in both directions. */
    public void setDebugDropRate(double rate) {
        this.debugDropRate = rate;
        receiver.setDebugDropRate(rate);
    }

    public PeerTransport(String name, SfuMetrics metrics, List<? extends CandidateHarvester> harvesters, boolean controlling,
                         DtlsCertificate certificate, PacketReceiver.MediaHandler media, Listener listener,
                         long consentTimeoutMillis) throws IOException {
        this.name = name;
        this.metrics = metrics;
        this.certificate = certificate;
        this.listener = listener;
        this.consentTimeoutMillis = consentTimeoutMillis;
        this.receiver = new PacketReceiver(metrics, media);
        agent = new Agent(name, new LoggerImpl(PeerTransport.class.getName()));
        agent.setUseDynamicPorts(false);
        for (CandidateHarvester h : harvesters) {
            agent.addCandidateHarvester(h);
        }
        agent.setControlling(controlling);
        agent.setPerformConsentFreshness(true);
        agent.setTrickling(true);
        stream = agent.createMediaStream("media");
        component = agent.createComponent(stream, KeepAliveStrategy.SELECTED_ONLY, false);
        component.setBufferCallback(buffer -> {
            try {
                if (!closed) {
                    java.time.Instant at = buffer.getReceivedTime();
                    arrivalMicros = at != null ? at.getEpochSecond() * 1_000_000L + at.getNano() / 1000
                            : System.currentTimeMillis() * 1000;
                    receiver.receive(buffer.getBuffer(), buffer.getOffset(), buffer.getLength());
                }
            } finally {
                BufferPool.returnBuffer.invoke(buffer);
            }
        });
        agent.addStateChangeListener(this::onIceStateChange);
    }

    public String name() {
        return name;
    }

    public String localUfrag() {
        return agent.getLocalUfrag();
    }

    public String localPassword() {
        return agent.getLocalPassword();
    }

    /** Our host candidates as SDP candidate attribute values ("candidate:..."). */
    public List<String> localCandidates() {
        List<String> out = new ArrayList<>();
        for (LocalCandidate c : component.getLocalCandidates()) {
            TransportAddress a = c.getTransportAddress();
            out.add("candidate:" + c.getFoundation() + " 1 udp " + c.getPriority() + " " + a.getHostAddress() + " "
                    + a.getPort() + " typ " + c.getType() + " generation 0");
        }
        return out;
    }

    public String certificateFingerprint() {
        return certificate.fingerprint();
    }

    public boolean isConnected() {
        return srtp != null;
    }

    /**
     * Remote ICE credentials and DTLS fingerprint from the peer's SDP. The first call starts ICE
     * checks and the DTLS server; later calls (renegotiations without ICE restart) are ignored.
     */
    public void setRemote(String ufrag, String password, String fingerprintAlgorithm, String fingerprint) {
        if (ufrag == null || password == null || fingerprint == null || fingerprintAlgorithm == null) {
            throw new IllegalArgumentException("sdp lacks ice-ufrag, ice-pwd or fingerprint");
        }
        DtlsCertificate.fingerprint(fingerprintAlgorithm, new byte[0]); // validates the hash name
        if (!remoteSet.compareAndSet(false, true)) {
            return;
        }
        stream.setRemoteUfrag(ufrag);
        stream.setRemotePassword(password);
        DtlsSession d = new DtlsSession(name, certificate, fingerprintAlgorithm, fingerprint,
                component::send, this::onKeys, this::onDtlsFailure);
        dtls = d;
        receiver.setDtls(d);
        d.start();
        agent.startConnectivityEstablishment();
    }

    /** Adds a trickled remote candidate ("candidate:..." or "a=candidate:..."). Unusable ones are ignored. */
    public void addRemoteCandidate(String line) {
        RemoteCandidate rc = parseCandidate(line, component, stream.getRemoteUfrag());
        if (rc != null) {
            component.addUpdateRemoteCandidates(rc);
            component.updateRemoteCandidates();
        }
    }

    static RemoteCandidate parseCandidate(String line, Component component, String ufrag) {
        if (line == null) {
            return null;
        }
        String s = line.trim();
        if (s.startsWith("a=")) {
            s = s.substring(2);
        }
        if (!s.startsWith("candidate:")) {
            throw new IllegalArgumentException("malformed candidate");
        }
        String[] p = s.substring(10).split(" ");
        if (p.length < 8 || !p[6].equals("typ")) {
            throw new IllegalArgumentException("malformed candidate");
        }
        if (!p[2].equalsIgnoreCase("udp") || !p[1].equals("1")) {
            return null;
        }
        String ip = p[4];
        if (ip.endsWith(".local") || ip.indexOf(':') >= 0) {
            return null; // mDNS names cannot be resolved here; IPv6 is disabled
        }
        try {
            long priority = Long.parseLong(p[3]);
            int port = Integer.parseInt(p[5]);
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("malformed candidate");
            }
            CandidateType type = CandidateType.parse(p[7].toLowerCase(Locale.ROOT));
            TransportAddress addr = new TransportAddress(InetAddress.getByAddress(ipv4(ip)), port, Transport.UDP);
            return new RemoteCandidate(addr, component, type, p[0], priority, null, ufrag);
        } catch (NumberFormatException | java.net.UnknownHostException e) {
            throw new IllegalArgumentException("malformed candidate");
        }
    }

    /**
     * The four bytes of a dotted-quad IPv4 literal. Parsed here rather than by
     * InetAddress.getByName, which takes anything it cannot read as a literal ("999.1.1.1") for a
     * host name and resolves it: a client's candidate must never make the node query DNS.
     */
    private static byte[] ipv4(String ip) {
        String[] parts = ip.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("malformed candidate");
        }
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!parts[i].matches("\\d{1,3}") || Integer.parseInt(parts[i]) > 255) {
                throw new IllegalArgumentException("malformed candidate");
            }
            address[i] = (byte) Integer.parseInt(parts[i]);
        }
        return address;
    }

    private void onKeys(SrtpKeys keys) {
        if (closed) {
            return;
        }
        SrtpSession s = new SrtpSession(keys);
        srtp = s;
        receiver.setSrtp(s);
        connectedAtMillis = System.currentTimeMillis();
        metrics.dtlsHandshakes.incrementAndGet();
        LOG.log(System.Logger.Level.INFO, () -> name + ": DTLS-SRTP connected, profile " + keys.profile());
        listener.onConnected(this);
    }

    private void onDtlsFailure(Exception e) {
        metrics.dtlsFailures.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, name + ": DTLS failed", e);
        fail("DTLS failed: " + e.getMessage());
    }

    private void onIceStateChange(PropertyChangeEvent ev) {
        if (!Agent.PROPERTY_ICE_PROCESSING_STATE.equals(ev.getPropertyName())) {
            return;
        }
        Object v = ev.getNewValue();
        if (v == IceProcessingState.FAILED) {
            metrics.iceFailures.incrementAndGet();
            fail("ICE failed");
        } else if (v == IceProcessingState.TERMINATED && ev.getOldValue() == IceProcessingState.RUNNING) {
            metrics.iceFailures.incrementAndGet();
            fail("ICE terminated before completing");
        }
    }

    /**
     * Called once a second by the engine. Our own consent check (ice4j does not fail the agent
     * when consent is lost): fails the transport when neither a consent response nor any
     * authenticated packet arrived within the timeout. And slower ICE pacing once settled: ice4j
     * runs its check-list pacer every Ta (20 ms) until the agent terminates, and ours never does
     * (see IceSetup), which made 50 timer-to-executor hand-offs a second per peer the largest
     * non-packet CPU of a node in ./visage bench. It waits until 10 s after DTLS because trickled
     * candidates and their checks still come around ICE completion (a first version that relaxed
     * Ta at completion coincided with RoomMediaIT timeouts later traced to a web-client race, so
     * completion itself was never proven unsafe; 10 s is the cautious choice).
     */
    public void onSecond(long nowMillis) {
        if (closed || srtp == null) {
            return;
        }
        if (!pacingSettled && nowMillis - connectedAtMillis > SETTLED_AFTER_MS) {
            pacingSettled = true;
            agent.setTa(SETTLED_PACING_MS);
        }
        long last = Math.max(receiver.lastReceivedMillis(), connectedAtMillis);
        CandidatePair p = component.getSelectedPair();
        if (p != null && p.getConsentFreshness() > 0) {
            last = Math.max(last, p.getConsentFreshness());
        }
        if (nowMillis - last > consentTimeoutMillis) {
            metrics.consentTimeouts.incrementAndGet();
            fail("ICE consent expired");
        }
    }

    private void fail(String reason) {
        if (!closed && failed.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.INFO, () -> name + ": " + reason);
            listener.onFailed(this, reason);
        }
    }

    /**
     * Transport-wide congestion control on what this transport sends: the peer accepted our
     * transport-wide sequence number extension under {@code extensionId}, so every RTP packet
     * sent from now on carries one and the peer's feedback feeds {@link #bandwidthEstimator()}.
     */
    public void enableTransportCc(int extensionId) {
        synchronized (this) {
            if (estimator == null) {
                estimator = new SendSideEstimator();
            }
            transportCcId = extensionId;
        }
    }

    /** The send-side bandwidth estimate towards the peer, or null without transport-cc. */
    public SendSideEstimator bandwidthEstimator() {
        return estimator;
    }

    /** A transport-cc feedback packet from the peer (receive thread); false if it is not usable. */
    public boolean onTransportCcFeedback(byte[] buf, int at, int plen) {
        SendSideEstimator e = estimator;
        return e != null && e.onFeedback(buf, at, plen, System.nanoTime());
    }

    /**
     * Stamps (when transport-cc is on) and encrypts a plaintext RTP packet in place, and sends it.
     * The packet may grow by {@link TransportWideSequence#MAX_GROWTH} bytes for the stamp, and
     * needs room for the SRTP tag after that.
     */
    public boolean sendRtp(byte[] buf, int off, int len) {
        return sendRtp(buf, off, len, 0);
    }

    /** {@link #sendRtp(byte[], int, int)} for a packet of a bandwidth probe (see {@link SendSideEstimator#startProbe}). */
    public boolean sendProbe(byte[] buf, int off, int len, int cluster) {
        return sendRtp(buf, off, len, cluster);
    }

    private boolean sendRtp(byte[] buf, int off, int len, int cluster) {
        SrtpSession s = srtp;
        if (s == null || closed) {
            return false;
        }
        if (debugDropRate > 0 && java.util.concurrent.ThreadLocalRandom.current().nextDouble() < debugDropRate) {
            metrics.debugDropped.incrementAndGet();
            return true;
        }
        synchronized (this) {
            SendSideEstimator e = estimator;
            boolean stamped = false;
            if (e != null) {
                int stampedLen = TransportWideSequence.write(buf, off, len, transportCcId, e.nextSequence(), SRTP_TAG_ROOM);
                if (stampedLen > 0) {
                    len = stampedLen;
                    stamped = true;
                } else {
                    metrics.transportCcUnstamped.incrementAndGet();
                }
            }
            if (s.protectRtp(buf, off, len, dev.visage.sfu.rtp.RtpPacket.ssrc(buf, off)) != SrtpErrorStatus.OK) {
                metrics.sendErrors.incrementAndGet();
                return false;
            }
            boolean sent = send(buf, off, s.protectedLength());
            if (sent && stamped) {
                // the send time is taken once the socket has the packet (libwebrtc's OnSentPacket):
                // a thread descheduled during encryption would otherwise look like network delay.
                // A packet not sent leaves its number to the next one.
                e.onSent(len, System.nanoTime(), cluster);
            }
            return sent;
        }
    }

    public boolean sendRtcp(byte[] buf, int off, int len) {
        SrtpSession s = srtp;
        if (s == null || closed) {
            return false;
        }
        synchronized (this) {
            if (s.protectRtcp(buf, off, len, dev.visage.sfu.rtp.RtpPacket.i32(buf, off + 4)) != SrtpErrorStatus.OK) {
                metrics.sendErrors.incrementAndGet();
                return false;
            }
            metrics.rtcpSent.incrementAndGet();
            return send(buf, off, s.protectedLength());
        }
    }

    /**
     * Sends a protected packet on the selected pair; callers hold this transport's monitor (it
     * guards {@link #sendPacket}). ice4j's {@code Component.send} would look the pair's socket up
     * by the remote address in a synchronized map and allocate a packet on every send: here that
     * is done once per selected pair, and the one packet is reused.
     */
    private boolean send(byte[] buf, int off, int len) {
        try {
            CandidatePair pair = component.getSelectedPair();
            if (pair != sendPair) {
                sendPair = pair;
                // with a component-wide socket (not ice4j's push API) its own send path is kept
                sendSocket = pair == null || component.getSocketWrapper() != null ? null : pair.getIceSocketWrapper();
                if (sendSocket != null) {
                    sendPacket.setSocketAddress(pair.getRemoteCandidate().getTransportAddress());
                }
            }
            if (sendSocket == null) {
                component.send(buf, off, len);
            } else {
                sendPacket.setData(buf, off, len);
                sendSocket.send(sendPacket);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            metrics.sendErrors.incrementAndGet();
            return false;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        DtlsSession d = dtls;
        if (d != null) {
            d.close();
        }
        try {
            agent.free();
        } catch (RuntimeException ignored) {
            // best effort
        }
        SrtpSession s = srtp;
        if (s != null) {
            s.close();
        }
    }
}
