package dev.visage.sfu;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Engine-wide counters, exported through {@code MediaEngine.metrics()} with Prometheus names. */
public final class SfuMetrics {
    public final AtomicLong packetsReceived = new AtomicLong();
    public final AtomicLong bytesReceived = new AtomicLong();
    public final AtomicLong rtpReceived = new AtomicLong();
    public final AtomicLong rtcpReceived = new AtomicLong();
    public final AtomicLong rtpForwarded = new AtomicLong();
    public final AtomicLong rtcpSent = new AtomicLong();
    public final AtomicLong dtlsReceived = new AtomicLong();
    public final AtomicLong dropUnknown = new AtomicLong();
    public final AtomicLong dropStunOnMediaPath = new AtomicLong();
    public final AtomicLong dropMalformedRtp = new AtomicLong();
    public final AtomicLong dropMalformedRtcp = new AtomicLong();
    public final AtomicLong dropNotReady = new AtomicLong();
    public final AtomicLong dropSrtpAuth = new AtomicLong();
    public final AtomicLong dropSrtpReplay = new AtomicLong();
    public final AtomicLong dropSrtpOther = new AtomicLong();
    public final AtomicLong dropDtlsQueueFull = new AtomicLong();
    public final AtomicLong dropUnknownSsrc = new AtomicLong();
    public final AtomicLong dropRtx = new AtomicLong();
    public final AtomicLong dtlsFailures = new AtomicLong();
    public final AtomicLong dtlsHandshakes = new AtomicLong();
    public final AtomicLong iceFailures = new AtomicLong();
    public final AtomicLong consentTimeouts = new AtomicLong();
    public final AtomicLong nacksReceived = new AtomicLong();
    public final AtomicLong nacksSent = new AtomicLong();
    public final AtomicLong recovered = new AtomicLong();
    /** Publisher packets NACKed the maximum number of times and given up. */
    public final AtomicLong nackGaveUp = new AtomicLong();
    /** Sum of gap-detected-to-recovered times of the publisher packets recovered (µs; divide by recovered). */
    public final AtomicLong nackRecoveryMicros = new AtomicLong();
    public final AtomicLong nackRecoveryMaxMicros = new AtomicLong();
    public final AtomicLong retransmissions = new AtomicLong();
    public final AtomicLong retransmissionsMissing = new AtomicLong();
    /** NACKed packets not resent: already resent within the subscriber's RTT. */
    public final AtomicLong resendsSuppressedRtt = new AtomicLong();
    /** NACKed packets not resent: already resent the maximum number of times. */
    public final AtomicLong resendsSuppressedCount = new AtomicLong();
    /** NACKed packets not resent: the subscriber's resend budget (share of forwarded packets) is used up. */
    public final AtomicLong resendsSuppressedBudget = new AtomicLong();
    public final AtomicLong plisSent = new AtomicLong();
    public final AtomicLong plisSuppressed = new AtomicLong();
    public final AtomicLong sendErrors = new AtomicLong();
    public final AtomicLong handlerErrors = new AtomicLong();
    public final AtomicLong debugDropped = new AtomicLong();
    /** Packets sent to a transport-cc subscriber without our sequence number (no room, two-byte extensions). */
    public final AtomicLong transportCcUnstamped = new AtomicLong();
    /** Transport-cc feedback packets from subscribers used, and dropped as malformed or unexpected. */
    public final AtomicLong transportCcFeedback = new AtomicLong();
    public final AtomicLong transportCcFeedbackDropped = new AtomicLong();
    /** RTX copies sent to subscribers as bandwidth probes. */
    public final AtomicLong probePackets = new AtomicLong();

    /**
     * Steps of the packet chain that have no counter of their own above (see the plugin's README):
     * exported as {@code visage_sfu_chain_packets_total{step="..."}}.
     */
    public enum Step {
        /** A publisher's RTX answer to our NACK, unwrapped into its stream. */
        RTX_UNWRAPPED("rtx-unwrap"),
        /** A packet (local or relayed) cached, inspected and handed to its track's consumers. */
        FANNED_OUT("fan-out"),
        /** A consumer took a packet (its layer, past its switch, not thinned) for rewrite and send. */
        CONSUMER_ACCEPTED("consumer-accept"),
        /** A local publisher's packet handed to the relay (once, whatever the number of far nodes). */
        RELAYED("relay");

        final String label;

        Step(String label) {
            this.label = label;
        }
    }

    /** Counted from many receive threads at once: striped, so they do not contend for one line. */
    private final LongAdder[] steps = new LongAdder[Step.values().length];

