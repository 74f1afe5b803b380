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

    /** The participant left on purpose: its streams end for everyone at once. */
    default void leave() {
        close();
    }

    /**
     * The participant's connection ended without a leave. An engine may keep its streams open for
     * the others a short while, so the same user reconnecting continues them.
     */
    @Override
    void close();
}
