package dev.visage.sfu.relay;

import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.rtcp.Rtcp;

/**
 * The sending side of one local track: the legs of the nodes that subscribed to its room. Set as
 * {@link PublishedTrack#downstream}, so the publisher's receive thread hands every (canonical,
 * plaintext) packet here right after the local fan-out; each leg encrypts its own copy. One
 * packet per leg, whatever the number of subscribers on the far node.
 */
final class TrackRelay implements PublishedTrack.Downstream {
    private static final ThreadLocal<byte[]> SR = ThreadLocal.withInitial(() -> new byte[64]);
    final PublishedTrack track;
    volatile RelayLeg[] legs = new RelayLeg[0];

    TrackRelay(PublishedTrack track) {
        this.track = track;
    }

    @Override
    public void onRtp(PublishedTrack t, byte[] buf, int off, int len) {
        for (RelayLeg leg : legs) {
            leg.sendRtp(buf, off, len);
        }
    }

    @Override
    public void onSenderReport(PublishedTrack t, byte[] buf, int off, int len) {
        RelayLeg[] ls = legs;
        if (ls.length == 0) {
            return;
        }
        byte[] sr = SR.get();
        int n = Rtcp.copySrWithoutBlocks(buf, off, len, sr, 0);
        if (n <= 0) {
            return;
        }
        for (RelayLeg leg : ls) {
            leg.sendRtcp(sr, 0, n);
        }
    }
}
