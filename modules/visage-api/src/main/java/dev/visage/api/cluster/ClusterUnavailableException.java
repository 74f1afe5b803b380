package dev.visage.api.cluster;

/**
 * The cluster backend cannot serve this call right now: it is unreachable, or the room stayed
 * locked by another call for too long. Worth retrying; the node answers 503 {@code unavailable}.
 * The message is written for clients (it names no hosts); the cause is for the node's log.
 */
public class ClusterUnavailableException extends RuntimeException {

    public ClusterUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public ClusterUnavailableException(String message) {
        super(message);
    }
}
