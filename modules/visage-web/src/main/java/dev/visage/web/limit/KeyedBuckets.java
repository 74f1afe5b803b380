package dev.visage.web.limit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One token bucket per key (a client address, a user id). Buckets that have filled up again say
 * nothing a new one would not, so they are dropped whenever the map has doubled since the last
 * sweep: keys an attacker invents cost memory only while their buckets are draining.
 */
final class KeyedBuckets {

    private static final int FIRST_SWEEP = 10_000;
    /** Keys longer than this are cut: a username field may hold 64 KiB. */
    private static final int MAX_KEY = 64;

    private final Rate rate;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private volatile int sweepAt = FIRST_SWEEP;

    KeyedBuckets(Rate rate) {
        this.rate = rate;
    }

    /** Takes one token for {@code key}: 0 if there was one, else the nanoseconds until there is. */
    long take(String key) {
        ConsumptionProbe probe = bucket(key).tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
    }

    /** Gives back a token taken for an attempt that turned out not to count (a good login, a store outage). */
    void giveBack(String key) {
        Bucket bucket = buckets.get(shortened(key));
        if (bucket != null) {
            bucket.addTokens(1);
        }
    }

    Rate rate() {
        return rate;
    }

    int size() {
        return buckets.size();
    }

    private Bucket bucket(String key) {
        if (buckets.size() >= sweepAt) {
            buckets.values().removeIf(b -> b.getAvailableTokens() >= rate.count());
            sweepAt = Math.max(FIRST_SWEEP, 2 * buckets.size());
        }
        return buckets.computeIfAbsent(shortened(key), k -> rate.newBucket());
    }

    private static String shortened(String key) {
        String k = key == null ? "" : key;
        return k.length() > MAX_KEY ? k.substring(0, MAX_KEY) : k;
    }
}
