package dev.visage.sfu.room;

import dev.visage.sfu.codec.Vp8Descriptor;
import dev.visage.sfu.codec.Vp8PictureIdRewriter;
import dev.visage.sfu.rtp.RtpPacket;

import java.security.SecureRandom;

/**
 * One stream a subscriber receives (the Consumer, in mediasoup terms): its m-section, the SSRCs
 * the subscriber knows it by, which layer of a simulcast track it forwards, the RTP rewrite that
 * keeps it continuous when its source changes, and what the subscriber reports about it.
 *
 * <p>The subscriber's SDP names the stream by {@link #ssrc} and {@link #rtxSsrc} for its whole life.
 * Its source changes when the publisher reconnects (a new session of the same user publishing the
 * same kind: the subscription is {@link #rebind rebound} to the new track instead of being
 * replaced) and, for a simulcast track, when it switches layers. Either way the next source's
 * first packet fixes a sequence and timestamp offset so the subscriber sees the next sequence
 * number and a timestamp advanced by the wall-clock time of the gap; VP8 picture ids and
 * TL0PICIDX are shifted the same way. The browser keeps its receiver, decoder and tile; no
 * renegotiation, no sequence jump counted as loss.
 *
 * <p>Simulcast: the consumer forwards exactly one layer, the {@link LayerSelector}'s choice for the
 * size its subscriber asked for ({@link #requestSize}), and switches only at a key frame of the
 * target layer (the endpoint asks the publisher for one), so the decoder never gets a frame that
 * refers to a frame of another layer.
 */
final class Subscription {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** No size asked for: as large as there is. */
    static final int ANY_SIZE = Integer.MAX_VALUE;
    /** A key frame asked for a switch and not come yet is asked for again after this long. */
    static final long KEY_FRAME_RETRY_NANOS = 1_000_000_000L;

    final String mid;
    /** The subscriber's side that sends this stream (null in unit tests of the consumer alone). */
    final SubscribeTransport subscriber;
    /** The SSRCs in the subscriber's SDP: the first source's (zero offsets while it lasts). */
    final int ssrc;
    final int rtxSsrc;
    private final int clockRate;

    /** The source now: set under the room monitor, read per packet by the forwarding threads. */
    volatile PublishedTrack track;
    volatile boolean keyFrameRequested;
    /** When the source's connection was lost (ms), 0 while it is live: see SfuEndpoint#close. */
    volatile long orphanedAtMillis;

