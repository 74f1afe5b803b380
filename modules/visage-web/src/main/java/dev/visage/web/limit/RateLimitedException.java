package dev.visage.web.limit;

import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;

/** 429 {@code rate_limited}: the client may try again after {@link #retryAfterSeconds()}. */
public final class RateLimitedException extends VisageException {

    private final String limit;
    private final long retryAfterSeconds;

    RateLimitedException(String limit, String message, long retryAfterNanos) {
        super(ErrorCode.RATE_LIMITED, message);
        this.limit = limit;
        this.retryAfterSeconds = Math.max(1, (retryAfterNanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Which limit refused: one of the names in {@link RateLimits}. */
    public String limit() {
        return limit;
    }

    /** Whole seconds, at least 1: what {@code Retry-After} and the socket's {@code retryAfter} say. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
