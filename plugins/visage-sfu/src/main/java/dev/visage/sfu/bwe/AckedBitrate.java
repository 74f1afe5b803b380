package dev.visage.sfu.bwe;

/**
 * What the receiver got lately, in bit/s: the bytes of the packets acknowledged as received whose
 * arrival (the receiver's clock) is within the last {@value #WINDOW_MICROS} us of the latest one.
 * A ring of preallocated arrays; no allocation.
 */
final class AckedBitrate {
    static final long WINDOW_MICROS = 500_000;
    private static final int CAPACITY = 4096;

    private final long[] arrivals = new long[CAPACITY];
    private final int[] sizes = new int[CAPACITY];
    private int head;
    private int count;
    private long bytes;
    private long latest = Long.MIN_VALUE;

    void onReceived(long arrivalMicros, int size) {
        if (count == CAPACITY) {
            drop();
        }
        int i = (head + count) % CAPACITY;
        arrivals[i] = arrivalMicros;
        sizes[i] = size;
        count++;
        bytes += size;
        latest = Math.max(latest, arrivalMicros);
        while (count > 0 && arrivals[head] < latest - WINDOW_MICROS) {
            drop();
        }
    }

    private void drop() {
        bytes -= sizes[head];
        head = (head + 1) % CAPACITY;
        count--;
    }

    /** 0 until the window holds a few packets over a fair part of it. */
    long bps() {
        if (count < 4) {
            return 0;
        }
        long span = Math.max(latest - arrivals[head], WINDOW_MICROS / 2);
        return bytes * 8_000_000L / span;
    }
}