    // Layer choice (simulcast): the size asked for (signalling thread), the layer to switch to
    // (timer), the layer forwarded now (forwarding thread), LayerSelector.ANY before the first.
    private volatile int wantWidth = ANY_SIZE;
    private volatile int wantHeight = ANY_SIZE;
    private volatile int targetLayer = LayerSelector.ANY;
    private volatile int currentLayer;
    /** Sequence number of the key frame that started the current layer: older packets of it are not sent. */
    private volatile int switchSeq;
    /**
     * The switch is recent (fewer than {@link #SWITCH_HORIZON} packets ago), so a sequence number
     * "before" switchSeq is an older packet. Later it is not: 32,768 packets on (seven minutes of
     * a 640-wide layer) the numbers wrap into that half again, and every packet was refused.
     */
    private volatile boolean switchRecent;
    private static final int SWITCH_HORIZON = 0x1000;
    /**
     * The layer forwarded now no longer fits the downlink at all (timer sets, see
     * {@link #pauseUntilSwitch}): it stops at its next frame instead of at the target's key frame.
     */
    private volatile boolean pauseRequested;
    /**
     * Temporal thinning (a VP8 layer sent with fewer frames when even the lowest layers do not fit
     * the subscriber's downlink): the highest temporal layer to send (timer), and the one in force
     * for the frame being forwarded, fixed at each frame's first packet (forwarding thread).
     */
    private volatile int maxTemporalLayer = ALL_TEMPORAL_LAYERS;
    private int frameMaxTemporalLayer = ALL_TEMPORAL_LAYERS;
    /**
     * Thinning's bookkeeping (forwarding thread): the newest source number seen of the layer
     * forwarded, and the last one thinned out (-1: none since the switch). A packet behind the
     * newest (reordered, or recovered upstream by a NACK) would be numbered with the shift of now:
     * right only if nothing was thinned after its place.
     */
    private int newestSourceSeq = -1;
    private int lastThinnedSeq = -1;
    static final int ALL_TEMPORAL_LAYERS = 15;
    /**
     * What each recent sequence number out carried (forwarding thread writes, the NACK path reads):
     * {@code source generation << 56 | layer << 48 | picture-id shift << 32 | source sequence << 16
     * | sequence out}. Thinning shifts numbers and picture ids as it goes, so a resent packet is
     * found and rewritten from here, as it was first sent.
     */
    private final long[] sentRing = new long[SENT_RING];
    private static final int SENT_RING = 1024;
    /** Counts the sources this consumer has had (1..255, under the room monitor): a record of another is void. */
    private volatile int sourceGeneration = 1;
    // the key frame asked for a switch (timer thread only)
    private int askedLayer = LayerSelector.ANY;
    private long askedAtNanos;
    // the bandwidth share (timer thread only, see LayerAllocator): the rung it allows, since when a
    // higher one would fit, when it last rose, how long a higher one must fit before it rises
    /** The rung the estimate allows ({@link LayerAllocator.Rung#key()}), -1 before the first. */
    int bandwidthRung = -1;
    long upSinceNanos;
    long risenAtNanos;
    long upHoldNanos = LayerAllocator.UP_HOLD_NANOS;

    // Rewrite towards the subscriber, written by the forwarding thread. While rebasePending, the
    // next forwarded packet fixes the offsets from the last one sent (lastSeqOut, lastTsOut at
    // lastSentNanos).
    private volatile boolean rebasePending;
    private volatile boolean rewriting;
    private volatile int seqDelta;
    private volatile int tsDelta;
    private int lastSeqOut;
    private int lastTsOut;
    private long lastSentNanos;
    private boolean sentAny;
    /**
     * Non-null for VP8 video: picture ids continue across simulcast layers, and across sources
     * when a stream is continued (a relayed single layer followed by a local simulcast track, as
     * after a failover, or the other way round).
     */
    private final Vp8PictureIdRewriter pictureIds;

    // statistics: sent by the publisher's receive thread; reported by the subscriber's RRs
    private volatile long packetsSent;
    private volatile long bytesSent;
    private volatile int fractionLost;
    private volatile int cumulativeLost;
    private volatile long jitter;
    private volatile long resent;
    private volatile long rttNanos = -1;
    volatile long layerSwitches;
    /** Layers stopped before their switch's key frame came ({@link #pauseUntilSwitch}). */
    volatile long switchPauses;
    /** Frames not sent because their temporal layer was thinned out. */
    volatile long framesThinned;
    private int rtxSeq = RANDOM.nextInt(0x10000);
    // the last two SRs forwarded to this subscriber: NTP middle 32 bits and when they left
    private final int[] srNtp = new int[2];
    private final long[] srSentAt = new long[2];
    private int srNext;

    Subscription(PublishedTrack track, String mid, SubscribeTransport subscriber) {
        this.track = track;
        this.mid = mid;
        this.subscriber = subscriber;
        this.ssrc = track.ssrc;
        this.rtxSsrc = track.info.rtxSsrc();
        this.clockRate = Math.max(1, track.info.clockRate());
        this.pictureIds = track.video && "VP8".equals(track.info.codec()) ? new Vp8PictureIdRewriter() : null;
        if (!track.info.rids().isEmpty()) {
            // the SSRC is ours, not the publisher's: rewrite from the first packet on
            lastSeqOut = RANDOM.nextInt(0x10000);
            lastTsOut = RANDOM.nextInt();
            rebasePending = true;
        }
        currentLayer = track.simulcast ? LayerSelector.ANY : 0;
    }

