package dev.visage.web.limit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rate as operators write it, {@code N/period} ({@code 10/1m}, {@code 200/10s}, {@code 20/1h}):
 * a burst of up to N, refilled at N per period (a token bucket).
 */
public record Rate(long count, Duration period) {

    private static final Pattern FORMAT = Pattern.compile("(\\d+)/(\\d+)([smh])");

    public Rate {
        if (count < 1 || period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("a rate needs a count of at least 1 and a positive period");
        }
    }

    public static Rate parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("a rate reads N/<number>s|m|h, e.g. 10/1m; got '" + text + "'");
        }
        long amount = Long.parseLong(m.group(2));
        Duration period = switch (m.group(3)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
        return new Rate(Long.parseLong(m.group(1)), period);
    }

    /** A full bucket of this rate. */
    Bucket newBucket() {
        return Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(count).refillGreedy(count, period).build())
                .build();
    }

    @Override
    public String toString() {
        return count + "/" + period.toSeconds() + "s";
    }
}
