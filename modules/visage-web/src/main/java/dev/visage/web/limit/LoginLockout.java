package dev.visage.web.limit;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per username: after {@code freeFailures} failed logins in a row, the username is locked for
 * 30 s, then 60, 120 ... s after each further failure, up to {@code maxLock}. A good login, or
 * {@code maxLock} without failures, starts it over. Whoever guesses one user's password from many
 * addresses gets a handful of tries an hour, whatever the per-address limits.
 */
final class LoginLockout {

    private static final int FIRST_SWEEP = 10_000;
    private static final Duration FIRST_LOCK = Duration.ofSeconds(30);

    private record Failures(int count, long lastNanos, long lockedUntilNanos) {
    }

    private final int freeFailures;
    private final Duration maxLock;
    private final LongSupplier nanoTime;
    private final Map<String, Failures> failures = new ConcurrentHashMap<>();
    private volatile int sweepAt = FIRST_SWEEP;

    LoginLockout(int freeFailures, Duration maxLock, LongSupplier nanoTime) {
        this.freeFailures = freeFailures;
        this.maxLock = maxLock;
        this.nanoTime = nanoTime;
    }

    /** 0 if {@code username} may try now, else the nanoseconds until it may. */
    long lockedFor(String username) {
        Failures f = failures.get(username);
        return f == null ? 0 : Math.max(0, f.lockedUntilNanos() - nanoTime.getAsLong());
    }

    void failed(String username) {
        long now = nanoTime.getAsLong();
        if (failures.size() >= sweepAt) {
            failures.values().removeIf(f -> forgotten(f, now));
            sweepAt = Math.max(FIRST_SWEEP, 2 * failures.size());
        }
        failures.compute(username, (name, before) -> {
            int count = before == null || forgotten(before, now) ? 1 : before.count() + 1;
            long lock = count < freeFailures ? 0 : lockNanos(count - freeFailures);
            return new Failures(count, now, now + lock);
        });
    }

    void succeeded(String username) {
        failures.remove(username);
    }

    private long lockNanos(int doublings) {
        long max = maxLock.toNanos();
        return doublings >= 20 ? max : Math.min(max, FIRST_LOCK.toNanos() << doublings);
    }

    private boolean forgotten(Failures f, long now) {
        return f.lockedUntilNanos() <= now && now - f.lastNanos() > maxLock.toNanos();
    }
}
