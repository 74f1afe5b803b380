package dev.visage.sfu.relay;

import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.Room;

/**
 * One RTP stream another node relays to us (a track, or one simulcast layer of it), as seen by
 * the receiving node: the {@link PublishedTrack} that local subscribers subscribe to and the
 * stream's {@link #layer} in it, and the room it is fanned out in. Its receive statistics (for
 * the leg's report blocks) are its track's stream's, kept by the same step as a local one's. The track's {@link PublishedTrack#upstream} is the stream of its first
 * layer: key-frame requests and the NACKs our cache cannot answer go back over the leg, naming
 * the stream they are for by its SSRC.
 */
final class RemoteStream implements PublishedTrack.Upstream {
    final String roomId;
    final Room room;
    private volatile RelayLeg leg;
    final int ssrc;
    /** Its stream (simulcast layer) in the track. */
    final int layer;
    private volatile PublishedTrack track;

    private boolean wanted = true;

    RemoteStream(String roomId, Room room, RelayLeg leg, int ssrc, int layer) {
        this.roomId = roomId;
        this.room = room;
        this.leg = leg;
        this.ssrc = ssrc;
        this.layer = layer;
    }

    void bind(PublishedTrack t) {
        this.track = t;
    }

    PublishedTrack track() {
        return track;
    }

    /** Relay thread: the leg was replaced; feedback goes over the new one. */
    void moveTo(RelayLeg fresh) {
        leg = fresh;
    }

    /**
     * Relay thread: whether the far consumers want this stream (a simulcast layer the origin
     * relays only on demand, see relay-layers); its first packet after a pause does not count
     * the pause as loss.
     */
    void setWanted(boolean w) {
        PublishedTrack t = track;
        if (w && !wanted && t != null) {
            t.resumeRelayedLayer(layer);
        }
        wanted = w;
    }

    /**
     * Report timer: {fraction lost (0..255), cumulative lost} of the stream since the last call
     * (the track's own receive statistics, fed by the fan-out); its extended highest sequence
     * number, 0 before the track is bound.
     */
    long lossStats(int[] out) {
        PublishedTrack t = track;
        if (t == null) {
            out[0] = 0;
            out[1] = 0;
            return 0;
        }
        return t.relayedLossStats(layer, out);
    }

    @Override
    public void requestKeyFrame(PublishedTrack t, int streamSsrc) {
        leg.sendPli(streamSsrc);
    }

    @Override
    public void requestRetransmission(PublishedTrack t, int streamSsrc, int seq) {
        leg.sendNack(streamSsrc, seq);
    }

    @Override
    public void sendNack(byte[] nack, int len) {
        RelayLeg l = leg;
        if (l != null) {
            l.sendNack(nack, len);
        }
    }
}
