package dev.visage.sfu.room;

import dev.visage.fuzz.Placement;
import dev.visage.sfu.rtcp.Rtcp;

/**
 * Fuzz target "rtcp": a decrypted compound RTCP packet as the receive loop passes it on. Validation
 * must give the same answer whatever bytes follow the packet; a valid compound goes to both RTCP
 * handlers (the publisher's: sender reports; the subscriber's: report blocks, PLI, FIR, NACK),
 * each inside an array that ends with it, so that any read past the packet throws.
 */
public final class RtcpFuzzTarget {
    private static FuzzRoom room;

    private RtcpFuzzTarget() {
    }

    public static void fuzzerInitialize() {
        room = FuzzRoom.open();
    }

    public static void fuzzerTestOneInput(byte[] packet) {
        int off = Placement.OFFSET;
        boolean valid = Rtcp.isValidCompound(Placement.followedBy(packet, 64, (byte) 0), off, packet.length);
        if (valid != Rtcp.isValidCompound(Placement.followedBy(packet, 64, (byte) 0xFF), off, packet.length)) {
            throw new AssertionError("compound validation depends on bytes after the packet");
        }
        if (!valid) {
            return; // the receive loop drops it
        }
        room.publisher.publisher().onRtcp(Placement.exact(packet), off, packet.length);
        room.subscriber.subscriber().onRtcp(Placement.exact(packet), off, packet.length);
    }
}
