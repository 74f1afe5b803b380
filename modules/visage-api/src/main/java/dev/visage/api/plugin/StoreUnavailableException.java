package dev.visage.api.plugin;

/**
 * The store cannot be reached right now: down, unreachable or not answering in time. Worth
 * retrying later, unlike a bad request; the node answers 503 {@code store_unavailable} to the
 * call and keeps everything that does not need the store (joined calls, signalling) going.
 * The message is for the node's log (it may name hosts), never for clients.
 */
public class StoreUnavailableException extends RuntimeException {

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
