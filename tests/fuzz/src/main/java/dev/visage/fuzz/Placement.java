package dev.visage.fuzz;

import java.util.Arrays;

/**
 * Where a fuzz target puts a packet before parsing it, so that reading outside the packet shows.
 * A receive loop hands parsers {@code (buf, off, len)} inside a larger buffer; a parser that reads
 * past {@code len} or ignores {@code off} gets bytes of another packet and parses garbage silently.
 */
public final class Placement {
    /** Not 0: a parser that ignores the offset reads the filler. */
    public static final int OFFSET = 7;
    private static final byte FILLER = (byte) 0xA5;

    private Placement() {
    }

    /** The packet at {@link #OFFSET} in an array that ends with it: a read past its end throws. */
    public static byte[] exact(byte[] packet) {
        byte[] b = new byte[OFFSET + packet.length];
        Arrays.fill(b, 0, OFFSET, FILLER);
        System.arraycopy(packet, 0, b, OFFSET, packet.length);
        return b;
    }

    /**
     * The packet at {@link #OFFSET}, followed by {@code slack} bytes of {@code fill}: parse it with
     * two different fills and compare, and a read past the packet shows as a different result.
     */
    public static byte[] followedBy(byte[] packet, int slack, byte fill) {
        byte[] b = new byte[OFFSET + packet.length + slack];
        Arrays.fill(b, FILLER);
        System.arraycopy(packet, 0, b, OFFSET, packet.length);
        Arrays.fill(b, OFFSET + packet.length, b.length, fill);
        return b;
    }
}
