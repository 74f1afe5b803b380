package dev.visage.sfu.room;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.codec.H264Payload;
import dev.visage.sfu.codec.RbspBitReader;
import dev.visage.sfu.codec.Vp8Descriptor;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtp.NackGenerator;
import dev.visage.sfu.rtp.PacketCache;
import dev.visage.sfu.rtp.RtpPacket;

import java.nio.charset.StandardCharsets;

/**
 * One RTP stream a track receives (mediasoup's RtpStreamRecv): the track's only stream, or one
 * simulcast layer. Its SSRCs (known from the SDP, or learned from the first packet carrying its
 * rid), the NACK packet cache, gap tracking, receive statistics for our receiver reports, its
 * last sender report, the key-frame request rate limit and, for VP8 and H.264, the size of its
 * last key frame (which is how a consumer knows a layer's size).
 */
final class ReceiveStream {
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    /** {@link #inspect} facts: the first packet of a VP8 or H.264 key frame (of a simulcast track). */
    static final int KEY_FRAME_START = 1 << 8;
    /** {@link #inspect} facts: the first packet of a VP8 or H.264 frame. */
    static final int FRAME_START = 1 << 9;

    /** How {@link #inspect} reads the payload: by the track's codec. */
    private enum PayloadFormat { VP8, H264, OPAQUE }

    final PublishedTrack track;
    private final PayloadFormat format;
    /** Reads an H.264 key frame's SPS (receive thread; null for other codecs). */
    private final RbspBitReader spsReader;
    /** Index in the track's layers (0 for a track without simulcast). */
    final int layer;
    /** Its rid, or null when the SDP names its SSRCs. */
    final String rid;
    private final byte[] ridBytes;
    volatile int ssrc;
    volatile int rtxSsrc;
    /** The SSRC it crosses relay legs under (see {@link PublishedTrack#relaySsrc}). */
    final int relaySsrc;

    /**
     * Where the NACKs of gaps in this stream go (the publisher's transport): {@code len} bytes of
     * {@code nack}, a buffer the stream reuses.
     */
    interface NackSink {
        void sendNack(byte[] nack, int len);
    }

    /** How long a NACKed packet waits before it is NACKed again. */
    private static final long NACK_RETRY_NANOS = 100_000_000L;

    final PacketCache cache;
    /** Gap tracking and NACKs towards the publisher (video only); guarded by itself. */
    private final NackGenerator nacks;
    /** nacks.gaveUp() already added to the metrics (under nacks' lock). */
    private long nackGaveUpReported;
    private long nackRecoveryNanosReported;
    private final byte[] nackBuffer;

    // for streamStats(): written by the receive thread, read by the stats timer/callers
    volatile long packetsReceived;
    volatile long bytesReceived;
    volatile long bitrateBps;
    private volatile int lastFractionLost;
    private volatile long lastCumulativeLost;
    private long bitrateBytesPrior;
    private long bitrateNanosPrior;
    /**
     * What forwarding this stream costs on a subscriber's downlink (bit/s, once a second): its
     * bytes plus, per packet, what SRTP, UDP, IP and Ethernet add (the estimate counts those too).
     */
    volatile long wireBitrateBps;
    private long packetsPrior;
    /**
     * VP8 temporal layers: bytes received per temporal layer (receive thread; with the per-packet
     * overhead, as {@link #wireBitrateBps}), and the rate of each layer with those below it (bit/s,
     * once a second; index 0 is the base layer alone).
     * All zero for a stream without temporal layers.
     */
    private final long[] temporalBytes = new long[4];
    private final long[] temporalBytesPrior = new long[4];
    final long[] temporalBitrateBps = new long[4];
    /** The highest temporal layer seen in the last second (-1: none, a stream without them). */
    volatile int highestTemporalLayer = -1;
    private int highestTemporalSeen = -1;

    // receive statistics (written by the receive thread only)
    private int baseSeq = -1;
    private int maxSeq;
    private int cycles;
    private long received;
    private volatile long lastPacketNanos;
    private long expectedPrior;
    private long receivedPrior;
    /** Sequence numbers never sent (a relayed layer paused while no far consumer wanted it): not lost. */
    private long skipped;
    private volatile boolean resuming;
    // last SR: middle 32 bits of NTP and arrival time, for LSR/DLSR
    private volatile int lastSrNtpMiddle;
    private volatile long lastSrArrivalNanos;
    private long lastPliNanos;
    /** Width and height of the last key frame ({@code width << 16 | height}), 0 before one. */
    volatile int keyFrameSize;

