package dev.visage.sfu.bwe;

/**
 * Groups packets sent within a burst ({@value #BURST_MICROS} us of the group's first) and, as each
 * group completes, gives the change in one-way delay between it and the previous group: (arrival
 * of its last packet - the previous group's) minus (send time of its last packet - the previous
 * group's). A queue growing on the path shows as positive variations (GCC's inter-group delay
 * variation, RFC draft-ietf-rmcat-gcc section 5.2).
 *
 * <p>A packet that arrives within {@value #BURST_MICROS} us of the group's last and sooner after it
 * than it was sent after it also joins the group (up to {@value #MAX_BURST_MICROS} us of arrivals):
 * a receiver whose thread was descheduled reads what queued meanwhile all at once, and those
 * arrival times say "late, then together", not "a queue on the path". Without this, a browser on a
 * busy machine stalling 40 ms every second and a half drove the estimate of an open path from 2.5
 * to 0.66 Mbit/s (SendSideEstimatorTest), as the real pages' estimates sagged here.
 */
final class InterArrivalDelta {
    static final long BURST_MICROS = 5_000;
    /** A burst of arrivals joins one group for at most this long. */
    static final long MAX_BURST_MICROS = 100_000;
    /** Groups whose arrival goes backwards (reordering) or jumps this far are skipped. */
    private static final long MAX_ARRIVAL_GAP_MICROS = 3_000_000;

    private boolean hasGroup;
    private long groupFirstSend;
    private long groupFirstArrival;
    private long groupLastSend;
    private long groupLastArrival;
    private boolean hasPrevious;
    private long previousLastSend;
    private long previousLastArrival;

    // the last completed pair of groups
    private long sendDeltaMicros;
    private long arrivalDeltaMicros;
    private long completedArrivalMicros;

    /** Feeds a received packet (in send order); true when it completed a group (see the getters). */
    boolean onPacket(long sendMicros, long arrivalMicros) {
        if (!hasGroup) {
            startGroup(sendMicros, arrivalMicros);
            return false;
        }
        if (sendMicros - groupFirstSend <= BURST_MICROS || arrivedInBurst(sendMicros, arrivalMicros)) {
            groupLastSend = Math.max(groupLastSend, sendMicros);
            groupLastArrival = Math.max(groupLastArrival, arrivalMicros);
            return false;
        }
        boolean completed = false;
        if (hasPrevious) {
            long arrivalDelta = groupLastArrival - previousLastArrival;
            if (arrivalDelta >= 0 && arrivalDelta < MAX_ARRIVAL_GAP_MICROS) {
                sendDeltaMicros = groupLastSend - previousLastSend;
                arrivalDeltaMicros = arrivalDelta;
                completedArrivalMicros = groupLastArrival;
                completed = true;
            }
        }
        hasPrevious = true;
        previousLastSend = groupLastSend;
        previousLastArrival = groupLastArrival;
        startGroup(sendMicros, arrivalMicros);
        return completed;
    }

    private boolean arrivedInBurst(long sendMicros, long arrivalMicros) {
        long arrivalDelta = arrivalMicros - groupLastArrival;
        long sendDelta = sendMicros - groupLastSend;
        return arrivalDelta - sendDelta < 0 && arrivalDelta <= BURST_MICROS
                && arrivalMicros - groupFirstArrival < MAX_BURST_MICROS;
    }

    private void startGroup(long sendMicros, long arrivalMicros) {
        hasGroup = true;
        groupFirstSend = sendMicros;
        groupFirstArrival = arrivalMicros;
        groupLastSend = sendMicros;
        groupLastArrival = arrivalMicros;
    }

    long sendDeltaMicros() {
        return sendDeltaMicros;
    }

    long arrivalDeltaMicros() {
        return arrivalDeltaMicros;
    }

    long completedArrivalMicros() {
        return completedArrivalMicros;
    }
}
