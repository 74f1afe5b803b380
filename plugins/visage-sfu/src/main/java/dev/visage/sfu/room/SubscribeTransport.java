package dev.visage.sfu.room;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtp.ResendLimiter;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.transport.PeerTransport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A participant's subscribe side (mediasoup's consuming WebRtcTransport): the {@link PeerTransport}
 * we send its browser media on, its consumers ({@link Subscription}, one per track it receives),
 * the send steps of the packet chain ({@link #deliver}) and what the subscriber's feedback drives:
 * key-frame requests, NACK answers from the cache, report blocks (loss, RTT), transport-cc
 * feedback into the send-side bandwidth estimate, and from that estimate each consumer's layer.
 */
final class SubscribeTransport extends EndpointTransport {
    /** A resend's copy of the cached packet, and its RTX form (NACK path, the subscriber's receive thread). */
    private static final ThreadLocal<byte[]> RESEND_SCRATCH = ThreadLocal.withInitial(() -> new byte[1700]);
    private static final ThreadLocal<byte[]> RTX_SCRATCH = ThreadLocal.withInitial(() -> new byte[1700]);

    private final SfuMetrics metrics;
    private final KeyFrameRequestLimit keyFrameLimit;
    /** Copy-on-write, changed under the room monitor. */
    private volatile Subscription[] consumers = new Subscription[0];
    /** Bandwidth probes towards this subscriber (timer thread). */
    private final BandwidthProber prober;
    // NACK answers to this subscriber: per-packet RTT spacing, count cap, bandwidth cap
    private final ResendLimiter resendLimiter = ResendLimiter.standard();

    SubscribeTransport(RoomServices svc) {
        this.metrics = svc.metrics();
        this.keyFrameLimit = new KeyFrameRequestLimit(svc.config().pliIntervalMillis(), metrics);
        this.prober = new BandwidthProber(metrics, svc.timer());
    }

    Subscription[] consumers() {
        return consumers;
    }

    // ---------------------------------------------------------------- consumers (room monitor)

    Subscription consumerOf(PublishedTrack t) {
        for (Subscription s : consumers) {
            if (s.track == t) {
                return s;
            }
        }
        return null;
    }

    Subscription consumerByMid(String mid) {
        for (Subscription s : consumers) {
            if (s.mid.equals(mid)) {
                return s;
            }
        }
        return null;
    }

    /** Under the room monitor: a new consumer, registered with its track for the fan-out. */
    void add(Subscription s) {
        Subscription[] ss = Arrays.copyOf(consumers, consumers.length + 1);
        ss[ss.length - 1] = s;
        consumers = ss;
        s.track.addConsumer(s);
    }

    /** Under the room monitor. */
    void remove(Subscription s) {
        List<Subscription> l = new ArrayList<>(Arrays.asList(consumers));
        if (l.remove(s)) {
            consumers = l.toArray(new Subscription[0]);
            s.track.removeConsumer(s);
        }
    }

    /** Under the room monitor: the consumer's source is now {@code next} (its publisher reconnected). */
    void rebind(Subscription s, PublishedTrack next) {
        s.track.removeConsumer(s);
        s.rebind(next);
        next.addConsumer(s);
    }

    /** The consumer this subscriber knows by {@code ssrc} (in its RTCP feedback). */
    private Subscription consumerBySsrc(int ssrc) {
        for (Subscription s : consumers) {
            if (s.ssrc == ssrc) {
                return s;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- send steps

    /**
     * Fan-out step, subscriber side (a local publisher's packet, or a relayed one): the
     * consumer's copy of a packet of {@code stream} (its {@link ReceiveStream#inspect facts}),
     * if it takes it, rewritten into its numbering and sent. No allocation.
     */
    void deliver(Subscription sub, ReceiveStream stream, int seq, int facts, byte[] buf, int off, int len,
                 long arrivalNanos, byte[] scratch) {
        PeerTransport st = transport();
        if (st == null || !st.isConnected()
                || !sub.accepts(stream.layer, seq, (facts & ReceiveStream.KEY_FRAME_START) != 0,
                ReceiveStream.temporalLayer(facts), (facts & ReceiveStream.FRAME_START) != 0)) {
            return;
        }
        metrics.step(SfuMetrics.Step.CONSUMER_ACCEPTED);
        System.arraycopy(buf, off, scratch, 0, len);
        sub.rewriteRtp(scratch, 0, len, arrivalNanos);
        if (st.sendRtp(scratch, 0, len)) {
            metrics.rtpForwarded.incrementAndGet();
            sub.onSent(len);
        }
    }

    /**
     * Fan-out step for a sender report of {@code stream} (without report blocks; a local
     * publisher's, or a relayed one): to this consumer if it receives that stream now, with its
     * SSRC and RTP time, noted for the RTT its report blocks will give.
     */
    void deliverSenderReport(Subscription sub, ReceiveStream stream, byte[] sr, int off, int len, byte[] scratch) {
        PeerTransport st = transport();
        if (st == null || !st.isConnected() || !sub.ready() || sub.currentLayer() != stream.layer) {
            return; // no time mapping yet, or another layer
        }
        System.arraycopy(sr, off, scratch, 0, len);
        sub.rewriteSenderReport(scratch, 0);
        if (st.sendRtcp(scratch, 0, len)) {
            sub.onSrForwarded(RtpPacket.i32(sr, off + 10), System.nanoTime());
        }
    }

    // ---------------------------------------------------------------- the subscriber's feedback

    /** Subscriber RTP: a subscribe transport carries none. */
    @Override
    public void onRtp(byte[] buf, int off, int len) {
        metrics.dropUnknownSsrc.incrementAndGet();
    }

    /** Subscriber RTCP: PLI/FIR -> key-frame request to the publisher; NACK -> resend from cache. */
    @Override
    public void onRtcp(byte[] buf, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int plen = Rtcp.packetLength(buf, i);
            int pt = Rtcp.type(buf, i);
            int fmt = Rtcp.fmt(buf, i);
            if ((pt == Rtcp.RR || pt == Rtcp.SR) && plen >= 8) {
                onReportBlocks(buf, i, plen, pt == Rtcp.SR ? 28 : 8);
            } else if (pt == Rtcp.PSFB && plen >= 12) {
                int ssrc = fmt == Rtcp.FMT_FIR ? Rtcp.firSsrc(buf, i, plen) : Rtcp.mediaSsrc(buf, i);
                if (fmt == Rtcp.FMT_PLI || fmt == Rtcp.FMT_FIR) {
                    Subscription s = consumerBySsrc(ssrc);
                    if (s != null) {
                        requestKeyFrame(s);
                    }
                }
            } else if (pt == Rtcp.RTPFB && fmt == Rtcp.FMT_TCC) {
                PeerTransport st = transport();
                if (st != null && st.onTransportCcFeedback(buf, i, plen)) {
                    metrics.transportCcFeedback.incrementAndGet();
                } else {
                    metrics.transportCcFeedbackDropped.incrementAndGet();
                }
            } else if (pt == Rtcp.RTPFB && fmt == Rtcp.FMT_NACK && plen >= 16) {
                Subscription s = consumerBySsrc(Rtcp.mediaSsrc(buf, i));
                if (s != null) {
                    int n = Rtcp.nackEntries(plen);
                    for (int k = 0; k < n; k++) {
                        int pid = Rtcp.nackPid(buf, i, k);
                        int blp = Rtcp.nackBlp(buf, i, k);
                        resend(s, pid);
                        for (int b = 0; b < 16; b++) {
                            if ((blp & (1 << b)) != 0) {
                                resend(s, (pid + b + 1) & 0xFFFF);
                            }
                        }
                    }
                }
            }
            i += plen;
        }
    }

    /** What the subscriber reports about each stream we send it (loss, jitter, RTT). */
    private void onReportBlocks(byte[] buf, int at, int plen, int firstBlock) {
        int count = Rtcp.fmt(buf, at);
        long now = System.nanoTime();
        for (int k = 0; k < count; k++) {
            int b = at + firstBlock + 24 * k;
            if (b + 24 > at + plen) {
                return;
            }
            Subscription s = consumerBySsrc(RtpPacket.i32(buf, b));
            if (s == null) {
                continue;
            }
            long rtt = s.onReportBlock(buf, b, now);
            if (rtt >= 0) {
                resendLimiter.onRtt(rtt);
            }
        }
    }

    /** Answers a subscriber's NACK of {@code seqOut} (its numbering) from the source's cache. */
    private void resend(Subscription s, int seqOut) {
        metrics.nacksReceived.incrementAndGet();
        PublishedTrack t = s.track;
        int source = s.resendSource(seqOut);
        PeerTransport st = transport();
        if (!t.video || st == null || source < 0) {
            return;
        }
        int layer = Subscription.layerOf(source);
        int seq = Subscription.sequenceOf(source);
        byte[] orig = RESEND_SCRATCH.get();
        int len = t.layers[layer].cachedPacket(seq, orig);
        if (len < 0) {
            // not here (lost upstream, or aged out): no resend, so it costs none of the limits
            metrics.retransmissionsMissing.incrementAndGet();
            if (t.upstream != null && resendLimiter.tryResend(s.ssrc, seqOut, System.nanoTime(), forwardedTotal())
                    == ResendLimiter.ALLOW) {
                t.upstream.requestRetransmission(t, t.layers[layer].ssrc, seq); // relayed: ask the origin node (same limits)
            }
            return;
        }
        switch (resendLimiter.tryResend(s.ssrc, seqOut, System.nanoTime(), forwardedTotal())) {
            case ResendLimiter.ALLOW -> { }
            case ResendLimiter.TOO_SOON -> {
                metrics.resendsSuppressedRtt.incrementAndGet();
                return;
            }
            case ResendLimiter.TOO_MANY -> {
                metrics.resendsSuppressedCount.incrementAndGet();
                return;
            }
            default -> {
                metrics.resendsSuppressedBudget.incrementAndGet();
                return;
            }
        }
        s.translateResent(orig, 0, len, seqOut);
        boolean sent;
        if (s.rtxSsrc == 0 || t.canonicalRtxPt < 0) {
            sent = st.sendRtp(orig, 0, len);
        } else {
            byte[] out = RTX_SCRATCH.get();
            sent = st.sendRtp(out, 0, s.toRtx(orig, len, seqOut, out));
        }
        if (sent) {
            metrics.retransmissions.incrementAndGet();
            s.onResent();
        }
    }

    /** Packets forwarded to this subscriber so far (the resend budget's base). */
    private long forwardedTotal() {
        long n = 0;
        for (Subscription s : consumers) {
            n += s.packetsSent();
        }
        return n;
    }

    // ---------------------------------------------------------------- key frames and layers

    /**
     * A consumer needs a key frame: of the layer it receives, or awaits; before either is known
     * (a new subscriber of a simulcast track), of every layer, since the first key frame of any
     * starts the stream.
     */
    void requestKeyFrame(Subscription s) {
        PublishedTrack t = s.track;
        int layer = s.keyFrameLayer();
        if (layer != LayerSelector.ANY) {
            requestKeyFrame(t, t.layers[layer]);
            return;
        }
        for (ReceiveStream l : t.layers) {
            requestKeyFrame(t, l);
        }
    }

    /** A key frame of one stream of t: from its publisher here, or through the relay from the origin node. */
    private void requestKeyFrame(PublishedTrack t, ReceiveStream stream) {
        if (t.upstream == null) {
            t.owner.publisher().requestKeyFrame(stream);
            return;
        }
        if (keyFrameLimit.allows(stream, System.nanoTime())) {
            t.upstream.requestKeyFrame(t, stream.ssrc);
            metrics.plisSent.incrementAndGet();
        }
    }

    /** Under the room monitor, once the transport is up and after each answer: new consumers start with a key frame. */
    void requestKeyFramesForNewConsumers() {
        for (Subscription s : consumers) {
            if (s.track.video && !s.keyFrameRequested) {
                s.keyFrameRequested = true;
                s.updateTargetLayer(System.nanoTime());
                requestKeyFrame(s);
            }
        }
    }

    /** The send-side bandwidth estimate towards this subscriber, or null without transport-cc. */
    SendSideEstimator bandwidthEstimator() {
        PeerTransport st = transport();
        return st == null ? null : st.bandwidthEstimator();
    }

    /**
     * Timer: each simulcast consumer (of local and relayed tracks alike) re-chooses its layer; one
     * waiting to switch asks for the key frame. They share the downlink's estimate once its
     * feedback has come ({@link LayerAllocator}); before that, the size asked for decides.
     */
    private void updateLayers() {
        long now = System.nanoTime();
        Subscription[] subs = consumers;
        SendSideEstimator estimator = bandwidthEstimator();
        if (estimator != null && estimator.feedbacks() > 0) {
            int[] wait = LayerAllocator.allocate(subs, estimator.estimateBps(), estimator.cutQueueStands(now), now);
            for (int i = 0; i < subs.length; i++) {
                if (wait[i] != LayerSelector.ANY) {
                    requestKeyFrame(subs[i].track, subs[i].track.layers[wait[i]]);
                }
            }
            prober.probeIfWanted(transport(), estimator, subs, now);
        } else {
            for (Subscription s : subs) {
                int wait = s.updateTargetLayer(now);
                if (wait != LayerSelector.ANY) {
                    requestKeyFrame(s.track, s.track.layers[wait]);
                }
            }
        }
    }

    /** Timer, every 100 ms: the resend budget's window and the layer choice; every second the consent check. */
    void onTimer(long nowMillis, boolean fullSecond) {
        PeerTransport st = transport();
        if (st != null) {
            resendLimiter.tick(System.nanoTime(), forwardedTotal());
            SendSideEstimator estimator = st.bandwidthEstimator();
            if (estimator != null) {
                resendLimiter.onStandingQueue(estimator.standingQueueMicros() * 1000);
            }
        }
        updateLayers();
        if (fullSecond && st != null) {
            st.onSecond(nowMillis);
        }
    }

    /** What this participant receives, a row per consumer. */
    List<Map<String, Object>> streamStats(String sessionId) {
        List<Map<String, Object>> out = new ArrayList<>();
        SendSideEstimator estimator = bandwidthEstimator();
        for (Subscription s : consumers) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("direction", "subscribe");
            m.put("sessionId", sessionId);
            m.putAll(s.stats());
            if (estimator != null) {
                // the subscriber's whole downlink (shared by its streams), as the SFU estimates it
                m.put("estimateBps", estimator.estimateBps());
                m.put("estimateAckedBps", estimator.ackedBps());
                m.put("estimateLossFraction", estimator.lossFraction());
                m.put("estimateSignal", estimator.signal());
                m.put("estimateDelayBasedBps", estimator.delayBasedBps());
                m.put("estimateLossBasedBps", estimator.lossBasedBps());
                m.put("estimateOveruses", estimator.overuses());
                m.put("estimateProbes", estimator.probes());
                m.put("estimateStandingQueueMs", estimator.standingQueueMicros() / 1000);
                m.put("estimateLastProbeBps", estimator.lastProbeBps());
            }
            out.add(m);
        }
        return out;
    }

    /** Under the room monitor, when the participant ends: its consumers leave their tracks' fan-out. */
    void detachConsumers() {
        for (Subscription s : consumers) {
            s.track.removeConsumer(s);
        }
        consumers = new Subscription[0];
    }
}
