package dev.visage.api.media;

import dev.visage.api.plugin.Plugin;

import java.util.Map;

/** The media plugin: the SFU that terminates WebRTC transports and forwards RTP. */
public interface MediaEngine extends Plugin {

    /** Called once the participant's WebSocket has joined the room. */
    MediaEndpoint join(Participant participant, SignalSink sink);

    /** Counters for /metrics: Prometheus metric name to value. */
    Map<String, Number> metrics();
}
