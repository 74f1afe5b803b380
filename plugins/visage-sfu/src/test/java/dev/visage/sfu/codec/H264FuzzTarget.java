package dev.visage.sfu.codec;

import dev.visage.fuzz.Placement;

/**
 * Fuzz target "h264": one RTP payload of an H.264 stream, as the inspect step reads it (key frame
 * start, frame start, the SPS's frame size). What it says must not depend on the bytes after the
 * payload, reading must stay inside it and never throw, and a size must be a sane one.
 */
public final class H264FuzzTarget {
    private static final RbspBitReader READER = new RbspBitReader();

    private H264FuzzTarget() {
    }

    public static void fuzzerTestOneInput(byte[] payload) {
        String views = views(Placement.followedBy(payload, 64, (byte) 0), payload.length);
        String again = views(Placement.followedBy(payload, 64, (byte) 0xFF), payload.length);
        if (!views.equals(again)) {
            throw new AssertionError("H.264 views depend on bytes after the payload: " + views + " vs " + again);
        }
        String exact = views(Placement.exact(payload), payload.length);
        if (!views.equals(exact)) {
            throw new AssertionError("H.264 views differ at the end of the array: " + views + " vs " + exact);
        }
        int size = H264Payload.keyFrameSize(Placement.exact(payload), Placement.OFFSET, payload.length, READER);
        if (size != 0 && ((size >>> 16) == 0 || (size & 0xFFFF) == 0 || (size >>> 16) > 16384 || (size & 0xFFFF) > 16384)) {
            throw new AssertionError("insane frame size " + (size >>> 16) + "x" + (size & 0xFFFF));
        }
    }

    private static String views(byte[] b, int len) {
        int at = Placement.OFFSET;
        return H264Payload.isKeyFrameStart(b, at, len) + " " + H264Payload.isFrameStart(b, at, len) + " "
                + H264Payload.keyFrameSize(b, at, len, READER);
    }
}
