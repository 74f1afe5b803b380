package dev.visage.sfu.relay;

import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.Room;

/**
 * One RTP stream another node relays to us (a track, or one simulcast layer of it), as seen by
 * the receiving node: the {@link PublishedTrack} that local subscribers subscribe to and the
 * stream's {@link #layer} in it, the room it is fanned out in, and receive statistics for the
 * leg's report blocks. The track's {@link PublishedTrack#upstream} is the stream of its first
 * layer: key-frame requests and the NACKs our cache cannot answer go back over the leg, naming
 * the stream they are for by its SSRC.
 */
final class RemoteStream implements PublishedTrack.Upstream {
    final String roomId;
    final Room room;
    volatile RelayLeg leg;
    final int ssrc;
    /** Its stream (simulcast layer) in the track. */
    final int layer;
    private volatile PublishedTrack track;

    // written by the relay socket's receive thread only; read by the report timer
    private volatile long highest = -1;
    private volatile long received;
    private long base = -1;
    private boolean wanted = true;
    private volatile boolean resuming;
    private long expectedPrior;
    private long receivedPrior;

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

    /** Receive thread: extended sequence tracking. */
    void onSequence(int seq) {
        long h = highest;
        if (h < 0) {
            base = seq;
            highest = seq;
        } else {
            int delta = (int) ((seq - h) & 0xFFFF);
            if (delta != 0 && delta < 0x8000) {
                if (resuming && delta > 1) {
                    base += delta - 1; // the packets of the pause were never sent: not lost
                }
                highest = h + delta;
            }
        }
        resuming = false;
        received++;
    }

    /**
     * Relay thread: whether the far consumers want this stream (a simulcast layer the origin
     * relays only on demand, see relay-layers); its first packet after a pause does not count
     * the pause as loss.
     */
    void setWanted(boolean w) {
        if (w && !wanted) {
            resuming = true;
        }
        wanted = w;
    }

    /** Report timer: {fraction lost (0..255), cumulative lost, extended highest seq}; rolls the interval. */
    void lossStats(long[] out) {
        long h = highest;
        if (h < 0) {
            out[0] = 0;
            out[1] = 0;
            out[2] = 0;
            return;
        }
        long r = received;
        long expected = h - base + 1;
        long expectedInterval = expected - expectedPrior;
        long lostInterval = expectedInterval - (r - receivedPrior);
        expectedPrior = expected;
        receivedPrior = r;
        out[0] = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, (lostInterval << 8) / expectedInterval);
        out[1] = Math.max(0, Math.min(expected - r, 0x7FFFFF));
        out[2] = h;
    }

    @Override
    public void requestKeyFrame(PublishedTrack t, int streamSsrc) {
        leg.sendPli(streamSsrc);
    }

    @Override
    public void requestRetransmission(PublishedTrack t, int streamSsrc, int seq) {
        leg.sendNack(streamSsrc, seq);
    }
}
