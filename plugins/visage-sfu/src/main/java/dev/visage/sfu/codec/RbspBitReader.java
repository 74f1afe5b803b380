package dev.visage.sfu.codec;

/**
 * Reads the bits of an H.264 NAL unit's payload in place (ITU-T H.264 7.2): fixed-width fields,
 * unsigned and signed exp-Golomb codes, skipping the emulation-prevention bytes (00 00 03) the
 * encoder inserted. Reading past the end yields zeros and sets {@link #overrun()}, so a parser
 * checks once at the end instead of after every field. One instance per receiving thread, reset
 * for each NAL unit; nothing here allocates.
 */
public final class RbspBitReader {
    private byte[] buf;
    private int next;
    private int end;
    private int zeros;
    private int current;
    private int bitsLeft;
    private boolean overrun;

    /** Starts reading {@code b[from..to)}. */
    public void reset(byte[] b, int from, int to) {
        buf = b;
        next = from;
        end = to;
        zeros = 0;
        bitsLeft = 0;
        overrun = false;
    }

    /** True once a read went past the end (the values read since are zeros). */
    public boolean overrun() {
        return overrun;
    }

    public int bit() {
        if (bitsLeft == 0 && !loadByte()) {
            overrun = true;
            return 0;
        }
        bitsLeft--;
        return (current >>> bitsLeft) & 1;
    }

    /** An unsigned field of {@code n} bits (0..31). */
    public int bits(int n) {
        int v = 0;
        for (int i = 0; i < n; i++) {
            v = v << 1 | bit();
        }
        return v;
    }

    /** ue(v); a code longer than 31 bits (no valid field here has one) counts as an overrun. */
    public int ue() {
        int leadingZeros = 0;
        while (bit() == 0) {
            if (overrun || ++leadingZeros > 30) {
                overrun = true;
                return 0;
            }
        }
        return (1 << leadingZeros) - 1 + bits(leadingZeros);
    }

    /** se(v). */
    public int se() {
        int k = ue();
        return (k & 1) != 0 ? (k + 1) >>> 1 : -(k >>> 1);
    }

    private boolean loadByte() {
        if (next < end && zeros >= 2 && buf[next] == 3) {
            next++; // emulation prevention: 00 00 03 xx stands for 00 00 xx
            zeros = 0;
        }
        if (next >= end) {
            return false;
        }
        current = buf[next++] & 0xFF;
        zeros = current == 0 ? zeros + 1 : 0;
        bitsLeft = 8;
        return true;
    }
}
