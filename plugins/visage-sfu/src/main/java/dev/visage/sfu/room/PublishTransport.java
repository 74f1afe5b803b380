package dev.visage.sfu.room;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtcp.TransportCcGenerator;
import dev.visage.sfu.rtp.NackGenerator;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.rtp.Rtx;
import dev.visage.sfu.transport.PacketReceiver;
import dev.visage.sfu.transport.PeerTransport;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A participant's publish side (mediasoup's producing WebRtcTransport): the {@link PeerTransport}
 * its browser sends on, the tracks it publishes (Producers, {@link PublishedTrack}) and the receive
 * steps of the packet chain up to the room's fan-out ({@link #onRtp}); and the feedback the
 * publisher gets from us: transport-cc, NACKs, receiver reports with REMB, key-frame requests.
 */
final class PublishTransport extends EndpointTransport {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The publisher's SR without its report blocks, on its way to the fan-out. */
    private static final ThreadLocal<byte[]> SR_SCRATCH = ThreadLocal.withInitial(() -> new byte[1700]);
    private static final System.Logger LOG = System.getLogger(PublishTransport.class.getName());

    private final SfuEndpoint endpoint;
    private final Room room;
    private final RoomServices svc;
    private final SfuMetrics metrics;
    private final KeyFrameRequestLimit keyFrameLimit;
    /** The SSRC our feedback to the publisher comes from. */
    private final int feedbackSsrc = RANDOM.nextInt() | 1;
    private final ReceiveStream.NackSink nackSink = this::sendNack;

    private volatile PublishedTrack[] tracks = new PublishedTrack[0];

    // transport-wide congestion control feedback towards the publisher (guarded by tcc)
    private final TransportCcGenerator tcc = new TransportCcGenerator();
    private final byte[] tccBuffer = new byte[1500];
    private volatile int tccExtensionId;

    // timer-owned RTCP buffer
    private final byte[] reportBuffer = new byte[1600];
    private final int[] loss = new int[2];

    PublishTransport(SfuEndpoint endpoint, Room room, RoomServices svc) {
        this.endpoint = endpoint;
        this.room = room;
        this.svc = svc;
        this.metrics = svc.metrics();
        this.keyFrameLimit = new KeyFrameRequestLimit(svc.config().pliIntervalMillis(), metrics);
    }

    PublishedTrack[] tracks() {
        return tracks;
    }

    /** Under the room monitor: the tracks of the latest publish answer, and its transport-cc id (0: none). */
    void setTracks(PublishedTrack[] ts, int transportCcExtensionId) {
        tracks = ts;
        tccExtensionId = transportCcExtensionId;
    }

    /** The stream (a track's only one, or a simulcast layer) whose packets carry this SSRC. */
    ReceiveStream streamBySsrc(int ssrc) {
        for (PublishedTrack t : tracks) {
            for (ReceiveStream s : t.layers) {
                if (s.ssrc == ssrc && ssrc != 0) {
                    return s;
                }
            }
        }
        return null;
    }

    private ReceiveStream streamByRtxSsrc(int ssrc) {
        for (PublishedTrack t : tracks) {
            for (ReceiveStream s : t.layers) {
                if (s.rtxSsrc == ssrc && ssrc != 0) {
                    return s;
                }
            }
        }
        return null;
    }

    /** True if one of these streams, or one of the tracks towards subscribers, uses the SSRC. */
    boolean usesSsrc(int ssrc) {
        for (PublishedTrack t : tracks) {
            if (t.ssrc == ssrc || t.info.rtxSsrc() == ssrc) {
                return true;
            }
        }
        return streamBySsrc(ssrc) != null || streamByRtxSsrc(ssrc) != null;
    }

    // ---------------------------------------------------------------- receive steps

