package dev.visage.sfu.bwe;

import dev.visage.sfu.rtcp.TransportCcFeedback;

/**
 * Send-side bandwidth estimate of one subscriber transport (in the spirit of Google Congestion
 * Control): every RTP packet we send carries a transport-wide sequence number ({@link #onSent}
 * numbers and remembers it); the subscriber's transport-cc feedback says when each arrived, or
 * that it never did ({@link #onFeedback}). From that:
 * <ul>
 *   <li>delay-based: {@link InterArrivalDelta} (inter-group delay variation) →
 *       {@link TrendlineEstimator} (slope of the queueing delay) → {@link OveruseDetector}
 *       (adaptive threshold) → {@link AimdRateController};</li>
 *   <li>loss-based: {@link LossBasedControl} from the packets reported lost;</li>
 * </ul>
 * and the estimate is the smaller of the two; two probes in a row ({@link ProbeCluster}: packets
 * paced at the rate tried, their arrival showing what the path carries) can raise both at once.
 * The send path (forwarding threads, under the transport's send lock) and the feedback path (the
 * subscriber's receive thread) meet under this object's monitor; neither allocates.
 */
public final class SendSideEstimator implements TransportCcFeedback.Visitor {
    /** Where a new transport starts: high enough for the large layers, cut within a second if the path is not. */
    public static final long INITIAL_BPS = 2_500_000;
    public static final long MIN_BPS = 50_000;
    public static final long MAX_BPS = 20_000_000;
    /** Bytes a packet costs on the wire beyond its RTP length: SRTP tag, UDP, IPv4, Ethernet. */
    public static final int WIRE_OVERHEAD = 16 + 8 + 20 + 14;
    /** Two probes this close together confirm each other (the prober sends the next as soon as one that found room is judged). */
    static final long CONFIRM_NANOS = 3_000_000_000L;
    static final long AFTER_CUT_NANOS = 5_000_000_000L;
    static final long DRAINED_MICROS = 30_000;

    private final SentPacketHistory sent = new SentPacketHistory();
    private final InterArrivalDelta interArrival = new InterArrivalDelta();
    private final TrendlineEstimator trendline = new TrendlineEstimator();
    private final OveruseDetector detector = new OveruseDetector();
    private final AimdRateController delayBased = new AimdRateController(INITIAL_BPS, MIN_BPS, MAX_BPS);
    private final LossBasedControl lossBased = new LossBasedControl(INITIAL_BPS, MIN_BPS, MAX_BPS);
    private final AckedBitrate acked = new AckedBitrate();
    private final ProbeCluster probe = new ProbeCluster();
    private long lastProbeBps;
    private long previousProbeBps;
    private long previousProbeNanos;
    private final StandingQueue standingQueue = new StandingQueue();
    private long probes;
    private long lastCutNanos;
    private int nextSeq;
    private volatile long estimateBps = INITIAL_BPS;
    private volatile OveruseDetector.Signal lastSignal = OveruseDetector.Signal.NORMAL;
    /** Some group of the feedback being read was overuse (the rate reacts to it even if the last was not). */
    private boolean overuseInFeedback;
    private long feedbacks;
    private long malformedFeedbacks;
    private long overuses;

    /** Send path: the transport-wide sequence number the next packet sent gets. */
    public synchronized int nextSequence() {
        return nextSeq;
    }

    /** Send path: the packet numbered {@link #nextSequence()} ({@code rtpBytes} long) is sent now. */
    public synchronized void onSent(int rtpBytes, long nowNanos) {
        onSent(rtpBytes, nowNanos, 0);
    }

    /** {@link #onSent(int, long)} for a packet of probe cluster {@code cluster} (0: none). */
    public synchronized void onSent(int rtpBytes, long nowNanos, int cluster) {
        sent.record(nextSeq, rtpBytes + WIRE_OVERHEAD, nowNanos, cluster);
        nextSeq = (nextSeq + 1) & 0xFFFF;
        if (cluster != 0 && cluster == probe.id()) {
            probe.onSent(rtpBytes + WIRE_OVERHEAD, nowNanos);
        }
    }

    /**
     * Starts a probe towards {@code targetBps}: the caller sends its {@code packets} packets
     * (tagged with the id returned), paced at that rate. Its result, if higher and confirmed by
     * the next, becomes the estimate.
     */
    public synchronized int startProbe(long targetBps, int packets, long nowNanos) {
        probes++;
        return probe.start(targetBps, packets, nowNanos);
    }

    /** A probe is out and not judged yet. */
    public synchronized boolean probing() {
        return probe.active();
    }

    /** What the last probe showed (bit/s), 0 if it showed nothing or none was sent. */
    public synchronized long lastProbeBps() {
        return lastProbeBps;
    }

    /** The last probe showed most of what it tried ({@link ProbeCluster#FOUND_PERCENT}). */
    public synchronized boolean lastProbeFoundRoom() {
        return probe.foundRoom();
    }

    /** The queue standing on the path now (us), as {@link StandingQueue} reads it. */
    public synchronized long standingQueueMicros() {
        return standingQueue.queueMicros();
    }

