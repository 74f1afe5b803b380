package dev.visage.sfu.codec;

/**
 * Keeps VP8 picture ids and TL0PICIDX continuous for one subscriber while the stream it is sent
 * switches between sources (simulcast layers, each numbering its own frames): at a switch the
 * next source's ids are shifted to follow the last ones sent, so the decoder sees no jump. One
 * instance per consumer, used by its forwarding thread; nothing here allocates.
 */
public final class Vp8PictureIdRewriter {
    private static final int PID_MODULO = 0x8000;
    private static final int PID_MASK = PID_MODULO - 1;

    private int pictureIdDelta;
    private int tl0Delta;
    private int lastPictureIdOut = -1;
    private int lastTl0Out = -1;
    private boolean rebase = true;

    /** The next packet starts a new source: shift its ids to follow the last ones sent. */
    public void switchSource() {
        rebase = true;
    }

    /**
     * A frame of the current source is not sent (a temporal layer thinned out): the ids of the
     * frames after it move down by one, so the decoder sees no gap.
     */
    public void skipFrame() {
        pictureIdDelta = (pictureIdDelta - 1) & PID_MASK;
    }

    /** The shift now applied to picture ids (kept with each packet sent, for resending it as it was). */
    public int pictureIdDelta() {
        return pictureIdDelta;
    }

    /** Rewrites the descriptor of the packet's payload at {@code at} in place. */
    public void rewrite(byte[] b, int at, int payloadLen) {
        int pidAt = Vp8Descriptor.pictureIdOffset(b, at, payloadLen);
        int tl0At = Vp8Descriptor.tl0PicIdxOffset(b, at, payloadLen);
        if (rebase) {
            if (pidAt != Vp8Descriptor.NONE) {
                int next = lastPictureIdOut < 0 ? Vp8Descriptor.pictureId(b, pidAt) : lastPictureIdOut + 1;
                pictureIdDelta = next - Vp8Descriptor.pictureId(b, pidAt);
            }
            if (tl0At != Vp8Descriptor.NONE) {
                int next = lastTl0Out < 0 ? b[tl0At] & 0xFF : lastTl0Out + 1;
                tl0Delta = next - (b[tl0At] & 0xFF);
            }
            rebase = false;
        }
        if (pidAt != Vp8Descriptor.NONE) {
            int out = (Vp8Descriptor.pictureId(b, pidAt) + pictureIdDelta) & PID_MASK;
            Vp8Descriptor.setPictureId(b, pidAt, out);
            out = Vp8Descriptor.pictureId(b, pidAt); // a 7-bit field keeps 7 bits
            if (lastPictureIdOut < 0 || isNewer(out, lastPictureIdOut, Vp8Descriptor.longPictureId(b, pidAt) ? PID_MODULO : 0x80)) {
                lastPictureIdOut = out;
            }
        }
        if (tl0At != Vp8Descriptor.NONE) {
            int out = ((b[tl0At] & 0xFF) + tl0Delta) & 0xFF;
            b[tl0At] = (byte) out;
            if (lastTl0Out < 0 || isNewer(out, lastTl0Out, 0x100)) {
                lastTl0Out = out;
            }
        }
    }

    /**
     * Applies a shift only (a resent packet: the one it was first sent with): nothing about the
     * stream moves.
     */
    public void apply(byte[] b, int at, int payloadLen, int pidDelta) {
        int pidAt = Vp8Descriptor.pictureIdOffset(b, at, payloadLen);
        if (pidAt != Vp8Descriptor.NONE) {
            Vp8Descriptor.setPictureId(b, pidAt, (Vp8Descriptor.pictureId(b, pidAt) + pidDelta) & PID_MASK);
        }
        int tl0At = Vp8Descriptor.tl0PicIdxOffset(b, at, payloadLen);
        if (tl0At != Vp8Descriptor.NONE) {
            b[tl0At] = (byte) ((b[tl0At] & 0xFF) + tl0Delta);
        }
    }

    /** a is after b in a sequence that wraps at {@code modulo}, a power of two (a mask, not a division: once per packet). */
    private static boolean isNewer(int a, int b, int modulo) {
        int d = (a - b) & (modulo - 1);
        return d != 0 && d < modulo >> 1;
    }
}
