package dev.visage.core.error;

import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.plugin.StoreUnavailableException;

/**
 * A failure the client caused or must know about, with a stable machine-readable code. The web
 * layer maps it to an HTTP status or a WebSocket {@code {type:"error"}} message.
 */
public class VisageException extends RuntimeException {

    private final ErrorCode code;

    public VisageException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    private VisageException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** What a client hears about a down store: the cause names hosts, so it stays in the log. */
    public static VisageException storeUnavailable(StoreUnavailableException cause) {
        return new VisageException(ErrorCode.STORE_UNAVAILABLE,
                "the store is unavailable; calls in progress go on, try this again in a moment", cause);
    }

    /** What a client hears when the cluster backend cannot serve the call (its message is written for clients). */
    public static VisageException clusterUnavailable(ClusterUnavailableException cause) {
        return new VisageException(ErrorCode.UNAVAILABLE, cause.getMessage(), cause);
    }

    public ErrorCode code() {
        return code;
    }
}
