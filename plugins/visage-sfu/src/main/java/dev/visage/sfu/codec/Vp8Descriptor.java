package dev.visage.sfu.codec;

/**
 * Static flyweight over a VP8 RTP payload (RFC 7741): the payload descriptor at {@code at} (the
 * first byte after the RTP header), and the key-frame header of a frame's first packet. Nothing
 * here allocates.
 *
 * <pre>
 *  X R N S R PID      X: extension, S: start of a partition, PID: partition index
 *  I L T K RSV        (if X) I: picture id, L: TL0PICIDX, T: TID, K: KEYIDX
 *  M PictureID        (if I) M: 15-bit id, one more byte follows
 *  TL0PICIDX          (if L)
 *  TID Y KEYIDX       (if T or K)
 * </pre>
 */
public final class Vp8Descriptor {
    /** No picture id in the descriptor. */
    public static final int NONE = -1;

    private Vp8Descriptor() {
    }

    /** The descriptor's length in bytes, or -1 if the payload is too short for it. */
    public static int length(byte[] b, int at, int payloadLen) {
        if (payloadLen < 1) {
            return -1;
        }
        int n = 1;
        if ((b[at] & 0x80) != 0) {
            if (payloadLen < 2) {
                return -1;
            }
            int x = b[at + 1] & 0xFF;
            n = 2;
            if ((x & 0x80) != 0) {
                if (payloadLen < n + 1) {
                    return -1;
                }
                n += (b[at + n] & 0x80) != 0 ? 2 : 1;
            }
            if ((x & 0x40) != 0) {
                n++;
            }
            if ((x & 0x30) != 0) {
                n++;
            }
        }
        return n <= payloadLen ? n : -1;
    }

    /** True for the first packet of a key frame: start of partition 0 and the frame tag's P bit clear. */
    public static boolean isKeyFrameStart(byte[] b, int at, int payloadLen) {
        int d = length(b, at, payloadLen);
        if (d < 0 || d >= payloadLen) {
            return false;
        }
        boolean startOfFrame = (b[at] & 0x10) != 0 && (b[at] & 0x07) == 0;
        return startOfFrame && (b[at + d] & 0x01) == 0;
    }

    /**
     * Width and height of a key frame from its first packet ({@link #isKeyFrameStart}), as
     * {@code width << 16 | height} (scaling bits dropped), or 0 if the header is not all there.
     */
    public static int keyFrameSize(byte[] b, int at, int payloadLen) {
        int h = at + length(b, at, payloadLen);
        // frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height, little-endian
        if (h + 10 > at + payloadLen || (b[h + 3] & 0xFF) != 0x9d || b[h + 4] != 0x01 || b[h + 5] != 0x2a) {
            return 0;
        }
        int width = ((b[h + 6] & 0xFF) | (b[h + 7] & 0xFF) << 8) & 0x3FFF;
        int height = ((b[h + 8] & 0xFF) | (b[h + 9] & 0xFF) << 8) & 0x3FFF;
        return width << 16 | height;
    }

    /** Offset of the picture id's first byte, or {@link #NONE}. */
    public static int pictureIdOffset(byte[] b, int at, int payloadLen) {
        if (payloadLen < 3 || (b[at] & 0x80) == 0 || (b[at + 1] & 0x80) == 0) {
            return NONE;
        }
        return at + 2;
    }

    /** True when the picture id at {@code pidAt} has 15 bits (two bytes). */
    public static boolean longPictureId(byte[] b, int pidAt) {
        return (b[pidAt] & 0x80) != 0;
    }

    public static int pictureId(byte[] b, int pidAt) {
        return longPictureId(b, pidAt) ? ((b[pidAt] & 0x7F) << 8) | (b[pidAt + 1] & 0xFF) : b[pidAt] & 0x7F;
    }

    /** Writes a picture id in the field's own width (7 or 15 bits). */
    public static void setPictureId(byte[] b, int pidAt, int id) {
        if (longPictureId(b, pidAt)) {
            b[pidAt] = (byte) (0x80 | ((id >> 8) & 0x7F));
            b[pidAt + 1] = (byte) id;
        } else {
            b[pidAt] = (byte) (id & 0x7F);
        }
    }

    /** True for a frame's first packet: the start of partition 0. */
    public static boolean isFrameStart(byte[] b, int at, int payloadLen) {
        return payloadLen > 0 && (b[at] & 0x10) != 0 && (b[at] & 0x07) == 0;
    }

    /** The packet's temporal layer (TID, 0-3), or {@link #NONE} when the descriptor has none. */
    public static int temporalLayer(byte[] b, int at, int payloadLen) {
        if (payloadLen < 2 || (b[at] & 0x80) == 0 || (b[at + 1] & 0x20) == 0) {
            return NONE;
        }
        int x = b[at + 1] & 0xFF;
        int n = 2;
        if ((x & 0x80) != 0) {
            if (payloadLen < 3) {
                return NONE;
            }
            n += (b[at + 2] & 0x80) != 0 ? 2 : 1;
        }
        if ((x & 0x40) != 0) {
            n++;
        }
        return n < payloadLen ? (b[at + n] & 0xFF) >>> 6 : NONE;
    }

    /** Offset of TL0PICIDX, or {@link #NONE}. */
    public static int tl0PicIdxOffset(byte[] b, int at, int payloadLen) {
        if (payloadLen < 2 || (b[at] & 0x80) == 0 || (b[at + 1] & 0x40) == 0) {
            return NONE;
        }
        int n = 2;
        if ((b[at + 1] & 0x80) != 0) {
            n += (b[at + 2] & 0x80) != 0 ? 2 : 1;
        }
        return n < payloadLen ? at + n : NONE;
    }
}