    /**
     * True if {@code next} can continue this stream: same kind, source (a camera never continues a
     * screen), codec (the subscriber's m-section keeps its payload type and format parameters) and
     * layering, unless picture ids are rewritten (VP8: a relayed single layer and a simulcast
     * track continue each other).
     */
    boolean canContinueWith(PublishedTrack next) {
        PublishedTrack cur = track;
        return next != cur && next.video == cur.video && next.info.source().equals(cur.info.source())
                && next.canonicalPt == cur.canonicalPt
                && formatOf(next).equals(formatOf(cur))
                && next.info.clockRate() == cur.info.clockRate()
                && (next.simulcast == cur.simulcast || pictureIds != null);
    }

    /** Format parameters; none and empty are the same (a relayed track carries "" for none). */
    private static String formatOf(PublishedTrack t) {
        String f = t.info.fmtp();
        return f == null ? "" : f.trim();
    }

    /** Under the room monitor, while the current source is silent: continue the stream with {@code next}. */
    void rebind(PublishedTrack next) {
        sourceGeneration = sourceGeneration % 255 + 1;
        keyFrameRequested = false;
        orphanedAtMillis = 0;
        targetLayer = LayerSelector.ANY;
        currentLayer = next.simulcast ? LayerSelector.ANY : 0;
        rebasePending = true;
        track = next;
    }

    /** Signalling thread: the size the subscriber shows this stream at (0 x 0: hidden). */
    void requestSize(int width, int height) {
        wantWidth = width;
        wantHeight = height;
    }

    /**
     * Timer: recomputes the layer this consumer should forward from the size asked for alone (the
     * relay's consumer, and a subscriber without a bandwidth estimate; otherwise the
     * {@link LayerAllocator} chooses). Returns the layer whose key frame the endpoint should ask
     * the publisher for now (a new target, or one whose key frame has not come for
     * {@link #KEY_FRAME_RETRY_NANOS}), or {@link LayerSelector#ANY} if none.
     */
    int updateTargetLayer(long nowNanos) {
        return track.simulcast ? retarget(sizeLayer(nowNanos), nowNanos) : LayerSelector.ANY;
    }

    /** The layer the size asked for calls for (see {@link LayerSelector}). */
    int sizeLayer(long nowNanos) {
        return LayerSelector.choose(track.layers, wantWidth, wantHeight, nowNanos);
    }

    /**
     * Timer: makes {@code target} the layer to switch to; returns the layer whose key frame the
     * endpoint should ask for now, as {@link #updateTargetLayer} does.
     */
    int retarget(int target, long nowNanos) {
        targetLayer = target;
        if (target == LayerSelector.ANY || target == currentLayer) {
            pauseRequested = false;
            askedLayer = LayerSelector.ANY;
            return LayerSelector.ANY;
        }
        if (target == askedLayer && nowNanos - askedAtNanos < KEY_FRAME_RETRY_NANOS) {
            return LayerSelector.ANY;
        }
        askedLayer = target;
        askedAtNanos = nowNanos;
        return target;
    }

    /**
     * Timer, with a switch down pending: the layer forwarded now costs more than the whole
     * downlink carries (a cap, not a sag), so every packet of it until the target's key frame comes
     * would only fill the bottleneck's queue, and the key frame and the other streams would be lost
     * behind it. The layer stops at its next frame (the subscriber's picture holds still until the
     * key frame; the numbering then continues with no gap).
     */
    void pauseUntilSwitch() {
        if (currentLayer != LayerSelector.ANY && targetLayer != currentLayer) {
            pauseRequested = true;
        }
    }

