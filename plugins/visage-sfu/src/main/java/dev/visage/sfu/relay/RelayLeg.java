package dev.visage.sfu.relay;

import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtp.PacketKind;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.srtp.SrtpSession;
import org.jitsi.srtp.SrtpErrorStatus;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Map;

/**
 * One relay leg: SRTP over UDP between this node's relay socket and one peer node's, carrying
 * every relayed stream of every room the two nodes share (RTP one way per stream, RTCP both ways).
 *
 * <h2>State machine (signalling on the cluster bus, driven by the relay thread only)</h2>
 * <pre>
 * offerer:  OFFERING --answer--> READY (sends ready)     OFFERING --5 offers unanswered--> FAILED
 * answerer: ANSWERED --ready---> READY                   ANSWERED --5 answers, no ready--> FAILED
 * any:      --close / node gone--> CLOSED
 * </pre>
 * Only a READY leg sends media; the answerer can already decrypt once it answered. A repeated
 * answer in READY is answered with ready again (the first one was lost).
 *
 * <h2>Media (any thread; no allocation, no cluster call)</h2>
 * {@link #sendRtp}/{@link #sendRtcp} copy into a per-thread buffer, encrypt and send under the
 * leg's send lock; {@link #receive} runs on the relay socket's thread: decrypt in place, then RTP to
 * the {@link RemoteStream} by SSRC, RTCP to the sender-side handlers (PLI/FIR to the publisher,
 * NACK from the packet cache) or the receive-side ones (forwarded SRs, our report blocks).
 */
final class RelayLeg {
    enum State { OFFERING, ANSWERED, READY, FAILED, CLOSED }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** A per-thread send buffer with spare room for the SRTP tag and SRTCP index. */
    static final class Scratch {
        final byte[] buf = new byte[1700];
        final ByteBuffer bb = ByteBuffer.wrap(buf);
        final byte[] rtcp = new byte[64];
    }

    final String peer;
    final boolean offerer;
    final String legId;
    final int profile;
    final int localSsrc = RANDOM.nextInt() | 1;
    private final RelayKeys keys;
    private final byte[] localNonce = RelayKeys.nonce();
    private final byte[] localKey;
    private final RelaySocket socket;
    private final String localAddress;
    private final int localPort;

    // signalling state (relay thread)
    State state;
    int attempts;
    long lastSentMillis;
    long stateSinceMillis;

    // media state
    private volatile InetSocketAddress remote;
    private volatile SrtpSession srtp;
    private volatile boolean ready;
    private final Object sendLock = new Object();
    volatile RemoteStream[] incoming = new RemoteStream[0];
    volatile TrackRelay[] outgoing = new TrackRelay[0];
    private final byte[] resendBuffer = new byte[1700];

    // RTT: the peer's last leg SR (receive thread writes, report timer reads)
    volatile int peerSsrc;
    volatile int lastPeerSrNtp;
    volatile long lastPeerSrNanos;

    private final RelayLegStats stats = new RelayLegStats();

    private RelayLeg(String peer, boolean offerer, String legId, int profile, RelayKeys keys, RelaySocket socket,
                     long now) {
        this.peer = peer;
        this.offerer = offerer;
        this.legId = legId;
        this.profile = profile;
        this.socket = socket;
        this.keys = keys;
        this.localKey = keys.sendingKey(profile, legId, offerer, localNonce);
        this.localAddress = socket.address().getHostAddress();
        this.localPort = socket.port();
        this.stateSinceMillis = now;
    }

    /** A new leg we offer. */
    static RelayLeg offer(String peer, int profile, RelayKeys keys, RelaySocket socket, long now) {
        RelayLeg leg = new RelayLeg(peer, true, Long.toHexString(RANDOM.nextLong()), profile, keys, socket, now);
        leg.state = State.OFFERING;
        return leg;
    }

