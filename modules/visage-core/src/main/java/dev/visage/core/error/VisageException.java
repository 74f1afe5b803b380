package dev.visage.core.error;

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

    public ErrorCode code() {
        return code;
    }
}
