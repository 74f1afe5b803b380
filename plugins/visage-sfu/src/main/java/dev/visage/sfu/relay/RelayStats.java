package dev.visage.sfu.relay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The relay's counters and their views: the totals and per-leg series for /metrics and one entry
 * per leg for the operators' console. Counts of the legs still open are read from them; what
 * closed legs carried is kept here so the totals never go down.
 *
 * <p>Threads: written by the relay thread, read by any (the /metrics servlet, the console).
 */
final class RelayStats {
    private final RelaySocket socket;
    private final AtomicLong retiredPacketsSent = new AtomicLong();
    private final AtomicLong retiredPacketsReceived = new AtomicLong();
    private final AtomicLong retiredBytesSent = new AtomicLong();
    private final AtomicLong retiredBytesReceived = new AtomicLong();
    private final AtomicLong legsOpened = new AtomicLong();
    private final AtomicLong legsFailed = new AtomicLong();
    private final AtomicLong signallingErrors = new AtomicLong();

    RelayStats(RelaySocket socket) {
        this.socket = socket;
    }

    void legOpened() {
        legsOpened.incrementAndGet();
    }

    void legFailed() {
        legsFailed.incrementAndGet();
    }

    void signallingError() {
        signallingErrors.incrementAndGet();
    }

    /** A leg closes or is replaced: what it carried stays in the totals. */
    void retired(RelayLeg leg) {
        retiredPacketsSent.addAndGet(leg.packetsSent.get());
        retiredPacketsReceived.addAndGet(leg.packetsReceived.get());
        retiredBytesSent.addAndGet(leg.bytesSent.get());
        retiredBytesReceived.addAndGet(leg.bytesReceived.get());
    }

    /** Relayed streams this node sends: (local track, peer node) pairs. */
    static int streamsOut(RelayLeg[] legs) {
        int n = 0;
        for (RelayLeg l : legs) {
            n += l.streamsOut();
        }
        return n;
    }

    /** Relayed tracks this node receives (a simulcast track's layers count once, as streamsOut's do). */
    static int streamsIn(RelayLeg[] legs) {
        int n = 0;
        for (RelayLeg l : legs) {
            n += l.tracksIn();
        }
        return n;
    }

    /** See {@link Relay#metrics()}. */
    Map<String, Number> metrics(RelayLeg[] ls) {
        Map<String, Number> m = new LinkedHashMap<>();
        long ps = retiredPacketsSent.get();
        long pr = retiredPacketsReceived.get();
        long bs = retiredBytesSent.get();
        long br = retiredBytesReceived.get();
        int ready = 0;
        for (RelayLeg l : ls) {
            ps += l.packetsSent.get();
            pr += l.packetsReceived.get();
            bs += l.bytesSent.get();
            br += l.bytesReceived.get();
            ready += l.isReady() ? 1 : 0;
        }
        m.put("visage_relay_port", socket.port());
        m.put("visage_relay_legs", ls.length);
        m.put("visage_relay_legs_ready", ready);
        m.put("visage_relay_legs_opened_total", legsOpened.get());
        m.put("visage_relay_legs_failed_total", legsFailed.get());
        m.put("visage_relay_streams_out", streamsOut(ls));
        m.put("visage_relay_streams_in", streamsIn(ls));
        m.put("visage_relay_packets_sent_total", ps);
        m.put("visage_relay_packets_received_total", pr);
        m.put("visage_relay_bytes_sent_total", bs);
        m.put("visage_relay_bytes_received_total", br);
        m.put("visage_relay_dropped_unknown_source_total", socket.dropUnknownSource.get());
        m.put("visage_relay_signalling_errors_total", signallingErrors.get());
        for (RelayLeg l : ls) {
            String p = "{peer=\"" + l.peer + "\"}";
            m.put("visage_relay_leg_ready" + p, l.isReady() ? 1 : 0);
            m.put("visage_relay_leg_streams_out" + p, l.streamsOut());
            m.put("visage_relay_leg_streams_in" + p, l.tracksIn());
            m.put("visage_relay_leg_packets_sent_total" + p, l.packetsSent.get());
            m.put("visage_relay_leg_bytes_sent_total" + p, l.bytesSent.get());
            m.put("visage_relay_leg_packets_received_total" + p, l.packetsReceived.get());
            m.put("visage_relay_leg_bytes_received_total" + p, l.bytesReceived.get());
            m.put("visage_relay_leg_rtcp_sent_total" + p, l.rtcpSent.get());
            m.put("visage_relay_leg_rtcp_received_total" + p, l.rtcpReceived.get());
            m.put("visage_relay_leg_plis_sent_total" + p, l.plisSent.get());
            m.put("visage_relay_leg_plis_received_total" + p, l.plisReceived.get());
            m.put("visage_relay_leg_nacks_sent_total" + p, l.nacksSent.get());
            m.put("visage_relay_leg_nacks_received_total" + p, l.nacksReceived.get());
            m.put("visage_relay_leg_retransmissions_total" + p, l.retransmissions.get());
            m.put("visage_relay_leg_dropped_not_ready_total" + p, l.dropNotReady.get());
            m.put("visage_relay_leg_dropped_srtp_total" + p, l.dropSrtp.get());
            m.put("visage_relay_leg_dropped_unknown_ssrc_total" + p, l.dropUnknownSsrc.get());
            m.put("visage_relay_leg_send_errors_total" + p, l.sendErrors.get());
            m.put("visage_relay_leg_rtt_seconds" + p, l.rttMillis / 1000.0);
            m.put("visage_relay_leg_fraction_lost_received" + p, l.localFractionLost / 256.0);
            m.put("visage_relay_leg_packets_lost_received" + p, l.localCumulativeLost);
            m.put("visage_relay_leg_fraction_lost_sent" + p, l.remoteFractionLost / 256.0);
            m.put("visage_relay_leg_packets_lost_sent" + p, l.remoteCumulativeLost);
        }
        return m;
    }

    /** See {@link Relay#legStats()}. */
    static List<Map<String, Object>> legStats(RelayLeg[] legs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RelayLeg l : legs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("peer", l.peer);
            m.put("ready", l.isReady());
            m.put("streamsOut", l.streamsOut());
            m.put("streamsIn", l.tracksIn());
            m.put("bytesSent", l.bytesSent.get());
            m.put("bytesReceived", l.bytesReceived.get());
            m.put("packetsSent", l.packetsSent.get());
            m.put("packetsReceived", l.packetsReceived.get());
            m.put("rttMs", l.rttMillis);
            m.put("fractionLostReceived", l.localFractionLost / 256.0);
            m.put("fractionLostSent", l.remoteFractionLost / 256.0);
            out.add(m);
        }
        return out;
    }
}
