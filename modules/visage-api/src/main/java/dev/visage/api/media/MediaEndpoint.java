package dev.visage.api.media;

import java.util.Map;

/** One participant's media presence on this node: its transports, tracks and signalling. */
public interface MediaEndpoint extends AutoCloseable {

    String sessionId();

    /**
     * A signalling message from the client (offer, answer, candidate, mute, ...). Returns false if
     * the type is not a media message, so the caller can report it as unknown.
     *
     * @throws IllegalArgumentException with a client-safe message when the payload is malformed
     */
    boolean onClientMessage(String type, Map<String, Object> message);

    @Override
    void close();
}
