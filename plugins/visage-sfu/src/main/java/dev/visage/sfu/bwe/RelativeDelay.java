package dev.visage.sfu.bwe;

/**
 * How much later than the path's quickest packet lately a packet arrived: its one-way delay
 * (arrival on the receiver's clock minus send on ours, so with an unknown constant offset) minus
 * the smallest such delay of the last one or two {@value #WINDOW_MICROS} us windows of send time.
 * A queue on the path, or a receiver that read the packet late, shows as a positive value.
 */
final class RelativeDelay {
    static final long WINDOW_MICROS = 10_000_000;

    private long windowStart = Long.MIN_VALUE;
    private long minThisWindow = Long.MAX_VALUE;
    private long minLastWindow = Long.MAX_VALUE;

    /** A received packet; returns its delay over the quickest lately (us, 0 for the quickest). */
    long onPacket(long sendMicros, long arrivalMicros) {
        if (windowStart == Long.MIN_VALUE || sendMicros - windowStart >= WINDOW_MICROS) {
            windowStart = sendMicros;
            minLastWindow = minThisWindow;
            minThisWindow = Long.MAX_VALUE;
        }
        long oneWay = arrivalMicros - sendMicros;
        minThisWindow = Math.min(minThisWindow, oneWay);
        return oneWay - Math.min(minThisWindow, minLastWindow);
    }
}
