package dev.visage.sfu.room;

/**
 * Which simulcast layer a consumer should receive: the smallest one at least as large as the
 * size its subscriber asked for (the rendered size of its tile; 0 x 0 for a hidden one, which gets
 * the smallest), or the largest there is when none is that large. Only layers that sent a packet
 * lately and whose size is known (from a key frame) count: a layer the publisher stopped (its
 * encoder drops layers when its uplink or CPU is short) is never chosen.
 */
final class LayerSelector {
    /** A layer with no packet for this long is off. */
    static final long ACTIVE_NANOS = 1_500_000_000L;
    /** No layer qualifies yet: take the first key frame of any. */
    static final int ANY = -1;

    private LayerSelector() {
    }

    /** A packet lately and a known size (from a key frame). */
    static boolean isActive(ReceiveStream l, long nowNanos) {
        long last = l.lastPacketNanos();
        return l.keyFrameSize != 0 && last != 0 && nowNanos - last <= ACTIVE_NANOS;
    }

    static int choose(ReceiveStream[] layers, int wantWidth, int wantHeight, long nowNanos) {
        int best = ANY;
        long bestArea = 0;
        int largest = ANY;
        long largestArea = 0;
        for (ReceiveStream l : layers) {
            if (!isActive(l, nowNanos)) {
                continue;
            }
            int size = l.keyFrameSize;
            int w = size >>> 16;
            int h = size & 0xFFFF;
            long area = (long) w * h;
            if (largest == ANY || area > largestArea) {
                largest = l.layer;
                largestArea = area;
            }
            if (w >= wantWidth && h >= wantHeight && (best == ANY || area < bestArea)) {
                best = l.layer;
                bestArea = area;
            }
        }
        return best != ANY ? best : largest;
    }
}
