package dev.visage.api.media;

import java.util.Map;

/**
 * Where a media endpoint sends signalling to its client (over the client's WebSocket). Messages
 * are JSON-shaped maps: String, Number, Boolean, List and Map values, with a {@code type} key.
 */
@FunctionalInterface
public interface SignalSink {
    void send(Map<String, Object> message);
}