    /**
     * The layers of its simulcast track this consumer may need (bit k: layer k), for the relay to
     * carry no more than that from the origin: every layer up to the one its size asks for
     * (whatever its downlink allows now: the allocator climbs through them), by the size of each
     * layer's last key frame, whether the layer flows here now or not; the layer it forwards and
     * the one it waits for; every layer while one's size is not known yet.
     */
    int layerDemand() {
        ReceiveStream[] layers = track.layers;
        int all = (1 << layers.length) - 1;
        if (!track.simulcast) {
            return all;
        }
        long capArea = -1;
        long largestArea = -1;
        for (ReceiveStream l : layers) {
            int size = l.keyFrameSize;
            if (size == 0) {
                return all;
            }
            int w = size >>> 16;
            int h = size & 0xFFFF;
            long area = (long) w * h;
            largestArea = Math.max(largestArea, area);
            if (w >= wantWidth && h >= wantHeight && (capArea < 0 || area < capArea)) {
                capArea = area;
            }
        }
        if (capArea < 0) {
            capArea = largestArea;
        }
        int demand = 0;
        for (ReceiveStream l : layers) {
            int size = l.keyFrameSize;
            if ((long) (size >>> 16) * (size & 0xFFFF) <= capArea) {
                demand |= 1 << l.layer;
            }
        }
        int cur = currentLayer;
        int target = targetLayer;
        if (cur != LayerSelector.ANY) {
            demand |= 1 << cur;
        }
        if (target != LayerSelector.ANY) {
            demand |= 1 << target;
        }
        return demand;
    }

    /** The layer forwarded now ({@link LayerSelector#ANY} before the first key frame). */
    int currentLayer() {
        return currentLayer;
    }

    /** The layer a subscriber's key-frame request is for: the one forwarded, else the one awaited. */
    int keyFrameLayer() {
        int cur = currentLayer;
        return cur != LayerSelector.ANY ? cur : targetLayer;
    }

    /**
     * Forwarding thread, before copying a packet of {@code layer}: whether it goes to this
     * subscriber. A key frame of the target layer switches to it (and the next rewrite rebases);
     * before any target is known, the first key frame of any layer starts the stream.
     */
    boolean accepts(int layer, int seq, boolean keyFrameStart) {
        return accepts(layer, seq, keyFrameStart, Vp8Descriptor.NONE, false);
    }

    /**
     * {@link #accepts(int, int, boolean)} for a VP8 packet of temporal layer {@code temporalLayer}
     * ({@link Vp8Descriptor#NONE} if unknown): a packet of a thinned-out temporal layer is not sent,
     * and the numbers and picture ids after it close up (simulcast consumers only: their numbering
     * is always rewritten).
     */
    boolean accepts(int layer, int seq, boolean keyFrameStart, int temporalLayer, boolean frameStart) {
        int cur = currentLayer;
        if (layer == cur) {
            if ((cur != 0 || track.simulcast) && olderThanSwitch(seq)) {
                return false;
            }
            if (track.simulcast && rewriting && newestSourceSeq >= 0 && ((seq - newestSourceSeq) & 0x8000) != 0) {
                return lateFits(seq, temporalLayer);
            }
            newestSourceSeq = seq;
            if (frameStart && pauseRequested) {
                // as before the first key frame: the target's key frame starts the stream again
                pauseRequested = false;
                currentLayer = LayerSelector.ANY;
                rebasePending = true;
                switchPauses++;
                return false;
            }
            if (frameStart) {
                frameMaxTemporalLayer = maxTemporalLayer;
            }
            if (temporalLayer > frameMaxTemporalLayer && track.simulcast && rewriting && !rebasePending) {
                seqDelta = (seqDelta - 1) & 0xFFFF;
                lastThinnedSeq = seq;
                if (frameStart && pictureIds != null) {
                    pictureIds.skipFrame();
                    framesThinned++;
                }
                return false;
            }
            return true;
        }
        int target = targetLayer;
        boolean wanted = target == LayerSelector.ANY ? cur == LayerSelector.ANY : layer == target;
        if (!keyFrameStart || !wanted) {
            return false;
        }
        currentLayer = layer;
        switchSeq = seq;
        switchRecent = true;
        rebasePending = true;
        newestSourceSeq = seq;
        lastThinnedSeq = -1;
        layerSwitches++;
        return true;
    }

