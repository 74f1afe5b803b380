package dev.visage.sfu.relay;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One leg's counters: what crossed it each way, what was dropped and why, feedback, RTT and loss
 * both ways. Counted on the media threads (no allocation, no lock but the counters' own), read by
 * the leg's report timer and by {@link RelayStats}.
 */
final class RelayLegStats {
    private final AtomicLong packetsSent = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong packetsReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong rtcpSent = new AtomicLong();
    private final AtomicLong rtcpReceived = new AtomicLong();
    private final AtomicLong droppedNotReady = new AtomicLong();
    private final AtomicLong droppedSrtp = new AtomicLong();
    private final AtomicLong droppedUnknownSsrc = new AtomicLong();
    private final AtomicLong sendErrors = new AtomicLong();
    private final AtomicLong plisSent = new AtomicLong();
    private final AtomicLong plisReceived = new AtomicLong();
    private final AtomicLong nacksSent = new AtomicLong();
    private final AtomicLong nacksReceived = new AtomicLong();
    private final AtomicLong retransmissions = new AtomicLong();
    private volatile double rttMillis = -1;
    /** Loss the peer reports for what we send (max over our streams): fraction 0..255 and cumulative. */
    private volatile int remoteFractionLost;
    private volatile long remoteCumulativeLost;
    /** Loss we measure on what we receive (sum over streams, last report interval). */
    private volatile int localFractionLost;
    private volatile long localCumulativeLost;

    // ---------------------------------------------------------------- counting (media threads)

    /** One RTP or RTCP packet of {@code bytes} (protected) sent. */
    void sent(boolean rtcp, int bytes) {
        (rtcp ? rtcpSent : packetsSent).incrementAndGet();
        bytesSent.addAndGet(bytes);
    }

    /** A datagram of {@code bytes} arrived from the peer (before decryption). */
    void arrived(int bytes) {
        bytesReceived.addAndGet(bytes);
    }

    void rtpReceived() {
        packetsReceived.incrementAndGet();
    }

    void rtcpReceived() {
        rtcpReceived.incrementAndGet();
    }

    /** A packet offered or received while the leg could not handle it (not ready, or closed). */
    void droppedNotReady() {
        droppedNotReady.incrementAndGet();
    }

    /** A datagram that failed SRTP authentication or decryption. */
    void droppedSrtp() {
        droppedSrtp.incrementAndGet();
    }

    /** An RTP packet for no stream we receive. */
    void droppedUnknownSsrc() {
        droppedUnknownSsrc.incrementAndGet();
    }

    void sendError() {
        sendErrors.incrementAndGet();
    }

    void pliSent() {
        plisSent.incrementAndGet();
    }

    void pliReceived() {
        plisReceived.incrementAndGet();
    }

    void nackSent() {
        nacksSent.incrementAndGet();
    }

    /** One packet the peer asked for again (a NACK names several). */
    void nackReceived() {
        nacksReceived.incrementAndGet();
    }

    void retransmitted() {
        retransmissions.incrementAndGet();
    }

    void rtt(double millis) {
        rttMillis = millis;
    }

    /** Loss the peer reports for what we send. */
    void lossOfSent(int fraction, long cumulative) {
        remoteFractionLost = fraction;
        remoteCumulativeLost = cumulative;
    }

    /** Loss we measure on what we receive. */
    void lossOfReceived(int fraction, long cumulative) {
        localFractionLost = fraction;
        localCumulativeLost = cumulative;
    }

    // ---------------------------------------------------------------- reading

    long packetsSent() {
        return packetsSent.get();
    }

    long bytesSent() {
        return bytesSent.get();
    }

    long packetsReceived() {
        return packetsReceived.get();
    }

    long bytesReceived() {
        return bytesReceived.get();
    }

    /** The leg's series for /metrics, {@code peer} being the label to append to each name. */
    void putMetrics(Map<String, Number> m, String peer) {
        m.put("visage_relay_leg_packets_sent_total" + peer, packetsSent.get());
        m.put("visage_relay_leg_bytes_sent_total" + peer, bytesSent.get());
        m.put("visage_relay_leg_packets_received_total" + peer, packetsReceived.get());
        m.put("visage_relay_leg_bytes_received_total" + peer, bytesReceived.get());
        m.put("visage_relay_leg_rtcp_sent_total" + peer, rtcpSent.get());
        m.put("visage_relay_leg_rtcp_received_total" + peer, rtcpReceived.get());
        m.put("visage_relay_leg_plis_sent_total" + peer, plisSent.get());
        m.put("visage_relay_leg_plis_received_total" + peer, plisReceived.get());
        m.put("visage_relay_leg_nacks_sent_total" + peer, nacksSent.get());
        m.put("visage_relay_leg_nacks_received_total" + peer, nacksReceived.get());
        m.put("visage_relay_leg_retransmissions_total" + peer, retransmissions.get());
        m.put("visage_relay_leg_dropped_not_ready_total" + peer, droppedNotReady.get());
        m.put("visage_relay_leg_dropped_srtp_total" + peer, droppedSrtp.get());
        m.put("visage_relay_leg_dropped_unknown_ssrc_total" + peer, droppedUnknownSsrc.get());
        m.put("visage_relay_leg_send_errors_total" + peer, sendErrors.get());
        m.put("visage_relay_leg_rtt_seconds" + peer, rttMillis / 1000.0);
        m.put("visage_relay_leg_fraction_lost_received" + peer, localFractionLost / 256.0);
        m.put("visage_relay_leg_packets_lost_received" + peer, localCumulativeLost);
        m.put("visage_relay_leg_fraction_lost_sent" + peer, remoteFractionLost / 256.0);
        m.put("visage_relay_leg_packets_lost_sent" + peer, remoteCumulativeLost);
    }

    /** The leg's traffic, RTT and loss for the operators' console. */
    void putSummary(Map<String, Object> m) {
        m.put("bytesSent", bytesSent.get());
        m.put("bytesReceived", bytesReceived.get());
        m.put("packetsSent", packetsSent.get());
        m.put("packetsReceived", packetsReceived.get());
        m.put("rttMs", rttMillis);
        m.put("fractionLostReceived", localFractionLost / 256.0);
        m.put("fractionLostSent", remoteFractionLost / 256.0);
    }
}
