package dev.visage.sfu.rtp;

/**
 * Static flyweight accessors over an RTP packet held in a byte array (RFC 3550). Nothing here
 * allocates; callers pass (buf, off, len) as received.
 */
public final class RtpPacket {
    public static final int FIXED_HEADER = 12;

    private RtpPacket() {
    }

    /** True when the bytes hold a structurally valid RTP header (version, CSRCs, extension, padding). */
    public static boolean isValid(byte[] b, int off, int len) {
        if (len < FIXED_HEADER || (b[off] & 0xC0) != 0x80) {
            return false;
        }
        int hl = headerLength(b, off, len);
        if (hl < 0 || hl > len) {
            return false;
        }
        if ((b[off] & 0x20) != 0) {
            int pad = b[off + len - 1] & 0xFF;
            return pad > 0 && hl + pad <= len;
        }
        return true;
    }

    /** Length of fixed header + CSRCs + extension, or -1 if truncated. */
    public static int headerLength(byte[] b, int off, int len) {
        int cc = b[off] & 0x0F;
        int hl = FIXED_HEADER + 4 * cc;
        if (hl > len) {
            return -1;
        }
        if ((b[off] & 0x10) != 0) {
            if (hl + 4 > len) {
                return -1;
            }
            int extWords = u16(b, off + hl + 2);
            hl += 4 + 4 * extWords;
            if (hl > len) {
                return -1;
            }
        }
        return hl;
    }

    public static int payloadType(byte[] b, int off) {
        return b[off + 1] & 0x7F;
    }

    public static void setPayloadType(byte[] b, int off, int pt) {
        b[off + 1] = (byte) ((b[off + 1] & 0x80) | (pt & 0x7F));
    }

    public static boolean marker(byte[] b, int off) {
        return (b[off + 1] & 0x80) != 0;
    }

    public static int sequence(byte[] b, int off) {
        return u16(b, off + 2);
    }

    public static void setSequence(byte[] b, int off, int seq) {
        b[off + 2] = (byte) (seq >> 8);
        b[off + 3] = (byte) seq;
    }

    public static long timestamp(byte[] b, int off) {
        return u32(b, off + 4);
    }

    public static int ssrc(byte[] b, int off) {
        return i32(b, off + 8);
    }

    public static void setSsrc(byte[] b, int off, int ssrc) {
        w32(b, off + 8, ssrc);
    }

    /** Offset (relative to off) of the header extension block's first element, or -1 if none. */
    public static int extensionDataOffset(byte[] b, int off) {
        if ((b[off] & 0x10) == 0) {
            return -1;
        }
        return FIXED_HEADER + 4 * (b[off] & 0x0F) + 4;
    }

    /** Profile word of the header extension (0xBEDE one-byte, 0x100x two-byte). */
    public static int extensionProfile(byte[] b, int off) {
        return u16(b, off + FIXED_HEADER + 4 * (b[off] & 0x0F));
    }

    public static int extensionLengthBytes(byte[] b, int off) {
        return 4 * u16(b, off + FIXED_HEADER + 4 * (b[off] & 0x0F) + 2);
    }

    /**
     * Finds a one-byte (RFC 8285) header extension element by id. Returns the offset (relative to
     * the array) of its data, and its length in the high bits: {@code (dataOffset << 8) | len}, or -1.
     */
    public static long findExtension(byte[] b, int off, int len, int id) {
        int ext = extensionDataOffset(b, off);
        if (ext < 0 || extensionProfile(b, off) != 0xBEDE) {
            return -1;
        }
        int end = ext + extensionLengthBytes(b, off);
        if (end > len) {
            return -1;
        }
        int i = ext;
        while (i < end) {
            int h = b[off + i] & 0xFF;
            if (h == 0) {
                i++;
                continue;
            }
            int eid = h >> 4;
            int elen = (h & 0x0F) + 1;
            if (eid == 15) {
                break;
            }
            if (i + 1 + elen > end) {
                return -1;
            }
            if (eid == id) {
                return ((long) (off + i + 1) << 8) | elen;
            }
            i += 1 + elen;
        }
        return -1;
    }

    /**
     * Rewrites one-byte header extension ids in place: {@code map[id]} is the new id, or 0 to turn
     * the element into padding (RFC 8285 allows zero bytes anywhere between elements). Two-byte
     * extensions are left alone. Returns false if the block is malformed.
     */
    public static boolean remapExtensions(byte[] b, int off, int len, byte[] map) {
        int ext = extensionDataOffset(b, off);
        if (ext < 0) {
            return true;
        }
        if (extensionProfile(b, off) != 0xBEDE) {
            return true;
        }
        int end = ext + extensionLengthBytes(b, off);
        if (end > len) {
            return false;
        }
        int i = ext;
        while (i < end) {
            int h = b[off + i] & 0xFF;
            if (h == 0) {
                i++;
                continue;
            }
            int eid = h >> 4;
            int elen = (h & 0x0F) + 1;
            if (eid == 15) {
                break;
            }
            if (i + 1 + elen > end) {
                return false;
            }
            int nid = map[eid] & 0x0F;
            if (nid == 0) {
                for (int k = 0; k <= elen; k++) {
                    b[off + i + k] = 0;
                }
            } else {
                b[off + i] = (byte) ((nid << 4) | (h & 0x0F));
            }
            i += 1 + elen;
        }
        return true;
    }

    /** Payload length without padding. */
    public static int payloadLength(byte[] b, int off, int len) {
        int hl = headerLength(b, off, len);
        int pad = (b[off] & 0x20) != 0 ? b[off + len - 1] & 0xFF : 0;
        return len - hl - pad;
    }

    public static int u16(byte[] b, int i) {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    public static long u32(byte[] b, int i) {
        return i32(b, i) & 0xFFFFFFFFL;
    }

    public static int i32(byte[] b, int i) {
        return ((b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }

    public static void w16(byte[] b, int i, int v) {
        b[i] = (byte) (v >> 8);
        b[i + 1] = (byte) v;
    }

    public static void w32(byte[] b, int i, int v) {
        b[i] = (byte) (v >> 24);
        b[i + 1] = (byte) (v >> 16);
        b[i + 2] = (byte) (v >> 8);
        b[i + 3] = (byte) v;
    }
}