    /**
     * A late packet of the layer forwarded: sent only if it is not of a thinned-out temporal layer
     * and nothing was thinned after its place (else its number, shifted as of now, would take
     * another packet's). One not sent leaves a gap the subscriber reports as a loss, which is
     * better than a duplicate number hiding a packet; it changes no shift.
     */
    private boolean lateFits(int seq, int temporalLayer) {
        if (temporalLayer > maxTemporalLayer) {
            return false;
        }
        return lastThinnedSeq < 0 || ((seq - lastThinnedSeq) & 0x8000) == 0 && seq != lastThinnedSeq;
    }

    /** Forwarding thread: a packet of the current layer older than the key frame that started it. */
    private boolean olderThanSwitch(int seq) {
        if (!switchRecent) {
            return false;
        }
        int ahead = (seq - switchSeq) & 0xFFFF;
        if ((ahead & 0x8000) != 0) {
            return true;
        }
        if (ahead >= SWITCH_HORIZON) {
            switchRecent = false;
        }
        return false;
    }

    /**
     * Forwarding thread, on the subscriber's copy of a packet it {@link #accepts}: rewrites SSRC,
     * sequence number, timestamp and VP8 picture ids into the subscriber's numbering. No allocation.
     */
    void rewriteRtp(byte[] p, int off, int len, long arrivalNanos) {
        int sourceSeq = RtpPacket.sequence(p, off);
        if (rebasePending) {
            rebase(RtpPacket.sequence(p, off), (int) RtpPacket.timestamp(p, off), arrivalNanos);
            if (pictureIds != null) {
                pictureIds.switchSource(); // a new layer or source: its picture ids follow the last ones sent
            }
        }
        translate(p, off);
        if (pictureIds != null) {
            int hl = RtpPacket.headerLength(p, off, len);
            if (hl > 0) {
                pictureIds.rewrite(p, off + hl, RtpPacket.payloadLength(p, off, len));
            }
        }
        int seqOut = RtpPacket.sequence(p, off);
        int pidShift = pictureIds != null ? Math.floorMod(pictureIds.pictureIdDelta(), 0x8000) : 0;
        sentRing[seqOut & (SENT_RING - 1)] = (long) sourceGeneration << 56 | (long) (currentLayer & 0xFF) << 48
                | (long) pidShift << 32 | (long) sourceSeq << 16 | seqOut;
        if (!sentAny || (((seqOut - lastSeqOut) & 0xFFFF) < 0x8000)) {
            lastSeqOut = seqOut;
            lastTsOut = RtpPacket.i32(p, off + 4);
            lastSentNanos = arrivalNanos;
            sentAny = true;
        }
    }

    /** A packet of the current source (e.g. from the NACK cache) in the subscriber's numbering. */
    void translate(byte[] p, int off) {
        if (rewriting) {
            RtpPacket.setSsrc(p, off, ssrc);
            RtpPacket.setSequence(p, off, (RtpPacket.sequence(p, off) + seqDelta) & 0xFFFF);
            RtpPacket.w32(p, off + 4, (int) RtpPacket.timestamp(p, off) + tsDelta);
        }
    }

    /**
     * A cached packet of the current layer (from {@link #resendSource}) resent as it was first
     * sent: numbering and, for VP8, picture ids (without moving where the stream is).
     */
    void translateResent(byte[] p, int off, int len, int seqOut) {
        translate(p, off);
        long sent = sentEntry(seqOut);
        int pidShift = pictureIds == null ? 0 : pictureIds.pictureIdDelta();
        if (sent != 0) {
            RtpPacket.setSequence(p, off, seqOut);
            pidShift = (int) (sent >>> 32) & 0x7FFF;
        }
        if (pictureIds != null) {
            int hl = RtpPacket.headerLength(p, off, len);
            if (hl > 0) {
                pictureIds.apply(p, off + hl, RtpPacket.payloadLength(p, off, len), pidShift);
            }
        }
    }

