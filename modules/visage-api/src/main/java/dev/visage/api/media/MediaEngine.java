package dev.visage.api.media;

import dev.visage.api.plugin.Plugin;
import dev.visage.api.relay.RelayBus;

import java.util.List;
import java.util.Map;

/** The media plugin: the SFU that terminates WebRTC transports and forwards RTP. */
public interface MediaEngine extends Plugin {

    /** Called once the participant's WebSocket has joined the room. */
    MediaEndpoint join(Participant participant, SignalSink sink);

    /**
     * Connects the engine to the cluster once both are started, so rooms spanning nodes can be
     * relayed. An engine without a relay ignores it.
     */
    default void attach(RelayBus bus) {
    }

    /**
     * Counters for /metrics: Prometheus metric name to value. A name may carry its own labels,
     * e.g. {@code visage_relay_packets_sent_total{peer="node-2"}}; the node adds its own.
     */
    Map<String, Number> metrics();

    /**
     * Quality of each stream of the room on this node (bitrate, rtt, jitter, loss, ...), as
     * JSON-shaped maps for {@code GET /api/rooms/{id}/stats}.
     */
    default List<Map<String, Object>> streamStats(String roomId) {
        return List.of();
    }

    /**
     * This node's relay legs to other nodes (peer, ready, bytes and packets each way, rtt, loss),
     * as JSON-shaped maps for the operators' console. An engine without a relay has none.
     */
    default List<Map<String, Object>> relayStats() {
        return List.of();
    }
}
