package dev.visage.sfu.room;

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
    public final SfuEndpoint owner;
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
    final byte[] nackBuffer;
    volatile boolean muted;

    // receive statistics (written by the receive thread only)
    private int baseSeq = -1;
    private int maxSeq;
    private int cycles;
    private long received;
    private long expectedPrior;
    private long receivedPrior;
    // last SR: middle 32 bits of NTP and arrival time, for LSR/DLSR
    volatile int lastSrNtpMiddle;
    volatile long lastSrArrivalNanos;
    private long lastPliNanos;

    PublishedTrack(SfuEndpoint owner, TrackInfo info, int cacheSize) {
        this.owner = owner;
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

    /** RFC 3550 A.1-style sequence tracking (simplified: no probation). */
    void onReceived(int seq) {
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
            }
        }
        received++;
    }

    long extendedHighestSeq() {
        return cycles + maxSeq;
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
