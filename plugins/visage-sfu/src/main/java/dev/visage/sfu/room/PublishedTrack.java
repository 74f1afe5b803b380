package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.sdp.Codecs;
import dev.visage.sfu.sdp.TrackInfo;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One track of a publisher (the Producer, in mediasoup terms): its negotiated parameters, the
 * id/payload-type rewrite tables towards subscribers and its RTP streams ({@link ReceiveStream}:
 * one, or one per simulcast layer), each with its NACK cache, receive statistics and key-frame
 * request rate limit.
 */
public final class PublishedTrack {
    /**
     * Where feedback for a track relayed from another node goes (key-frame requests, NACKs this
     * node's cache cannot answer): back over the relay leg. See {@code dev.visage.sfu.relay}.
     */
    public interface Upstream {
        /** A key frame of the stream the relay knows by {@code ssrc} (one layer of the track). */
        void requestKeyFrame(PublishedTrack t, int ssrc);

        void requestRetransmission(PublishedTrack t, int ssrc, int seq);

        /** The far node's own NACK of gaps in a relayed stream (a generic NACK, written for us). */
        void sendNack(byte[] nack, int len);
    }

    /**
     * Takes a local publisher's canonical, plaintext packets to other nodes (the relay), every
     * stream of the track (each simulcast layer) as it comes; a far node's consumers choose.
     */
    public interface Downstream {
        void onRtp(PublishedTrack t, int layer, byte[] buf, int off, int len);

        void onSenderReport(PublishedTrack t, int layer, byte[] buf, int off, int len);
    }

    /** The local endpoint that publishes it; null for a track relayed from another node. */
    public final SfuEndpoint owner;
    /** Who publishes it (the owner's participant, or the remote participant of a relayed track). */
    public final Participant publisher;
    /** Non-null for a track relayed from another node. */
    public final Upstream upstream;
    /** Where the NACK step sends a relayed stream's gaps: the upstream (made once, not per packet). */
    final ReceiveStream.NackSink upstreamNacks;
    /** Set by the relay while other nodes subscribe to this local track's room. */
    public volatile Downstream downstream;
    public final TrackInfo info;
    /** The SSRC subscribers know it by: the publisher's own, or for a simulcast track the SFU's. */
    public final int ssrc;
    public final boolean video;
    /** Publisher extension id (1..14) -> subscriber id, 0 = strip. */
    public final byte[] extensionMap = new byte[16];
    public final int canonicalPt;
    public final int canonicalRtxPt;
    /** Its RTP streams: one, or one per simulcast layer (in the order of the publisher's rids). */
    final ReceiveStream[] layers;
    final boolean simulcast;
    /** Publisher's header extension ids naming a stream by mid and rid (0 if not negotiated). */
    final int midExtensionId;
    final int ridExtensionId;
    final int repairedRidExtensionId;
    private final byte[] midBytes;
    volatile boolean muted;
    /**
     * Its Consumers, one per subscriber on this node (copy-on-write, changed under the room
     * monitor): the fan-out walks them, not the room's members.
     */
    private volatile Subscription[] consumers = new Subscription[0];

    PublishedTrack(SfuEndpoint owner, TrackInfo info, int cacheSize) {
        this(owner, owner.participant(), info, null, cacheSize, null);
    }

    /** A track relayed from another node whose streams' SSRCs are its info's (or learned, for rids). */
    public PublishedTrack(Participant publisher, TrackInfo info, int cacheSize, Upstream upstream) {
        this(null, publisher, info, null, cacheSize, upstream);
    }

    /**
     * A track relayed from another node: canonical payload types and extension ids already; one
     * stream per rid of its info (its simulcast layers, in the same order) under the SSRCs the
     * origin relays them by, or one stream under the info's SSRC.
     */
    public PublishedTrack(Participant publisher, TrackInfo info, int[] relayedSsrcs, int cacheSize, Upstream upstream) {
        this(null, publisher, info, relayedSsrcs, cacheSize, upstream);
    }