    /**
     * Publisher RTP (decrypted; {@link PacketReceiver} did demux and SRTP): transport-cc arrival,
     * the stream by SSRC, RTX unwrapped, gaps NACKed, counted, canonical PT and extension ids, then
     * the room's fan-out ({@link Room#fanOut}) and the relay.
     */
    @Override
    public void onRtp(byte[] buf, int off, int len) {
        int tccId = tccExtensionId;
        if (tccId != 0) {
            // every packet counts for the sender's estimator, probes and retransmissions included
            long ext = RtpPacket.findExtension(buf, off, len, tccId);
            if (ext >= 0 && (ext & 0xFF) == 2) {
                int seq = RtpPacket.u16(buf, (int) (ext >>> 8));
                PeerTransport p = transport();
                long arrival = p != null ? p.arrivalMicros() : System.currentTimeMillis() * 1000;
                synchronized (tcc) {
                    tcc.onPacket(seq, arrival);
                }
            }
        }
        int ssrc = RtpPacket.ssrc(buf, off);
        ReceiveStream stream = streamBySsrc(ssrc);
        boolean retransmission = false;
        if (stream == null) {
            stream = streamByRtxSsrc(ssrc);
            if (stream == null) {
                stream = learnSsrc(buf, off, len, ssrc);
                if (stream == null) {
                    metrics.dropUnknownSsrc.incrementAndGet();
                    return;
                }
            }
            retransmission = stream.ssrc != ssrc;
        }
        PublishedTrack t = stream.track;
        if (retransmission) {
            if (RtpPacket.payloadType(buf, off) != t.info.rtxPayloadType()) {
                metrics.dropRtx.incrementAndGet();
                return;
            }
            len = Rtx.unwrap(buf, off, len, stream.ssrc, t.info.payloadType());
            if (len < 0) {
                metrics.dropRtx.incrementAndGet(); // padding-only probe
                return;
            }
            metrics.step(SfuMetrics.Step.RTX_UNWRAPPED);
        } else if (RtpPacket.payloadType(buf, off) != t.info.payloadType()) {
            metrics.dropUnknownSsrc.incrementAndGet();
            return;
        }
        int seq = RtpPacket.sequence(buf, off);
        long arrivalNanos = System.nanoTime();
        if (stream.nacksGaps()) {
            int arrival = stream.onSequence(seq, feedbackSsrc, nackSink, metrics);
            if (retransmission && arrival == NackGenerator.DUPLICATE) {
                metrics.dropRtx.incrementAndGet(); // a copy of a packet we already forwarded
                return;
            }
        } else if (retransmission) {
            metrics.dropRtx.incrementAndGet();
            return;
        }
        // counted only now: a duplicate (the publisher's congestion control probes with RTX copies
        // of packets already sent) would make its layer look dearer to every consumer's allocator
        stream.onPacket(seq, len, arrivalNanos);
        RtpPacket.setPayloadType(buf, off, t.canonicalPt);
        if (!RtpPacket.remapExtensions(buf, off, len, t.extensionMap)) {
            metrics.dropMalformedRtp.incrementAndGet();
            return;
        }
        // the relay's copy first: it has the far node's hop still ahead, and with many local
        // subscribers it would otherwise wait for all their copies to be encrypted and sent
        PublishedTrack.Downstream relay = t.downstream;
        if (relay != null) {
            relay.onRtp(t, stream.layer, buf, off, len); // once per node that subscribed, not per subscriber
            metrics.step(SfuMetrics.Step.RELAYED);
        }
        room.fanOut(stream, seq, arrivalNanos, buf, off, len);
    }