    /**
     * A leg the peer offered; we can decrypt right away.
     *
     * @throws IllegalArgumentException when the offer is malformed or its profile unsupported
     */
    static RelayLeg answer(String peer, Map<String, Object> offer, RelayKeys keys, RelaySocket socket, long now) {
        int profile = (int) RelayMessages.num(offer, "profile");
        if (!RelayKeys.supported(profile)) {
            throw new IllegalArgumentException("unsupported relay SRTP profile " + profile);
        }
        RelayLeg leg = new RelayLeg(peer, false, RelayMessages.str(offer, "leg"), profile, keys, socket, now);
        leg.connect(offer);
        leg.state = State.ANSWERED;
        leg.attempts = 1; // the caller sends the first answer now
        leg.lastSentMillis = now;
        return leg;
    }

    Map<String, Object> offerMessage() {
        return RelayMessages.leg(RelayMessages.OFFER, legId, localAddress, localPort, profile, RelayKeys.encode(localNonce));
    }

    Map<String, Object> answerMessage() {
        return RelayMessages.leg(RelayMessages.ANSWER, legId, localAddress, localPort, profile, RelayKeys.encode(localNonce));
    }

    Map<String, Object> readyMessage() {
        return RelayMessages.simple(RelayMessages.READY, "leg", legId);
    }

    Map<String, Object> closeMessage() {
        return RelayMessages.simple(RelayMessages.CLOSE, "leg", legId);
    }

    /** Offerer: the answer arrived. Returns the ready message to send (again, if repeated). */
    Map<String, Object> onAnswer(Map<String, Object> answer, long now) {
        if (state == State.OFFERING) {
            connect(answer);
            setState(State.READY, now);
        }
        return state == State.READY ? readyMessage() : null;
    }

    /** Answerer: the offerer has our key too; start sending. */
    void onReady(long now) {
        if (state == State.ANSWERED) {
            setState(State.READY, now);
        }
    }

    /**
     * Timer: the message to resend (offer while OFFERING, answer while ANSWERED) once per second,
     * or null; after {@link RelayMessages#MAX_ATTEMPTS} the leg is FAILED.
     */
    Map<String, Object> tick(long now) {
        if (state != State.OFFERING && state != State.ANSWERED) {
            return null;
        }
        if (now - lastSentMillis < 1000) {
            return null;
        }
        if (attempts >= RelayMessages.MAX_ATTEMPTS) {
            setState(State.FAILED, now);
            return null;
        }
        attempts++;
        lastSentMillis = now;
        return state == State.OFFERING ? offerMessage() : answerMessage();
    }

    private void setState(State s, long now) {
        state = s;
        stateSinceMillis = now;
        ready = s == State.READY;
    }

