package dev.visage.sfu.relay;

import dev.visage.sfu.room.PublishedTrack;

import java.util.Arrays;

/**
 * The sending side of one local track: the legs of the nodes that subscribed to its room. Set as
 * {@link PublishedTrack#downstream}, so the publisher's receive thread hands every (canonical,
 * plaintext) packet of each of its streams (every simulcast layer) here just before the local
 * fan-out; each leg encrypts its own copy under the stream's relay SSRC. One packet per leg,
 * whatever the number of subscribers on the far node, whose consumers choose among the layers.
 */
final class TrackRelay implements PublishedTrack.Downstream {
    final PublishedTrack track;
    private volatile RelayLeg[] legs = new RelayLeg[0];
    /**
     * Per leg (same index), the layers its node wants (bit k: layer k; see relay-layers), set
     * just before legs by the relay thread: a leg without an entry (a packet racing the update)
     * gets every layer.
     */
    private volatile int[] layers = new int[0];

    TrackRelay(PublishedTrack track) {
        this.track = track;
    }

    /** Relay thread: the legs the track goes out on and, per leg, the layers its node wants. */
    void route(RelayLeg[] toLegs, int[] wantedLayers) {
        layers = wantedLayers;
        if (!Arrays.equals(toLegs, legs)) {
            legs = toLegs;
        }
    }

    /** Relay thread: a leg was replaced (re-offered); the new one takes its place. */
    void replaceLeg(RelayLeg old, RelayLeg fresh) {
        RelayLeg[] ls = legs.clone();
        for (int i = 0; i < ls.length; i++) {
            if (ls[i] == old) {
                ls[i] = fresh;
            }
        }
        legs = ls;
    }

    /** Relay thread: no node wants the track any more. */
    void stop() {
        legs = new RelayLeg[0];
    }

    @Override
    public void onRtp(PublishedTrack t, int layer, byte[] buf, int off, int len) {
        int ssrc = t.relaySsrc(layer);
        RelayLeg[] ls = legs;
        int[] wanted = layers;
        for (int k = 0; k < ls.length; k++) {
            if (wants(wanted, k, layer)) {
                ls[k].sendRtp(buf, off, len, ssrc);
            }
        }
    }

    private static boolean wants(int[] wanted, int leg, int layer) {
        return leg >= wanted.length || (wanted[leg] & (1 << layer)) != 0;
    }

    @Override
    public void onSenderReport(PublishedTrack t, int layer, byte[] sr, int off, int len) {
        int ssrc = t.relaySsrc(layer);
        RelayLeg[] ls = legs;
        int[] wanted = layers;
        for (int k = 0; k < ls.length; k++) {
            if (wants(wanted, k, layer)) {
                ls[k].sendSenderReport(sr, off, len, ssrc);
            }
        }
    }
}