    /**
     * A packet with an SSRC no stream has yet: if its mid and rid (or repaired rid) header
     * extensions name a layer of ours whose SSRC is not known, that is its SSRC (or RTX SSRC)
     * from now on. Once per stream, so the lookups here are not on the per-packet path.
     */
    private ReceiveStream learnSsrc(byte[] buf, int off, int len, int ssrc) {
        for (PublishedTrack t : tracks) {
            if (t.ridExtensionId == 0 || t.midExtensionId == 0) {
                continue;
            }
            long mid = RtpPacket.findExtension(buf, off, len, t.midExtensionId);
            if (mid < 0 || !t.hasMid(buf, (int) (mid >>> 8), (int) (mid & 0xFF))) {
                continue;
            }
            boolean repair = false;
            long rid = RtpPacket.findExtension(buf, off, len, t.ridExtensionId);
            if (rid < 0 && t.repairedRidExtensionId != 0) {
                rid = RtpPacket.findExtension(buf, off, len, t.repairedRidExtensionId);
                repair = true;
            }
            if (rid < 0) {
                return null;
            }
            for (ReceiveStream s : t.layers) {
                if (!s.hasRid(buf, (int) (rid >>> 8), (int) (rid & 0xFF))) {
                    continue;
                }
                synchronized (room) {
                    if ((repair ? s.rtxSsrc : s.ssrc) != 0 || usesSsrc(ssrc) || endpoint.ssrcTakenInRoom(ssrc)) {
                        return null;
                    }
                    if (repair) {
                        s.rtxSsrc = ssrc;
                    } else {
                        s.ssrc = ssrc;
                    }
                }
                String what = repair ? " rtx ssrc=" : " ssrc=";
                LOG.log(System.Logger.Level.DEBUG, () -> "room=" + room.id + " session=" + endpoint.sessionId()
                        + " mid=" + t.info.mid() + " rid=" + s.rid + what + Integer.toUnsignedString(ssrc));
                return s;
            }
            return null;
        }
        return null;
    }