    /** The record of what was sent under {@code seqOut} from the current source, or 0 if it is not (or no longer) known. */
    private long sentEntry(int seqOut) {
        long e = sentRing[seqOut & (SENT_RING - 1)];
        return e != 0 && (int) (e & 0xFFFF) == seqOut && (int) (e >>> 56) == sourceGeneration ? e : 0;
    }

    /** The newest sequence number sent (in the subscriber's numbering). */
    int newestSeqOut() {
        return lastSeqOut;
    }

    /** Timer: the highest temporal layer to send ({@link #ALL_TEMPORAL_LAYERS} for all). */
    void limitTemporalLayer(int highest) {
        maxTemporalLayer = highest;
    }

    int maxTemporalLayer() {
        return maxTemporalLayer;
    }

    /** The first packet of a new source: continue from the last one sent. */
    private void rebase(int seq, int ts, long arrivalNanos) {
        long gapTicks = 1;
        if (sentAny) {
            long gapNanos = Math.max(0, arrivalNanos - lastSentNanos);
            gapTicks = Math.max(1, gapNanos / 1000 * clockRate / 1_000_000);
        }
        seqDelta = (lastSeqOut + 1 - seq) & 0xFFFF;
        tsDelta = (int) (lastTsOut + gapTicks - ts);
        rewriting = true;
        rebasePending = false;
    }

    /** False until the new source's first packet has fixed the offsets (nothing to translate). */
    boolean ready() {
        return !rebasePending;
    }

    /**
     * Where the packet the subscriber knows by {@code seqOut} is cached, {@code layer << 16 |
     * source sequence} ({@link #layerOf}, {@link #sequenceOf}), or -1 if there is nothing to
     * resend. Only what the layer forwarded now sent since its key frame is resent: after a switch
     * (or while paused for one) the earlier frames are abandoned, and their packets that a
     * congested downlink dropped would, resent, hold back the key frame that ends the switch.
     * Measured: resending them made a capped page's switch down take 3.3-4.4 s instead of
     * 1.2-1.4 s, its freezes 1.3-2.5 s. A number never sent is a gap the current layer left (a
     * packet lost on its way in, perhaps recovered since).
     */
    int resendSource(int seqOut) {
        int layer = currentLayer;
        long sent = sentEntry(seqOut);
        if (sent != 0 && (int) (sent >>> 48 & 0xFF) != (layer & 0xFF) || layer == LayerSelector.ANY || rebasePending) {
            return -1;
        }
        int seq = sent != 0 ? (int) (sent >>> 16) & 0xFFFF : (seqOut - seqDelta) & 0xFFFF;
        return track.simulcast && switchRecent && ((seq - switchSeq) & 0x8000) != 0 ? -1 : layer << 16 | seq;
    }

    static int layerOf(int source) {
        return source >>> 16;
    }

    static int sequenceOf(int source) {
        return source & 0xFFFF;
    }

    /** An SR of the source, copied for this subscriber (no report blocks): its SSRC and RTP time. */
    void rewriteSenderReport(byte[] p, int off) {
        if (rewriting) {
            RtpPacket.w32(p, off + 4, ssrc);
            RtpPacket.w32(p, off + 16, RtpPacket.i32(p, off + 16) + tsDelta);
        }
    }

    /** Send step: a packet of {@code len} bytes went to the subscriber (the forwarding thread). */
    void onSent(int len) {
        packetsSent++;
        bytesSent += len;
    }

    /** Packets sent to the subscriber so far (the resend budget's base). */
    long packetsSent() {
        return packetsSent;
    }

    /** A NACKed packet went to the subscriber again. */
    void onResent() {
        resent++;
    }