    {
        for (int i = 0; i < steps.length; i++) {
            steps[i] = new LongAdder();
        }
    }

    public void step(Step s) {
        steps[s.ordinal()].increment();
    }

    public long stepCount(Step s) {
        return steps[s.ordinal()].sum();
    }

    public Map<String, Number> snapshot(int endpoints, int rooms) {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("visage_sfu_endpoints", endpoints);
        m.put("visage_sfu_rooms", rooms);
        m.put("visage_sfu_packets_received_total", packetsReceived.get());
        m.put("visage_sfu_bytes_received_total", bytesReceived.get());
        m.put("visage_sfu_rtp_received_total", rtpReceived.get());
        m.put("visage_sfu_rtcp_received_total", rtcpReceived.get());
        m.put("visage_sfu_rtp_forwarded_total", rtpForwarded.get());
        m.put("visage_sfu_rtcp_sent_total", rtcpSent.get());
        m.put("visage_sfu_dtls_packets_received_total", dtlsReceived.get());
        m.put("visage_sfu_dtls_handshakes_total", dtlsHandshakes.get());
        m.put("visage_sfu_dtls_failures_total", dtlsFailures.get());
        m.put("visage_sfu_ice_failures_total", iceFailures.get());
        m.put("visage_sfu_consent_timeouts_total", consentTimeouts.get());
        m.put("visage_sfu_dropped_unknown_total", dropUnknown.get());
        m.put("visage_sfu_dropped_stun_total", dropStunOnMediaPath.get());
        m.put("visage_sfu_dropped_malformed_rtp_total", dropMalformedRtp.get());
        m.put("visage_sfu_dropped_malformed_rtcp_total", dropMalformedRtcp.get());
        m.put("visage_sfu_dropped_not_ready_total", dropNotReady.get());
        m.put("visage_sfu_dropped_srtp_auth_total", dropSrtpAuth.get());
        m.put("visage_sfu_dropped_srtp_replay_total", dropSrtpReplay.get());
        m.put("visage_sfu_dropped_srtp_other_total", dropSrtpOther.get());
        m.put("visage_sfu_dropped_dtls_queue_full_total", dropDtlsQueueFull.get());
        m.put("visage_sfu_dropped_unknown_ssrc_total", dropUnknownSsrc.get());
        m.put("visage_sfu_dropped_rtx_total", dropRtx.get());
        m.put("visage_sfu_nack_requested_packets_total", nacksReceived.get());
        m.put("visage_sfu_retransmissions_total", retransmissions.get());
        m.put("visage_sfu_nacks_sent_total", nacksSent.get());
        m.put("visage_sfu_recovered_total", recovered.get());
        m.put("visage_sfu_nack_gave_up_total", nackGaveUp.get());
        m.put("visage_sfu_nack_recovery_micros_total", nackRecoveryMicros.get());
        m.put("visage_sfu_nack_recovery_max_micros", nackRecoveryMaxMicros.get());
        m.put("visage_sfu_retransmissions_missing_total", retransmissionsMissing.get());
        m.put("visage_sfu_retransmissions_suppressed_total",
                resendsSuppressedRtt.get() + resendsSuppressedCount.get() + resendsSuppressedBudget.get());
        m.put("visage_sfu_retransmissions_suppressed_rtt_total", resendsSuppressedRtt.get());
        m.put("visage_sfu_retransmissions_suppressed_count_total", resendsSuppressedCount.get());
        m.put("visage_sfu_retransmissions_suppressed_budget_total", resendsSuppressedBudget.get());
        m.put("visage_sfu_pli_sent_total", plisSent.get());
        m.put("visage_sfu_pli_suppressed_total", plisSuppressed.get());
        m.put("visage_sfu_send_errors_total", sendErrors.get());
        m.put("visage_sfu_handler_errors_total", handlerErrors.get());
        m.put("visage_sfu_debug_dropped_total", debugDropped.get());
        m.put("visage_sfu_transport_cc_unstamped_total", transportCcUnstamped.get());
        m.put("visage_sfu_transport_cc_feedback_total", transportCcFeedback.get());
        m.put("visage_sfu_transport_cc_feedback_dropped_total", transportCcFeedbackDropped.get());
        m.put("visage_sfu_bwe_probe_packets_total", probePackets.get());
        for (Step s : Step.values()) {
            m.put("visage_sfu_chain_packets_total{step=\"" + s.label + "\"}", stepCount(s));
        }
        return m;
    }
}
