package dev.visage.api.media;

import java.util.Map;

/**
 * Where a media endpoint sends signalling to its client (over the client's WebSocket). Messages
 * are JSON-shaped maps: String, Number, Boolean, List and Map values, with a {@code type} key.
 * {@link #send} queues the message and returns at once, whatever the client does: an engine may
 * call it while holding its own locks or from its timer, which its media path also needs.
 */
@FunctionalInterface
public interface SignalSink {
    void send(Map<String, Object> message);
}