    /**
     * The queue a cut of the estimate (overuse, loss) left behind has not drained: within
     * {@value #AFTER_CUT_NANOS} ns of a cut, a standing queue of over {@value #DRAINED_MICROS} us.
     * Only after a cut: on an open path a busy browser that reads its socket late looks like a
     * standing queue too (36-62 ms seen here after a page climbed back to three 640-wide cameras;
     * gated on the queue alone, it took up to 18 s to climb back).
     */
    public synchronized boolean cutQueueStands(long nowNanos) {
        return lastCutNanos != 0 && nowNanos - lastCutNanos < AFTER_CUT_NANOS
                && standingQueue.queueMicros() > DRAINED_MICROS;
    }

    /**
     * Receive path: one transport-cc feedback packet at {@code b[at..at+plen)}. Returns false
     * (changing nothing) when it is malformed.
     */
    public synchronized boolean onFeedback(byte[] b, int at, int plen, long nowNanos) {
        if (TransportCcFeedback.read(b, at, plen, this) < 0) {
            malformedFeedbacks++;
            return false;
        }
        feedbacks++;
        long ackedBps = acked.bps();
        OveruseDetector.Signal signal = overuseInFeedback ? OveruseDetector.Signal.OVERUSE : lastSignal;
        if (overuseInFeedback) {
            overuses++;
        }
        overuseInFeedback = false;
        long delay = delayBased.update(signal, ackedBps, nowNanos);
        long loss = lossBased.update(delay, nowNanos);
        if (probe.active() && probe.complete(nowNanos)) {
            lastProbeBps = probe.finish();
            long confirmed = confirmProbe(lastProbeBps, nowNanos);
            if (confirmed > Math.min(delay, loss) && signal != OveruseDetector.Signal.OVERUSE) {
                delay = delayBased.raiseTo(confirmed);
                loss = lossBased.raiseTo(confirmed);
            }
        }
        long estimate = Math.min(delay, loss);
        if (estimate < estimateBps) {
            lastCutNanos = nowNanos;
        }
        estimateBps = estimate;
        return true;
    }

    /**
     * What two probes in a row (within {@value #CONFIRM_NANOS} ns) agree the path carries: the
     * lower of the two readings. One probe alone can read a 300 kbit/s cap as 900 kbit/s when a
     * busy machine (the receiver's thread, or the switch the cap is played in) delivers its
     * packets late and together; raised on that, the layers rose into the cap and lost 9-21 %.
     */
    private long confirmProbe(long shownBps, long nowNanos) {
        long previous = nowNanos - previousProbeNanos <= CONFIRM_NANOS ? previousProbeBps : 0;
        previousProbeBps = shownBps;
        previousProbeNanos = nowNanos;
        return Math.min(shownBps, previous);
    }

    /** Visitor: one packet's status from the feedback being read (under this monitor). */
    @Override
    public void onStatus(int seq, long arrivalMicros) {
        if (!sent.has(seq)) {
            return; // not ours, or reported before
        }
        boolean probed = probe.active() && sent.cluster(seq) == probe.id();
        if (arrivalMicros == TransportCcFeedback.NOT_RECEIVED) {
            lossBased.onLost();
            if (probed) {
                probe.onLost();
            }
            sent.forget(seq);
            return;
        }
        lossBased.onReceived();
        int size = sent.size(seq);
        if (probed) {
            probe.onReceived(arrivalMicros, size);
        }
        long sendMicros = sent.sentNanos(seq) / 1000;
        sent.forget(seq);
        acked.onReceived(arrivalMicros, size);
        standingQueue.onPacket(sendMicros, arrivalMicros);
        if (interArrival.onPacket(sendMicros, arrivalMicros)) {
            long sendDelta = interArrival.sendDeltaMicros();
            double variationMs = (interArrival.arrivalDeltaMicros() - sendDelta) / 1000.0;
            double trend = trendline.update(variationMs, interArrival.completedArrivalMicros());
            lastSignal = detector.detect(trend, trendline.deltas(), sendDelta, interArrival.completedArrivalMicros());
            overuseInFeedback |= lastSignal == OveruseDetector.Signal.OVERUSE;
        }
    }

    /** The estimate now (bit/s): what this transport's subscriber can receive. */
    public long estimateBps() {
        return estimateBps;
    }

    public synchronized long ackedBps() {
        return acked.bps();
    }

    public synchronized double lossFraction() {
        return lossBased.lastLossFraction();
    }

    public String signal() {
        return lastSignal.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The delay-based part of the estimate (bit/s). */
    public synchronized long delayBasedBps() {
        return delayBased.rateBps();
    }

    /** The loss-based part of the estimate (bit/s). */
    public synchronized long lossBasedBps() {
        return lossBased.rateBps();
    }

    /** Feedback packets that brought overuse (each cut the delay-based rate). */
    public synchronized long overuses() {
        return overuses;
    }

    public synchronized long probes() {
        return probes;
    }

    public synchronized long feedbacks() {
        return feedbacks;
    }

    public synchronized long malformedFeedbacks() {
        return malformedFeedbacks;
    }
}