    ReceiveStream(PublishedTrack track, int layer, String rid, int ssrc, int rtxSsrc, boolean video, int cacheSize) {
        this.track = track;
        this.format = !video ? PayloadFormat.OPAQUE : switch (track.info.codec()) {
            case "VP8" -> PayloadFormat.VP8;
            case "H264" -> PayloadFormat.H264;
            default -> PayloadFormat.OPAQUE;
        };
        this.spsReader = format == PayloadFormat.H264 ? new RbspBitReader() : null;
        this.layer = layer;
        this.rid = rid;
        this.ridBytes = rid == null ? null : rid.getBytes(StandardCharsets.US_ASCII);
        this.ssrc = ssrc;
        this.rtxSsrc = rtxSsrc;
        this.relaySsrc = rid == null ? ssrc : RANDOM.nextInt() | 1;
        this.cache = video ? new PacketCache(cacheSize) : null;
        this.nacks = video ? new NackGenerator() : null;
        this.nackBuffer = video ? new byte[1500] : null;
    }

    /** True if the header extension value at {@code b[at..at+len)} is this stream's rid. */
    boolean hasRid(byte[] b, int at, int len) {
        if (ridBytes == null || len != ridBytes.length) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (b[at + i] != ridBytes[i]) {
                return false;
            }
        }
        return true;
    }

    /** Receive statistics step: a packet of {@code len} bytes with sequence number {@code seq} arrived. */
    void onPacket(int seq, int len, long nowNanos) {
        onReceived(seq, nowNanos);
        packetsReceived++;
        bytesReceived += len;
    }

    /** RFC 3550 A.1-style sequence tracking (simplified: no probation). */
    void onReceived(int seq, long nowNanos) {
        if (baseSeq < 0) {
            baseSeq = seq;
            maxSeq = seq;
        } else {
            int delta = (seq - maxSeq) & 0xFFFF;
            if (delta != 0 && delta < 0x8000) {
                if (seq < maxSeq) {
                    cycles += 0x10000;
                }
                maxSeq = seq;
                if (resuming && delta > 1) {
                    skipped += delta - 1;
                }
            }
        }
        resuming = false;
        received++;
        lastPacketNanos = nowNanos;
    }

    /**
     * Inspect step, on a canonical packet of this stream, local or relayed: notes the size of a
     * simulcast layer's key frame (how consumers know a layer's size; VP8's key-frame header,
     * H.264's SPS) and the bytes of each VP8 temporal layer; returns what the consumers need to
     * know of the packet, packed: {@link #KEY_FRAME_START}, {@link #FRAME_START} and the temporal
     * layer (see {@link #temporalLayer}; H.264 as Chromium sends it has none). No allocation.
     */
    int inspect(byte[] buf, int off, int len) {
        if (format == PayloadFormat.OPAQUE) {
            return 0;
        }
        int hl = RtpPacket.headerLength(buf, off, len);
        int payload = RtpPacket.payloadLength(buf, off, len);
        if (hl <= 0 || payload <= 0) {
            return 0;
        }
        return format == PayloadFormat.VP8 ? inspectVp8(buf, off + hl, payload, len) : inspectH264(buf, off + hl, payload);
    }

    private int inspectVp8(byte[] buf, int at, int payload, int len) {
        int facts = 0;
        if (track.simulcast && Vp8Descriptor.isKeyFrameStart(buf, at, payload)) {
            facts |= KEY_FRAME_START;
            noteKeyFrameSize(Vp8Descriptor.keyFrameSize(buf, at, payload));
        }
        if (Vp8Descriptor.isFrameStart(buf, at, payload)) {
            facts |= FRAME_START;
        }
        int temporal = Vp8Descriptor.temporalLayer(buf, at, payload);
        countTemporal(temporal, len);
        return facts | (temporal + 1) & 0xFF;
    }

    private int inspectH264(byte[] buf, int at, int payload) {
        int facts = 0;
        if (track.simulcast && H264Payload.isKeyFrameStart(buf, at, payload)) {
            facts |= KEY_FRAME_START;
            noteKeyFrameSize(H264Payload.keyFrameSize(buf, at, payload, spsReader));
        }
        if (H264Payload.isFrameStart(buf, at, payload)) {
            facts |= FRAME_START;
        }
        return facts;
    }

    /** A key frame's size as read from its first packet (0: not in this packet, keep the last). */
    private void noteKeyFrameSize(int size) {
        if (size != 0) {
            keyFrameSize = size;
        }
    }

    /** The temporal layer in {@link #inspect}'s facts, or {@link Vp8Descriptor#NONE}. */
    static int temporalLayer(int facts) {
        int t = facts & 0xFF;
        return t == 0 ? Vp8Descriptor.NONE : t - 1;
    }

    /** When the last packet arrived (System.nanoTime), 0 before the first. */
    long lastPacketNanos() {
        return lastPacketNanos;
    }

    long extendedHighestSeq() {
        return cycles + maxSeq;
    }

    /** Receive thread: a packet of {@code len} bytes of this temporal layer (ignored if none). */
    void countTemporal(int temporalLayer, int len) {
        if (temporalLayer >= 0 && temporalLayer < temporalBytes.length) {
            temporalBytes[temporalLayer] += len + SendSideEstimator.WIRE_OVERHEAD;
            if (temporalLayer > highestTemporalSeen) {
                highestTemporalSeen = temporalLayer;
            }
        }
    }

    /** Called once a second by the report timer: updates {@link #bitrateBps} and the temporal layers' rates. */
    void rollBitrate(long nowNanos) {
        long bytes = bytesReceived;
        if (bitrateNanosPrior != 0 && nowNanos > bitrateNanosPrior) {
            long interval = nowNanos - bitrateNanosPrior;
            bitrateBps = (bytes - bitrateBytesPrior) * 8_000_000_000L / interval;
            long packets = packetsReceived;
            wireBitrateBps = (bytes - bitrateBytesPrior + (packets - packetsPrior) * SendSideEstimator.WIRE_OVERHEAD)
                    * 8_000_000_000L / interval;
            packetsPrior = packets;
            long cumulative = 0;
            for (int k = 0; k < temporalBytes.length; k++) {
                long b = temporalBytes[k];
                cumulative += b - temporalBytesPrior[k];
                temporalBytesPrior[k] = b;
                temporalBitrateBps[k] = cumulative * 8_000_000_000L / interval;
            }
            highestTemporalLayer = highestTemporalSeen;
            highestTemporalSeen = -1;
        }
        bitrateBytesPrior = bytes;
        bitrateNanosPrior = nowNanos;
    }

    /** Fills {fractionLost, cumulativeLost} and rolls the interval. */
    void lossStats(int[] out) {
        if (baseSeq < 0) {
            out[0] = 0;
            out[1] = 0;
            return;
        }
        long expected = extendedHighestSeq() - baseSeq + 1 - skipped;
        long lost = Math.max(0, expected - received);
        long expectedInterval = expected - expectedPrior;
        long receivedInterval = received - receivedPrior;
        expectedPrior = expected;
        receivedPrior = received;
        long lostInterval = expectedInterval - receivedInterval;
        out[0] = expectedInterval == 0 || lostInterval <= 0 ? 0 : (int) ((lostInterval << 8) / expectedInterval);
        out[1] = (int) Math.min(lost, 0x7FFFFF);
    }

    /** True if its gaps are NACKed (video). */
    boolean nacksGaps() {
        return nacks != null;
    }

    /**
     * NACK step (video only, see {@link #nacksGaps}): {@code seq} arrived; NACKs for the gaps due
     * go to {@code sink} at once; a gap filled counts as recovered. Returns {@link NackGenerator}'s
     * verdict (a copy of a packet already here is {@link NackGenerator#DUPLICATE}).
     */
    int onSequence(int seq, int feedbackSsrc, NackSink sink, SfuMetrics metrics) {
        synchronized (nacks) {
            int arrival = nacks.onPacket(seq);
            if (arrival == NackGenerator.RECOVERED) {
                metrics.recovered.incrementAndGet();
            }
            if (arrival != NackGenerator.DUPLICATE) {
                sendDueNacks(feedbackSsrc, System.nanoTime(), sink);
            }
            return arrival;
        }
    }

    /** Under nacks' lock. */
    private void sendDueNacks(int feedbackSsrc, long nowNanos, NackSink sink) {
        if (nacks.missingCount() > 0) {
            int n = nacks.writeNack(nackBuffer, 0, feedbackSsrc, ssrc, nowNanos, NACK_RETRY_NANOS);
            if (n > 0) {
                sink.sendNack(nackBuffer, n);
            }
        }
    }

    /**
     * Timer, every 100 ms (video only): NACKs for the gaps due again, and the NACK statistics into
     * the metrics. True if a packet was given up since the last call: it is lost for every
     * subscriber, whose decoders then need a key frame.
     */
    boolean retryNacks(int feedbackSsrc, long nowNanos, NackSink sink, SfuMetrics metrics) {
        synchronized (nacks) {
            sendDueNacks(feedbackSsrc, nowNanos, sink);
            long rn = nacks.recoveryNanosTotal();
            if (rn != nackRecoveryNanosReported) {
                metrics.nackRecoveryMicros.addAndGet((rn - nackRecoveryNanosReported) / 1000);
                nackRecoveryNanosReported = rn;
            }
            metrics.nackRecoveryMaxMicros.accumulateAndGet(nacks.recoveryNanosMax() / 1000, Math::max);
            long g = nacks.gaveUp();
            if (g == nackGaveUpReported) {
                return false;
            }
            metrics.nackGaveUp.addAndGet(g - nackGaveUpReported);
            nackGaveUpReported = g;
            return true;
        }
    }

    /** The publisher's SR of this stream arrived: its NTP time's middle 32 bits, for our LSR/DLSR. */
    void onSenderReport(int ntpMiddle, long nowNanos) {
        lastSrNtpMiddle = ntpMiddle;
        lastSrArrivalNanos = nowNanos;
    }

    /**
     * Its report block of our RR at {@code b[at..]} (loss since the last one, extended highest
     * sequence number, LSR/DLSR), the loss kept for the stream statistics and the bitrate rolled;
     * {@code loss} is scratch. Returns the block's length.
     */
    int writeReportBlock(byte[] b, int at, long nowNanos, int[] loss) {
        lossStats(loss);
        lastFractionLost = loss[0];
        lastCumulativeLost = loss[1];
        rollBitrate(nowNanos);
        long srAt = lastSrArrivalNanos;
        int dlsr = srAt == 0 ? 0 : (int) (((nowNanos - srAt) * 65536L) / 1_000_000_000L);
        return Rtcp.writeReportBlock(b, at, 0, ssrc, loss[0], loss[1], extendedHighestSeq(), 0,
                srAt == 0 ? 0 : lastSrNtpMiddle, dlsr);
    }

    /** The loss its last report block stated: {fraction lost (0..255), cumulative lost}. */
    double reportedFractionLost() {
        return lastFractionLost / 256.0;
    }

    long reportedCumulativeLost() {
        return lastCumulativeLost;
    }

    /** Relay thread: the origin sends this paused layer again; the numbers it skipped meanwhile are not loss. */
    void resumeAfterPause() {
        resuming = true;
        if (nacks != null) {
            synchronized (nacks) {
                nacks.restart(); // the numbers skipped were never sent: nothing to ask for
            }
        }
    }

    /** True (and records the time) if a key-frame request may go to the publisher now. */
    synchronized boolean allowKeyFrameRequest(long nowNanos, long minIntervalNanos) {
        if (lastPliNanos != 0 && nowNanos - lastPliNanos < minIntervalNanos) {
            return false;
        }
        lastPliNanos = nowNanos;
        return true;
    }

    void cache(byte[] buf, int off, int len) {
        if (cache != null) {
            synchronized (cache) {
                cache.put(buf, off, len);
            }
        }
    }

    /** Copies the cached packet with this sequence number into dst; its length, or -1. */
    int cachedPacket(int seq, byte[] dst) {
        if (cache == null) {
            return -1;
        }
        synchronized (cache) {
            return cache.get(seq, dst);
        }
    }
}