    /** Publisher RTCP: note SRs (for our RR's LSR/DLSR) and pass them on to subscribers. */
    @Override
    public void onRtcp(byte[] buf, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int plen = Rtcp.packetLength(buf, i);
            if (Rtcp.type(buf, i) == Rtcp.SR && plen >= 28) {
                ReceiveStream stream = streamBySsrc(Rtcp.senderSsrc(buf, i));
                if (stream != null) {
                    onSenderReport(stream, buf, i, plen);
                }
            }
            i += plen;
        }
    }

    /**
     * A publisher's SR of one of its streams: noted (for our RR's LSR/DLSR) and passed on to the
     * subscribers (and the relay) that receive that stream now.
     */
    private void onSenderReport(ReceiveStream stream, byte[] buf, int at, int plen) {
        stream.onSenderReport(RtpPacket.i32(buf, at + 10), System.nanoTime());
        byte[] sr = SR_SCRATCH.get();
        int n = Rtcp.copySrWithoutBlocks(buf, at, plen, sr, 0);
        if (n <= 0) {
            return;
        }
        room.fanOutSenderReport(stream, sr, 0, n);
        PublishedTrack.Downstream relay = stream.track.downstream;
        if (relay != null) {
            relay.onSenderReport(stream.track, stream.layer, sr, 0, n);
        }
    }

    // ---------------------------------------------------------------- feedback to the publisher

    /** PLI for one of these streams, at most once per pli-interval per stream. */
    void requestKeyFrame(ReceiveStream stream) {
        PeerTransport pt = transport();
        int ssrc = stream.ssrc;
        if (pt == null || !pt.isConnected() || ssrc == 0) {
            return;
        }
        if (!keyFrameLimit.allows(stream, System.nanoTime())) {
            return;
        }
        byte[] b = new byte[64]; // signalling-rate path (<= 5/s per stream), not per packet
        int n = Rtcp.writePli(b, 0, feedbackSsrc, ssrc);
        if (pt.sendRtcp(b, 0, n)) {
            metrics.plisSent.incrementAndGet();
        }
    }

    private void sendTransportCcFeedback(PeerTransport p) {
        PublishedTrack[] ts = tracks;
        int mediaSsrc = ts.length > 0 ? ts[0].primary().ssrc : 0;
        synchronized (tcc) {
            for (int guard = 0; guard < 4 && tcc.hasPending(); guard++) {
                int n = tcc.writeFeedback(tccBuffer, 0, feedbackSsrc, mediaSsrc);
                if (n == 0) {
                    break;
                }
                p.sendRtcp(tccBuffer, 0, n);
            }
        }
    }

    /** The NACKs of this publisher's streams' gaps go back on its transport. */
    private void sendNack(byte[] nack, int len) {
        PeerTransport p = transport();
        if (p != null && p.sendRtcp(nack, 0, len)) {
            metrics.nacksSent.incrementAndGet();
        }
    }

    /** Timer, every 100 ms: transport-cc feedback and NACK retries; every second also RR + REMB. */
    void onTimer(long nowMillis, boolean fullSecond) {
        PeerTransport p = transport();
        if (p == null) {
            return;
        }
        if (p.isConnected()) {
            if (tccExtensionId != 0) {
                sendTransportCcFeedback(p);
            }
            long now = System.nanoTime();
            for (PublishedTrack t : tracks) {
                for (ReceiveStream stream : t.layers) {
                    if (stream.nacksGaps() && stream.ssrc != 0
                            && stream.retryNacks(feedbackSsrc, now, nackSink, metrics)) {
                        // a packet lost for every subscriber: asking for the key frame now spares
                        // them the ~3 s Chromium waits before it asks
                        requestKeyFrame(stream);
                    }
                }
            }
        }
        if (fullSecond) {
            p.onSecond(nowMillis);
            sendReceiverReports();
        }
    }

    /** Every second and when the transport comes up: RR (loss, LSR/DLSR) for each stream, then REMB. */
    synchronized void sendReceiverReports() {
        PeerTransport p = transport();
        PublishedTrack[] ts = tracks;
        if (p == null || !p.isConnected() || ts.length == 0) {
            return;
        }
        byte[] b = reportBuffer;
        int at = Rtcp.writeEmptyRr(b, 0, feedbackSsrc);
        long now = System.nanoTime();
        int n = 0;
        boolean video = false;
        for (PublishedTrack t : ts) {
            video |= t.video;
            for (ReceiveStream s : t.layers) {
                if (n == 31 || s.ssrc == 0) {
                    continue;
                }
                at += s.writeReportBlock(b, at, now, loss);
                n++;
            }
        }
        Rtcp.setLengthBytes(b, 0, at);
        if (video && n > 0) {
            // REMB naming every stream reported on (their SSRCs are the report blocks')
            int rembAt = at;
            at += Rtcp.writeRemb(b, at, feedbackSsrc, svc.config().rembBitrate(), RtpPacket.i32(b, 8));
            b[rembAt + 16] = (byte) n;
            at = rembAt + 20;
            for (int k = 0; k < n; k++) {
                RtpPacket.w32(b, at, RtpPacket.i32(b, 8 + 24 * k));
                at += 4;
            }
            Rtcp.setLengthBytes(b, rembAt, at - rembAt);
        }
        p.sendRtcp(b, 0, at);
    }

    /** What this participant publishes, a row per stream (each simulcast layer). */
    List<Map<String, Object>> streamStats() {
        List<Map<String, Object>> out = new ArrayList<>();
        var participant = endpoint.participant();
        for (PublishedTrack t : tracks) {
            for (ReceiveStream s : t.layers) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("direction", "publish");
                m.put("sessionId", participant.sessionId());
                m.put("userId", participant.userId() == null ? "" : participant.userId());
                m.put("displayName", participant.displayName() == null ? "" : participant.displayName());
                m.put("kind", t.info.kind());
                m.put("codec", t.info.codec());
                m.put("ssrc", s.ssrc & 0xFFFFFFFFL);
                if (s.rid != null) {
                    m.put("rid", s.rid);
                    int size = s.keyFrameSize;
                    m.put("width", size >>> 16);
                    m.put("height", size & 0xFFFF);
                }
                m.put("packets", s.packetsReceived);
                m.put("bytes", s.bytesReceived);
                m.put("bitrateBps", s.bitrateBps);
                m.put("fractionLost", s.reportedFractionLost());
                m.put("packetsLost", s.reportedCumulativeLost());
                m.put("muted", t.muted);
                out.add(m);
            }
        }
        return out;
    }
}
