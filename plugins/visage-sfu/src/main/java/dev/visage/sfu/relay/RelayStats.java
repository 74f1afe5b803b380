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
        RelayLegStats s = leg.stats();
        retiredPacketsSent.addAndGet(s.packetsSent());
        retiredPacketsReceived.addAndGet(s.packetsReceived());
        retiredBytesSent.addAndGet(s.bytesSent());
        retiredBytesReceived.addAndGet(s.bytesReceived());
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
            RelayLegStats s = l.stats();
            ps += s.packetsSent();
            pr += s.packetsReceived();
            bs += s.bytesSent();
            br += s.bytesReceived();
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
        m.put("visage_relay_dropped_unknown_source_total", socket.droppedUnknownSource());
        m.put("visage_relay_signalling_errors_total", signallingErrors.get());
        for (RelayLeg l : ls) {
            String p = "{peer=\"" + l.peer + "\"}";
            m.put("visage_relay_leg_ready" + p, l.isReady() ? 1 : 0);
            m.put("visage_relay_leg_streams_out" + p, l.streamsOut());
            m.put("visage_relay_leg_streams_in" + p, l.tracksIn());
            l.stats().putMetrics(m, p);
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
            l.stats().putSummary(m);
            out.add(m);
        }
        return out;
    }
}
