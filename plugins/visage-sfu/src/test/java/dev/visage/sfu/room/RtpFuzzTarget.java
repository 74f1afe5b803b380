package dev.visage.sfu.room;

import dev.visage.fuzz.Placement;
import dev.visage.sfu.rtp.PacketKind;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.rtp.Rtx;

import java.util.Arrays;

/**
 * Fuzz target "rtp": a decrypted RTP packet as the receive loop passes it on. The header views
 * (validation, header and payload length, one-byte extensions, id rewrite, RTX unwrap) must give
 * the same answer whatever bytes follow the packet; a packet that passes validation goes to the
 * publisher's handler (transport-cc sequence, SSRC/RTX lookup, NACK tracking, rewrite, cache,
 * fan-out) inside an array that ends with it, so that any read past the packet throws.
 */
public final class RtpFuzzTarget {
    private static FuzzRoom room;

    private RtpFuzzTarget() {
    }

    public static void fuzzerInitialize() {
        room = FuzzRoom.open();
    }

    public static void fuzzerTestOneInput(byte[] packet) {
        String views = headerViews(Placement.followedBy(packet, 64, (byte) 0), packet.length);
        String again = headerViews(Placement.followedBy(packet, 64, (byte) 0xFF), packet.length);
        if (!views.equals(again)) {
            throw new AssertionError("header views depend on bytes after the packet: " + views + " vs " + again);
        }
        byte[] buf = Placement.exact(packet);
        int off = Placement.OFFSET;
        if (PacketKind.classify(buf, off, packet.length) != PacketKind.RTP || !RtpPacket.isValid(buf, off, packet.length)) {
            return; // the receive loop drops it
        }
        room.publisher.publisher().onRtp(buf, off, packet.length);
        room.publisher.onTimer(System.currentTimeMillis(), true);
    }

    /** Everything the header views say about the packet at Placement.OFFSET, as one string. */
    private static String headerViews(byte[] b, int len) {
        int off = Placement.OFFSET;
        StringBuilder s = new StringBuilder();
        s.append(PacketKind.classify(b, off, len));
        if (len < RtpPacket.FIXED_HEADER) {
            return s.toString();
        }
        s.append(' ').append(RtpPacket.headerLength(b, off, len));
        boolean valid = RtpPacket.isValid(b, off, len);
        s.append(' ').append(valid);
        if (!valid) {
            return s.toString();
        }
        s.append(' ').append(RtpPacket.payloadLength(b, off, len));
        for (int id = 1; id < 15; id++) {
            long ext = RtpPacket.findExtension(b, off, len, id);
            s.append(' ').append(ext < 0 ? -1 : ext - ((long) off << 8));
        }
        byte[] remapped = b.clone();
        byte[] map = new byte[16];
        for (int id = 1; id < 15; id++) {
            map[id] = (byte) ((id * 7) % 15);
        }
        s.append(' ').append(RtpPacket.remapExtensions(remapped, off, len, map));
        s.append(' ').append(Arrays.hashCode(Arrays.copyOfRange(remapped, off, off + len)));
        byte[] unwrapped = b.clone();
        int n = Rtx.unwrap(unwrapped, off, len, 0x11223344, 96);
        s.append(' ').append(n);
        if (n > 0) {
            s.append(' ').append(Arrays.hashCode(Arrays.copyOfRange(unwrapped, off, off + n)));
        }
        return s.toString();
    }
}