    private PublishedTrack(SfuEndpoint owner, Participant publisher, TrackInfo info, int[] relayedSsrcs, int cacheSize,
                           Upstream upstream) {
        this.owner = owner;
        this.publisher = publisher;
        this.upstream = upstream;
        this.upstreamNacks = upstream == null ? null : upstream::sendNack;
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
        this.midExtensionId = info.extensionIds().getOrDefault(Codecs.EXT_MID, 0);
        this.ridExtensionId = info.extensionIds().getOrDefault(Codecs.EXT_RID, 0);
        this.repairedRidExtensionId = info.extensionIds().getOrDefault(Codecs.EXT_REPAIRED_RID, 0);
        this.midBytes = info.mid().getBytes(StandardCharsets.US_ASCII);
        if (info.rids().isEmpty()) {
            layers = new ReceiveStream[]{new ReceiveStream(this, 0, null, info.ssrc(), info.rtxSsrc(), video, cacheSize)};
        } else {
            layers = new ReceiveStream[info.rids().size()];
            for (int i = 0; i < layers.length; i++) {
                int known = relayedSsrcs != null && i < relayedSsrcs.length ? relayedSsrcs[i] : 0;
                layers[i] = new ReceiveStream(this, i, info.rids().get(i), known, 0, video, cacheSize);
            }
        }
        this.simulcast = info.simulcast();
    }

    Subscription[] consumers() {
        return consumers;
    }

    /** Under the room monitor. */
    void addConsumer(Subscription s) {
        Subscription[] cs = java.util.Arrays.copyOf(consumers, consumers.length + 1);
        cs[cs.length - 1] = s;
        consumers = cs;
    }

    /** Under the room monitor. */
    void removeConsumer(Subscription s) {
        Subscription[] cs = consumers;
        for (int i = 0; i < cs.length; i++) {
            if (cs[i] == s) {
                Subscription[] n = new Subscription[cs.length - 1];
                System.arraycopy(cs, 0, n, 0, i);
                System.arraycopy(cs, i + 1, n, i, cs.length - i - 1);
                consumers = n;
                return;
            }
        }
    }

    /** True if the header extension value at {@code b[at..at+len)} is this track's mid. */
    boolean hasMid(byte[] b, int at, int len) {
        if (len != midBytes.length) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (b[at + i] != midBytes[i]) {
                return false;
            }
        }
        return true;
    }

    /** Its only stream (a track without simulcast), or its first layer. */
    ReceiveStream primary() {
        return layers[0];
    }

    /** Number of its RTP streams (simulcast layers, or one). */
    public int streamCount() {
        return layers.length;
    }

    /**
     * The SSRC a stream of this local track crosses relay legs under: the publisher's own for a
     * track whose SDP names it, else one of the SFU's (known before the publisher's first packet,
     * so it can be announced at once).
     */
    public int relaySsrc(int layer) {
        return layers[layer].relaySsrc;
    }

    /** The stream relayed under {@code ssrc} (its layer), or -1. */
    public int layerOfRelaySsrc(int ssrc) {
        for (ReceiveStream l : layers) {
            if (l.relaySsrc == ssrc) {
                return l.layer;
            }
        }
        return -1;
    }

    /** The relay's key-frame request for one stream of this local track (rate-limited). */
    public void requestKeyFrame(int layer) {
        if (owner != null) {
            owner.publisher().requestKeyFrame(layers[layer]);
        }
    }

    /** Copies the packet of one stream with this sequence number into dst (its cache); its length, or -1. */
    public int cachedPacket(int layer, int seq, byte[] dst) {
        return layers[layer].cachedPacket(seq, dst);
    }

    /**
     * Relay report timer, for a relayed track's stream: {fraction lost (0..255), cumulative lost}
     * since the last call into {@code out}; returns its extended highest sequence number.
     */
    public long relayedLossStats(int layer, int[] out) {
        ReceiveStream s = layers[layer];
        s.lossStats(out);
        return s.extendedHighestSeq();
    }

    /** Relay thread: the origin resumes a layer of this relayed track it had paused (see {@link ReceiveStream#resumeAfterPause}). */
    public void resumeRelayedLayer(int layer) {
        layers[layer].resumeAfterPause();
    }

    /** Relay timer, once a second: a relayed track's streams' bitrates (local ones roll with their RRs). */
    public void rollRelayedBitrates(long nowNanos) {
        for (ReceiveStream l : layers) {
            l.rollBitrate(nowNanos);
        }
    }

    /** When the last packet of any of its streams arrived (System.nanoTime), 0 before the first. */
    long lastPacketNanos() {
        long last = 0;
        for (ReceiveStream l : layers) {
            last = Math.max(last, l.lastPacketNanos());
        }
        return last;
    }

    /** True if this track sent packets once but none for at least {@code nanos}. */
    boolean silentFor(long nowNanos, long nanos) {
        long last = lastPacketNanos();
        return last != 0 && nowNanos - last >= nanos;
    }
}
