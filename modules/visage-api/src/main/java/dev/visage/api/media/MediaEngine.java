package dev.visage.api.media;

import dev.visage.api.plugin.Plugin;
import dev.visage.api.relay.RelayBus;

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

    /** Counters for /metrics: Prometheus metric name to value. */
    Map<String, Number> metrics();
}
