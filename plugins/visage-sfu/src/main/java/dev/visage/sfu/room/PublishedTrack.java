package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.rtp.NackGenerator;
import dev.visage.sfu.rtp.PacketCache;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.sdp.Codecs;
import dev.visage.sfu.sdp.TrackInfo;

import java.util.Map;

/**
 * One incoming RTP stream of a publisher (the Producer, in mediasoup terms): its negotiated
 * parameters, the id/payload-type rewrite tables towards subscribers, the NACK packet cache,
 * receive statistics for our receiver reports and the key-frame request rate limit.
 */
public final class PublishedTrack {
    /**
     * Where feedback for a track relayed from another node goes (key-frame requests, NACKs this
     * node's cache cannot answer): back over the relay leg. See {@code dev.visage.sfu.relay}.
     */
    public interface Upstream {
        void requestKeyFrame(PublishedTrack t);

        void requestRetransmission(PublishedTrack t, int seq);
    }

    /** Takes a local publisher's canonical, plaintext packets to other nodes (the relay). */
    public interface Downstream {
        void onRtp(PublishedTrack t, byte[] buf, int off, int len);

        void onSenderReport(PublishedTrack t, byte[] buf, int off, int len);
    }

    /** The local endpoint that publishes it; null for a track relayed from another node. */
    public final SfuEndpoint owner;
    /** Who publishes it (the owner's participant, or the remote participant of a relayed track). */
    public final Participant publisher;
    /** Non-null for a track relayed from another node. */
    public final Upstream upstream;
    /** Set by the relay while other nodes subscribe to this local track's room. */
    public volatile Downstream downstream;
    public final TrackInfo info;
    public final int ssrc;
    public final boolean video;
    /** Publisher extension id (1..14) -> subscriber id, 0 = strip. */
    public final byte[] extensionMap = new byte[16];
    public final int canonicalPt;
    public final int canonicalRtxPt;
    final PacketCache cache;
    /** Gap tracking and NACKs towards the publisher (video only); guarded by itself. */
    final NackGenerator nacks;
    /** nacks.gaveUp() already added to the metrics (under nacks' lock). */
    long nackGaveUpReported;
    long nackRecoveryNanosReported;
    final byte[] nackBuffer;
    volatile boolean muted;

    // for streamStats(): written by the receive thread, read by the stats timer/callers
    volatile long packetsReceived;
    volatile long bytesReceived;
    volatile long bitrateBps;
    volatile int lastFractionLost;
    volatile long lastCumulativeLost;
    private long bitrateBytesPrior;
    private long bitrateNanosPrior;

    // receive statistics (written by the receive thread only)
    private int baseSeq = -1;
    private int maxSeq;
    private int cycles;
    private long received;
    private int highestTimestamp;
    private volatile long lastPacketNanos;
    private long expectedPrior;
    private long receivedPrior;
    // last SR: middle 32 bits of NTP and arrival time, for LSR/DLSR
    volatile int lastSrNtpMiddle;
    volatile long lastSrArrivalNanos;
    private long lastPliNanos;

    PublishedTrack(SfuEndpoint owner, TrackInfo info, int cacheSize) {
        this(owner, owner.participant(), info, cacheSize, null);
    }

    /** A track relayed from another node: canonical payload types and extension ids already. */
    public PublishedTrack(Participant publisher, TrackInfo info, int cacheSize, Upstream upstream) {
        this(null, publisher, info, cacheSize, upstream);
    }

    private PublishedTrack(SfuEndpoint owner, Participant publisher, TrackInfo info, int cacheSize, Upstream upstream) {
        this.owner = owner;
        this.publisher = publisher;
        this.upstream = upstream;
        this.info = info;
        this.ssrc = info.ssrc();
        this.video = info.kind().equals("video");
        this.canonicalPt = Codecs.canonicalPt(info.codec());
        this.canonicalRtxPt = Codecs.canonicalRtxPt(info.codec());
        for (Map.Entry<String, Integer> e : info.extensionIds().entrySet()) {
            int id = e.getValue();
            if (id > 0 && id < 15) {
                extensionMap[id] = (byte) Codecs.subscriberExtensionId(e.getKey());
            }
        }
        this.cache = video ? new PacketCache(cacheSize) : null;
        this.nacks = video ? new NackGenerator() : null;
        this.nackBuffer = video ? new byte[1500] : null;
    }

    /** Asks the local publisher for a key frame (rate-limited); for the relay. */
    public void requestKeyFrame() {
        if (owner != null) {
            owner.requestKeyFrame(this, false);
        }
    }

    /** Copies the cached packet with this sequence number into dst; its length, or -1. */
    public int cachedPacket(int seq, byte[] dst) {
        if (cache == null) {
            return -1;
        }
        synchronized (cache) {
            return cache.get(seq, dst);
        }
    }

    /** RFC 3550 A.1-style sequence tracking (simplified: no probation). */
    void onReceived(int seq, int timestamp, long nowNanos) {
        if (baseSeq < 0) {
            baseSeq = seq;
            maxSeq = seq;
            highestTimestamp = timestamp;
        } else {
            int delta = (seq - maxSeq) & 0xFFFF;
            if (delta != 0 && delta < 0x8000) {
                if (seq < maxSeq) {
                    cycles += 0x10000;
                }
                maxSeq = seq;
                highestTimestamp = timestamp;
            }
        }
        received++;
        lastPacketNanos = nowNanos;
    }

    /** RTP timestamp of the packet with the highest sequence number so far. */
    int highestTimestamp() {
        return highestTimestamp;
    }

    /** When the last packet arrived (System.nanoTime), 0 before the first. */
    long lastPacketNanos() {
        return lastPacketNanos;
    }

    /** True if this track sent packets once but none for at least {@code nanos}. */
    boolean silentFor(long nowNanos, long nanos) {
        long last = lastPacketNanos;
        return last != 0 && nowNanos - last >= nanos;
    }

    long extendedHighestSeq() {
        return cycles + maxSeq;
    }

    /** Called once a second by the report timer: updates {@link #bitrateBps}. */
    void rollBitrate(long nowNanos) {
        long bytes = bytesReceived;
        if (bitrateNanosPrior != 0 && nowNanos > bitrateNanosPrior) {
            bitrateBps = (bytes - bitrateBytesPrior) * 8_000_000_000L / (nowNanos - bitrateNanosPrior);
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
        long expected = extendedHighestSeq() - baseSeq + 1;
        long lost = Math.max(0, expected - received);
        long expectedInterval = expected - expectedPrior;
        long receivedInterval = received - receivedPrior;
        expectedPrior = expected;
        receivedPrior = received;
        long lostInterval = expectedInterval - receivedInterval;
        out[0] = expectedInterval == 0 || lostInterval <= 0 ? 0 : (int) ((lostInterval << 8) / expectedInterval);
        out[1] = (int) Math.min(lost, 0x7FFFFF);
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

    int sequenceOf(byte[] buf, int off) {
        return RtpPacket.sequence(buf, off);
    }
}