    private void connect(Map<String, Object> m) {
        int p = (int) RelayMessages.num(m, "profile");
        if (p != profile) {
            throw new IllegalArgumentException("relay answer changed the SRTP profile");
        }
        byte[] remoteKey = keys.sendingKey(profile, legId, !offerer, RelayKeys.decodeNonce(RelayMessages.str(m, "nonce")));
        int port = (int) RelayMessages.num(m, "port");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("bad relay port");
        }
        InetAddress a;
        try {
            String address = RelayMessages.str(m, "address");
            if (!address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                throw new IllegalArgumentException("relay address must be an IP literal");
            }
            a = InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad relay address");
        }
        SrtpSession s = new SrtpSession(RelayKeys.sessionKeys(profile, localKey, remoteKey));
        remote = new InetSocketAddress(a, port);
        srtp = s;
    }

    boolean isReady() {
        return ready;
    }

    RelayLegStats stats() {
        return stats;
    }

    /** Whether the leg is still worth keeping: neither closed nor failed. */
    boolean isUsable() {
        return state != State.CLOSED && state != State.FAILED;
    }

    /** Whether we offered the leg and still wait for the answer. */
    boolean isOffering() {
        return state == State.OFFERING;
    }

    /** Whether the leg failed more than {@code millis} ago (time to offer it anew). */
    boolean failedLongerThan(long millis, long now) {
        return state == State.FAILED && now - stateSinceMillis > millis;
    }

    /** Relay thread: the relayed streams received over this leg. */
    void setIncoming(RemoteStream[] streams) {
        incoming = streams;
    }

    /** Relay thread: the local tracks sent over this leg. */
    void setOutgoing(TrackRelay[] tracks) {
        outgoing = tracks;
    }

    /** Relay thread: this leg replaces {@code old}; the streams it received come over this one now. */
    void takeIncoming(RelayLeg old) {
        for (RemoteStream r : old.incoming) {
            r.moveTo(this);
        }
        incoming = old.incoming;
        old.incoming = new RemoteStream[0];
    }

    /** Relay thread: this leg replaces {@code old}; the local tracks it sent go over this one now. */
    void takeOutgoing(RelayLeg old) {
        outgoing = old.outgoing;
    }

    /** Relayed streams sent: (local track, this peer) pairs. */
    int streamsOut() {
        return outgoing.length;
    }

    InetSocketAddress remote() {
        return remote;
    }

    void close(long now) {
        setState(State.CLOSED, now);
        incoming = new RemoteStream[0];
        outgoing = new TrackRelay[0];
        SrtpSession s = srtp;
        if (s != null) {
            synchronized (sendLock) {
                s.close();
            }
        }
    }

    // ---------------------------------------------------------------- send (any thread)

    /** Copies, encrypts and sends one plaintext RTP packet; false if not ready or failed. */
    boolean sendRtp(byte[] buf, int off, int len) {
        return protectAndSend(buf, off, len, false, 0);
    }

    /** {@link #sendRtp(byte[], int, int)} under another SSRC (the stream's relay SSRC), set in the copy. */
    boolean sendRtp(byte[] buf, int off, int len, int ssrc) {
        return protectAndSend(buf, off, len, false, ssrc);
    }

    /** Copies, encrypts and sends one plaintext RTCP (compound) packet. */
    boolean sendRtcp(byte[] buf, int off, int len) {
        return protectAndSend(buf, off, len, true, 0);
    }

    /** A publisher's SR (without report blocks) for the stream relayed under {@code ssrc}, set in the copy. */
    boolean sendSenderReport(byte[] sr, int off, int len, int ssrc) {
        return protectAndSend(sr, off, len, true, ssrc);
    }

    /** ssrc: non-zero to rewrite the copy's SSRC (RTP) or sender SSRC (RTCP). */
    private boolean protectAndSend(byte[] buf, int off, int len, boolean rtcp, int ssrc) {
        if (!ready) {
            stats.droppedNotReady();
            return false;
        }
        Scratch sc = SCRATCH.get();
        if (len > sc.buf.length - 32) {
            stats.sendError();
            return false;
        }
        System.arraycopy(buf, off, sc.buf, 0, len);
        if (ssrc != 0) {
            RtpPacket.w32(sc.buf, rtcp ? 4 : 8, ssrc);
        }
        synchronized (sendLock) {
            SrtpSession s = srtp;
            if (s == null || !ready) {
                stats.sendError();
                return false;
            }
            SrtpErrorStatus status = rtcp
                    ? s.protectRtcp(sc.buf, 0, len, RtpPacket.i32(sc.buf, 4))
                    : s.protectRtp(sc.buf, 0, len, RtpPacket.ssrc(sc.buf, 0));
            int n = s.protectedLength();
            if (status != SrtpErrorStatus.OK || !socket.send(sc.bb, n, remote)) {
                stats.sendError();
                return false;
            }
            stats.sent(rtcp, n);
            return true;
        }
    }

    void sendPli(int mediaSsrc) {
        byte[] b = SCRATCH.get().rtcp;
        int n = Rtcp.writePli(b, 0, localSsrc, mediaSsrc);
        if (sendRtcp(b, 0, n)) {
            stats.pliSent();
        }
    }

    void sendNack(int mediaSsrc, int seq) {
        byte[] b = SCRATCH.get().rtcp;
        sendNack(b, RelayRtcp.writeNack(b, 0, localSsrc, mediaSsrc, seq));
    }

    /** A NACK written by the caller (the receive thread's NACK step for a relayed stream's gaps). */
    void sendNack(byte[] nack, int len) {
        if (sendRtcp(nack, 0, len)) {
            stats.nackSent();
        }
    }

    /**
     * Report timer: our SR (for the peer's RTT) with a block for the peer's leg SSRC (LSR/DLSR:
     * our RTT) and one per stream we receive (loss on the leg). Uses the caller's buffer.
     */
    void sendReport(byte[] b, int[] loss, long nowMillis) {
        if (!ready) {
            return;
        }
        int at = RelayRtcp.writeSr(b, 0, localSsrc, nowMillis, stats.packetsSent(), stats.bytesSent());
        int blocks = 0;
        int ps = peerSsrc;
        if (ps != 0) {
            long arrived = lastPeerSrNanos;
            int dlsr = arrived == 0 ? 0 : (int) (((System.nanoTime() - arrived) * 65536L) / 1_000_000_000L);
            at += Rtcp.writeReportBlock(b, at, 0, ps, 0, 0, 0, 0, lastPeerSrNtp, dlsr);
            blocks++;
        }
        int fractionMax = 0;
        long cumulative = 0;
        for (RemoteStream r : incoming) {
            if (blocks == 31) {
                break;
            }
            long highest = r.lossStats(loss);
            fractionMax = Math.max(fractionMax, loss[0]);
            cumulative += loss[1];
            at += Rtcp.writeReportBlock(b, at, 0, r.ssrc, loss[0], loss[1], highest, 0, 0, 0);
            blocks++;
        }
        stats.lossOfReceived(fractionMax, cumulative);
        Rtcp.setLengthBytes(b, 0, at);
        sendRtcp(b, 0, at);
    }

    // ---------------------------------------------------------------- receive (relay socket thread)

    /** One datagram from this leg's peer address. */
    void receive(byte[] buf, int off, int len) {
        SrtpSession s = srtp;
        if (s == null || state == State.CLOSED) {
            stats.droppedNotReady();
            return;
        }
        stats.arrived(len);
        PacketKind kind = PacketKind.classify(buf, off, len);
        if (kind == PacketKind.RTP) {
            // the stream first, from the clear header: a packet that came before the message
            // announcing its track is dropped undecrypted, so SRTP's replay window does not
            // refuse its retransmission once the track is known
            RemoteStream r = len >= RtpPacket.FIXED_HEADER ? incoming(RtpPacket.ssrc(buf, off)) : null;
            PublishedTrack t = r == null ? null : r.track();
            if (t == null) {
                stats.droppedUnknownSsrc();
                return;
            }
            int plen = s.decryptRtp(buf, off, len);
            if (plen < 0) {
                stats.droppedSrtp();
                return;
            }
            stats.rtpReceived();
            r.room.forwardRelayedRtp(t, r.layer, buf, off, plen);
        } else if (kind == PacketKind.RTCP) {
            int plen = s.decryptRtcp(buf, off, len);
            if (plen < 0) {
                stats.droppedSrtp();
                return;
            }
            stats.rtcpReceived();
            onRtcp(buf, off, plen);
        } else {
            stats.droppedSrtp();
        }
    }

    /** Relayed tracks received (their first streams). */
    int tracksIn() {
        int n = 0;
        for (RemoteStream r : incoming) {
            n += r.layer == 0 ? 1 : 0;
        }
        return n;
    }

    /** Report timer, once a second: the received tracks' stream bitrates (what the far consumers' allocators weigh). */
    void rollBitrates(long nowNanos) {
        for (RemoteStream r : incoming) {
            PublishedTrack t = r.track();
            if (r.layer == 0 && t != null) {
                t.rollRelayedBitrates(nowNanos);
            }
        }
    }

    private RemoteStream incoming(int ssrc) {
        for (RemoteStream r : incoming) {
            if (r.ssrc == ssrc) {
                return r;
            }
        }
        return null;
    }

    /** The local track one of whose streams we relay under {@code ssrc}, or null. */
    private TrackRelay outgoing(int ssrc) {
        for (TrackRelay r : outgoing) {
            if (r.track.layerOfRelaySsrc(ssrc) >= 0) {
                return r;
            }
        }
        return null;
    }

    private void onRtcp(byte[] buf, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int plen = Rtcp.packetLength(buf, i);
            int pt = Rtcp.type(buf, i);
            int fmt = Rtcp.fmt(buf, i);
            if (pt == Rtcp.SR && plen >= 28) {
                int sender = Rtcp.senderSsrc(buf, i);
                RemoteStream r = incoming(sender);
                if (r != null && r.track() != null) {
                    r.room.forwardRelayedSr(r.track(), r.layer, buf, i, plen);
                } else {
                    peerSsrc = sender;
                    lastPeerSrNtp = RelayRtcp.srCompactNtp(buf, i);
                    lastPeerSrNanos = System.nanoTime();
                    onReportBlocks(buf, i, plen);
                }
            } else if (pt == Rtcp.RR) {
                onReportBlocks(buf, i, plen);
            } else if (pt == Rtcp.PSFB && (fmt == Rtcp.FMT_PLI || fmt == Rtcp.FMT_FIR) && plen >= 12) {
                int ssrc = fmt == Rtcp.FMT_FIR ? Rtcp.firSsrc(buf, i, plen) : Rtcp.mediaSsrc(buf, i);
                TrackRelay o = outgoing(ssrc);
                if (o != null) {
                    stats.pliReceived();
                    o.track.requestKeyFrame(o.track.layerOfRelaySsrc(ssrc));
                }
            } else if (pt == Rtcp.RTPFB && fmt == Rtcp.FMT_NACK && plen >= 16) {
                int ssrc = Rtcp.mediaSsrc(buf, i);
                TrackRelay o = outgoing(ssrc);
                if (o != null) {
                    int layer = o.track.layerOfRelaySsrc(ssrc);
                    int n = Rtcp.nackEntries(plen);
                    for (int k = 0; k < n; k++) {
                        int pid = Rtcp.nackPid(buf, i, k);
                        int blp = Rtcp.nackBlp(buf, i, k);
                        resend(o.track, layer, ssrc, pid);
                        for (int bit = 0; bit < 16; bit++) {
                            if ((blp & (1 << bit)) != 0) {
                                resend(o.track, layer, ssrc, (pid + bit + 1) & 0xFFFF);
                            }
                        }
                    }
                }
            }
            i += plen;
        }
    }

    private void resend(PublishedTrack t, int layer, int ssrc, int seq) {
        stats.nackReceived();
        int n = t.cachedPacket(layer, seq, resendBuffer);
        if (n > 0 && sendRtp(resendBuffer, 0, n, ssrc)) {
            stats.retransmitted();
        }
    }

    private void onReportBlocks(byte[] buf, int at, int plen) {
        int count = RelayRtcp.reportCount(buf, at);
        int nowCompact = RelayRtcp.compactNtp(System.currentTimeMillis());
        int fraction = 0;
        long cumulative = 0;
        boolean any = false;
        for (int k = 0; k < count; k++) {
            int b = RelayRtcp.reportBlock(buf, at, k);
            if (b + 24 > at + plen) {
                break;
            }
            int ssrc = RelayRtcp.blockSsrc(buf, b);
            if (ssrc == localSsrc) {
                double rtt = RelayRtcp.rttMillis(nowCompact, RelayRtcp.blockLsr(buf, b), RelayRtcp.blockDlsr(buf, b));
                if (rtt >= 0) {
                    stats.rtt(rtt);
                }
            } else if (outgoing(ssrc) != null) {
                any = true;
                fraction = Math.max(fraction, RelayRtcp.blockFractionLost(buf, b));
                cumulative += RelayRtcp.blockCumulativeLost(buf, b);
            }
        }
        if (any) {
            stats.lossOfSent(fraction, cumulative);
        }
    }
}
