package dev.visage.sfu.room;

import dev.visage.sfu.rtp.RtpPacket;

import java.security.SecureRandom;

/**
 * One stream a subscriber receives (the Consumer, in mediasoup terms): its m-section, the SSRCs
 * the subscriber knows it by, the RTP rewrite that keeps it continuous when its source changes,
 * and what the subscriber reports about it.
 *
 * <p>The subscriber's SDP names the stream by {@link #ssrc} and {@link #rtxSsrc} for its whole life.
 * When the publisher reconnects (a new session of the same user publishing the same kind), the
 * subscription is {@link #rebind rebound} to the new track instead of being replaced: its first
 * packet fixes a sequence and timestamp offset so the subscriber sees the next sequence number and
 * a timestamp advanced by the wall-clock time of the gap. The browser keeps its receiver, decoder
 * and tile; no renegotiation, no sequence jump counted as loss.
 */
final class Subscription {
    private static final SecureRandom RANDOM = new SecureRandom();

    final String mid;
    /** The SSRCs in the subscriber's SDP: the first source's (zero offsets while it lasts). */
    final int ssrc;
    final int rtxSsrc;
    private final int clockRate;

    /** The source now: set under the room monitor, read per packet by the forwarding threads. */
    volatile PublishedTrack track;
    volatile boolean keyFrameRequested;
    /** When the source's connection was lost (ms), 0 while it is live: see SfuEndpoint#close. */
    volatile long orphanedAtMillis;

    // Rewrite towards the subscriber. After a rebind, the first packet of the new source fixes
    // the offsets (forwarding thread); until then rebasePending holds the stream's last sequence
    // number, timestamp and the time of its last packet (written before rebasePending, so a
    // forwarding thread that sees the flag sees them).
    private volatile boolean rebasePending;
    private volatile boolean rewriting;
    private volatile int seqDelta;
    private volatile int tsDelta;
    private int lastSeqOut;
    private int lastTsOut;
    private long lastSentNanos;

    // statistics: sent by the publisher's receive thread; reported by the subscriber's RRs
    volatile long packetsSent;
    volatile long bytesSent;
    volatile int fractionLost;
    volatile int cumulativeLost;
    volatile long jitter;
    volatile long resent;
    volatile long rttNanos = -1;
    private int rtxSeq = RANDOM.nextInt(0x10000);
    // the last two SRs forwarded to this subscriber: NTP middle 32 bits and when they left
    private final int[] srNtp = new int[2];
    private final long[] srSentAt = new long[2];
    private int srNext;

    Subscription(PublishedTrack track, String mid) {
        this.track = track;
        this.mid = mid;
        this.ssrc = track.ssrc;
        this.rtxSsrc = track.info.rtxSsrc();
        this.clockRate = Math.max(1, track.info.clockRate());
    }

    /**
     * True if {@code next} can continue this stream: same kind, source (a camera never continues a
     * screen) and codec (the subscriber's m-section keeps its payload type and format parameters).
     */
    boolean canContinueWith(PublishedTrack next) {
        PublishedTrack cur = track;
        return next != cur && next.video == cur.video && next.info.source().equals(cur.info.source())
                && next.canonicalPt == cur.canonicalPt
                && formatOf(next).equals(formatOf(cur))
                && next.info.clockRate() == cur.info.clockRate();
    }

    /** Format parameters; none and empty are the same (a relayed track carries "" for none). */
    private static String formatOf(PublishedTrack t) {
        String f = t.info.fmtp();
        return f == null ? "" : f.trim();
    }

    /**
     * Under the room monitor, while the current source is silent: continue the stream with
     * {@code next}. The old source's receive statistics give where the stream stopped.
     */
    void rebind(PublishedTrack next) {
        if (!rebasePending) { // else the source being replaced never sent: the stream stopped earlier
            PublishedTrack old = track;
            lastSeqOut = (int) (old.extendedHighestSeq() + seqDelta) & 0xFFFF;
            lastTsOut = old.highestTimestamp() + tsDelta;
            lastSentNanos = old.lastPacketNanos();
        }
        keyFrameRequested = false;
        orphanedAtMillis = 0;
        rebasePending = true;
        track = next;
    }

    /**
     * Forwarding thread, on the subscriber's copy of a packet of {@link #track}: rewrites SSRC,
     * sequence number and timestamp into the subscriber's numbering. No allocation.
     */
    void rewriteRtp(byte[] p, int off, long arrivalNanos) {
        if (rebasePending) {
            rebase(RtpPacket.sequence(p, off), (int) RtpPacket.timestamp(p, off), arrivalNanos);
        }
        translate(p, off);
    }

    /** A packet of the current source (e.g. from the NACK cache) in the subscriber's numbering. */
    void translate(byte[] p, int off) {
        if (rewriting) {
            RtpPacket.setSsrc(p, off, ssrc);
            RtpPacket.setSequence(p, off, (RtpPacket.sequence(p, off) + seqDelta) & 0xFFFF);
            RtpPacket.w32(p, off + 4, (int) RtpPacket.timestamp(p, off) + tsDelta);
        }
    }

    /** The first packet of a new source: continue from the last one sent. */
    private void rebase(int seq, int ts, long arrivalNanos) {
        long gapNanos = Math.max(0, arrivalNanos - lastSentNanos);
        long gapTicks = Math.max(1, gapNanos / 1000 * clockRate / 1_000_000);
        seqDelta = (lastSeqOut + 1 - seq) & 0xFFFF;
        tsDelta = (int) (lastTsOut + gapTicks - ts);
        rewriting = true;
        rebasePending = false;
    }

    /** False until the new source's first packet has fixed the offsets (nothing to translate). */
    boolean ready() {
        return !rebasePending;
    }

    /** The source's sequence number of a packet the subscriber knows by {@code seqOut}. */
    int sourceSequence(int seqOut) {
        return (seqOut - seqDelta) & 0xFFFF;
    }

    /** An SR of the source, copied for this subscriber (no report blocks): its SSRC and RTP time. */
    void rewriteSenderReport(byte[] p, int off) {
        if (rewriting) {
            RtpPacket.w32(p, off + 4, ssrc);
            RtpPacket.w32(p, off + 16, RtpPacket.i32(p, off + 16) + tsDelta);
        }
    }

    synchronized void onSrForwarded(int ntpMiddle, long now) {
        srNtp[srNext] = ntpMiddle;
        srSentAt[srNext] = now;
        srNext ^= 1;
    }

    /** RTT from a report block's LSR/DLSR (DLSR in 1/65536 s), or -1 if it names no SR we sent. */
    synchronized long rttFrom(int lsr, long dlsr, long now) {
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

    synchronized int nextRtxSeq() {
        rtxSeq = (rtxSeq + 1) & 0xFFFF;
        return rtxSeq;
    }
}