    /**
     * The subscriber's report block about this stream, at {@code buf[b..b+24)}: its loss and
     * jitter, and the RTT from its LSR/DLSR against the SRs we forwarded (returned; -1 if it
     * names none).
     */
    long onReportBlock(byte[] buf, int b, long now) {
        fractionLost = buf[b + 4] & 0xFF;
        cumulativeLost = ((buf[b + 5] & 0xFF) << 16) | ((buf[b + 6] & 0xFF) << 8) | (buf[b + 7] & 0xFF);
        jitter = RtpPacket.u32(buf, b + 12);
        // RTT = arrival - when we forwarded the SR it names (LSR) - its hold time (DLSR)
        long rtt = rttFrom(RtpPacket.i32(buf, b + 16), RtpPacket.u32(buf, b + 20), now);
        if (rtt >= 0) {
            rttNanos = rtt;
        }
        return rtt;
    }

    /** Its row of the room's stream statistics: what was sent, what the subscriber reports, the layer. */
    java.util.Map<String, Object> stats() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        PublishedTrack t = track;
        m.put("fromSessionId", t.publisher.sessionId());
        m.put("relayed", t.upstream != null);
        m.put("kind", t.info.kind());
        m.put("codec", t.info.codec());
        m.put("ssrc", ssrc & 0xFFFFFFFFL);
        m.put("packets", packetsSent);
        m.put("bytes", bytesSent);
        m.put("fractionLost", fractionLost / 256.0);
        m.put("packetsLost", cumulativeLost);
        m.put("jitterMs", jitter * 1000.0 / clockRate);
        m.put("rttMs", rttNanos < 0 ? -1.0 : rttNanos / 1e6);
        m.put("retransmissions", resent);
        if (t.simulcast) {
            m.put("layer", currentLayer());
            m.put("targetLayer", targetLayer);
            // the allocator's view (timer thread; a stale read is fine for a row of statistics)
            m.put("bandwidthRung", bandwidthRung);
            m.put("upHoldMs", upHoldNanos / 1_000_000);
            m.put("layerSwitches", layerSwitches);
            m.put("switchPauses", switchPauses);
            if (maxTemporalLayer() != ALL_TEMPORAL_LAYERS) {
                m.put("maxTemporalLayer", maxTemporalLayer()); // thinned: frames above it are not sent
            }
            m.put("framesThinned", framesThinned);
        }
        return m;
    }

    synchronized void onSrForwarded(int ntpMiddle, long now) {
        srNtp[srNext] = ntpMiddle;
        srSentAt[srNext] = now;
        srNext ^= 1;
    }

    /** RTT from a report block's LSR/DLSR (DLSR in 1/65536 s), or -1 if it names no SR we sent. */
    private synchronized long rttFrom(int lsr, long dlsr, long now) {
        if (lsr == 0) {
            return -1;
        }
        for (int k = 0; k < 2; k++) {
            if (srSentAt[k] != 0 && srNtp[k] == lsr) {
                long rtt = now - srSentAt[k] - dlsr * 1_000_000_000L / 65536;
                return Math.max(0, rtt);
            }
        }
        return -1;
    }

    /**
     * RFC 4588: the packet the subscriber knows by {@code seqOut} (in orig, already in its
     * numbering, see {@link #translateResent}) as an RTX packet in out: RTX header, original
     * sequence number, original payload without padding. Returns its length.
     */
    int toRtx(byte[] orig, int len, int seqOut, byte[] out) {
        int hl = RtpPacket.headerLength(orig, 0, len);
        int payload = RtpPacket.payloadLength(orig, 0, len);
        System.arraycopy(orig, 0, out, 0, hl);
        out[0] &= (byte) ~0x20;
        RtpPacket.setPayloadType(out, 0, track.canonicalRtxPt);
        RtpPacket.setSsrc(out, 0, rtxSsrc);
        RtpPacket.setSequence(out, 0, nextRtxSeq());
        RtpPacket.w16(out, hl, seqOut);
        System.arraycopy(orig, hl, out, hl + 2, payload);
        return hl + 2 + payload;
    }

    synchronized int nextRtxSeq() {
        rtxSeq = (rtxSeq + 1) & 0xFFFF;
        return rtxSeq;
    }
}
