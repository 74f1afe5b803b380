package dev.visage.sfu.room;


import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.rtp.NackGenerator;
import dev.visage.sfu.rtp.RtpPacket;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The endpoints of one room on this node (the Router). Membership is a copy-on-write array so the
 * forwarding loop iterates it without locks or iterators; changes happen under the room's monitor,
 * which also serialises all signalling that spans endpoints of the room.
 */
public final class Room {
    /**
     * Told, under the room's monitor, whenever a member joins or leaves or a member's published
     * tracks change (the relay uses it; it must only queue work).
     */
    public interface Observer {
        void onRoomChanged(Room room);
    }

    /** The sender SSRC of this node's NACKs over a relay leg (the origin reads only the media SSRC). */
    private static final int RELAY_FEEDBACK_SSRC = 1;

    /** The delivering thread's buffer for one subscriber's copy of a packet (the packet itself is not changed). */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[1700]);

    public final String id;
    private final SfuMetrics metrics;
    private volatile SfuEndpoint[] members = new SfuEndpoint[0];
    /** Tracks of publishers on other nodes, relayed here (copy-on-write, like members). */
    private volatile PublishedTrack[] relayed = new PublishedTrack[0];
    private volatile Observer observer;

    public Room(String id, SfuMetrics metrics) {
        this.id = id;
        this.metrics = metrics;
    }

    public SfuEndpoint[] members() {
        return members;
    }

    synchronized void add(SfuEndpoint e) {
        SfuEndpoint[] m = Arrays.copyOf(members, members.length + 1);
        m[m.length - 1] = e;
        members = m;
        changed();
    }

    /** Returns true if the room is now empty. */
    synchronized boolean remove(SfuEndpoint e) {
        SfuEndpoint[] m = members;
        int i = Arrays.asList(m).indexOf(e);
        if (i >= 0) {
            SfuEndpoint[] n = new SfuEndpoint[m.length - 1];
            System.arraycopy(m, 0, n, 0, i);
            System.arraycopy(m, i + 1, n, i, m.length - i - 1);
            members = n;
            changed();
        }
        return members.length == 0;
    }

    // ---------------------------------------------------------------- relay hooks (dev.visage.sfu.relay)

    public void setObserver(Observer o) {
        observer = o;
    }

    /** Under the room monitor. */
    void changed() {
        Observer o = observer;
        if (o != null) {
            o.onRoomChanged(this);
        }
    }

    /** The tracks published by this node's members (not the relayed ones). */
    public synchronized List<PublishedTrack> localTracks() {
        List<PublishedTrack> out = new ArrayList<>();
        for (SfuEndpoint e : members) {
            out.addAll(Arrays.asList(e.publishedTracks()));
        }
        return out;
    }

    public PublishedTrack[] relayedTracks() {
        return relayed;
    }

    /** Adds tracks relayed from another node; every member subscribes (new subscribe offers). */
    public synchronized void addRelayedTracks(List<PublishedTrack> ts) {
        List<PublishedTrack> l = new ArrayList<>(Arrays.asList(relayed));
        l.addAll(ts);
        relayed = l.toArray(new PublishedTrack[0]);
        for (SfuEndpoint m : members) {
            for (PublishedTrack t : ts) {
                m.addSubscription(t);
            }
            m.renegotiateSubscribe();
        }
    }

    /**
     * Tracks another node no longer relays. The origin cannot tell here whether their publisher
     * left or lost its connection, so members keep them as orphans for the reconnect grace: the
     * same user publishing again, on that node or any other, continues them (see Subscription).
     */
    public synchronized void removeRelayedTracks(List<PublishedTrack> ts) {
        removeRelayedTracks(ts, false);
    }

    /**
     * Removes relayed tracks. ended: their publisher stopped them (a screen share ended) and they
     * go at once; otherwise their publisher may be reconnecting and they stay, orphaned, for the
     * reconnect grace, as a local publisher's do (see {@link SfuEndpoint#close}).
     */
    public synchronized void removeRelayedTracks(List<PublishedTrack> ts, boolean ended) {
        List<PublishedTrack> l = new ArrayList<>(Arrays.asList(relayed));
        if (!l.removeAll(ts)) {
            return;
        }
        relayed = l.toArray(new PublishedTrack[0]);
        long now = System.currentTimeMillis();
        for (SfuEndpoint m : members) {
            m.sourcesGone(ts, ended, now);
        }
    }

    /**
     * Relay thread: the layers of a relayed track this node's subscribers may need (bit k: layer
     * k; see {@link Subscription#layerDemand}), for the origin to send no others. With no
     * subscriber of it (yet), its first layer, so the first key frame is there as soon as one comes.
     */
    public int layerDemand(PublishedTrack t) {
        int demand = 0;
        for (Subscription s : t.consumers()) {
            demand |= s.layerDemand();
        }
        return demand == 0 ? 1 : demand;
    }

    /**
     * Relay receive thread: a packet of one stream (simulcast layer) of a relayed track
     * (plaintext, canonical) through the same steps as a local publisher's from the NACK step on:
     * its gaps NACKed over the leg at once (not only when a subscriber's NACK misses the cache,
     * a far subscriber's round trip later), a copy already forwarded dropped, noted, cached for
     * this node's subscribers' NACKs, inspected and fanned out, so each subscriber's consumer
     * chooses its layer from its own downlink and tile size.
     */
    public void forwardRelayedRtp(PublishedTrack t, int layer, byte[] buf, int off, int len) {
        ReceiveStream stream = t.layers[layer];
        int seq = RtpPacket.sequence(buf, off);
        if (stream.nacksGaps() && t.upstreamNacks != null) {
            if (stream.onSequence(seq, RELAY_FEEDBACK_SSRC, t.upstreamNacks, metrics) == NackGenerator.DUPLICATE) {
                metrics.dropRtx.incrementAndGet(); // the origin answered our NACK and a subscriber's
                return;
            }
        }
        long arrivalNanos = System.nanoTime();
        stream.onPacket(seq, len, arrivalNanos);
        fanOut(stream, seq, arrivalNanos, buf, off, len);
    }

    /**
     * The fan-out steps, the same for a local publisher's packet and a relayed one (plaintext,
     * canonical ids): cache it for subscribers' NACKs, inspect it (key frame and its size, VP8
     * temporal layer, frame start), and hand it to each consumer of its track
     * ({@link SubscribeTransport#deliver}: accept, rewrite, send). No allocation.
     */
    void fanOut(ReceiveStream stream, int seq, long arrivalNanos, byte[] buf, int off, int len) {
        stream.cache(buf, off, len);
        int facts = stream.inspect(buf, off, len);
        metrics.step(SfuMetrics.Step.FANNED_OUT);
        byte[] scratch = SCRATCH.get();
        for (Subscription c : stream.track.consumers()) {
            c.subscriber.deliver(c, stream, seq, facts, buf, off, len, arrivalNanos, scratch);
        }
    }

    /** Relay receive thread: a relayed publisher's SR of one stream (already without report blocks). */
    public void forwardRelayedSr(PublishedTrack t, int layer, byte[] buf, int off, int len) {
        fanOutSenderReport(t.layers[layer], buf, off, len);
    }

    /**
     * A sender report of {@code stream} (without report blocks), local or relayed, to each
     * consumer of its track ({@link SubscribeTransport#deliverSenderReport}).
     */
    void fanOutSenderReport(ReceiveStream stream, byte[] sr, int off, int len) {
        byte[] scratch = SCRATCH.get();
        for (Subscription c : stream.track.consumers()) {
            c.subscriber.deliverSenderReport(c, stream, sr, off, len, scratch);
        }
    }
}
