package dev.visage.core.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.logging.Logger;

/**
 * The log's word on cluster data a node dropped: a WARNING at most once per {@link #EVERY}, with
 * how many were dropped since the last one, so that a flood cannot flood the log too.
 */
final class DropReport {

    static final Duration EVERY = Duration.ofSeconds(10);

    private final Logger log;
    private final Clock clock;
    private final AtomicLong sinceReport = new AtomicLong();
    private final AtomicLong lastReportAt = new AtomicLong();

    DropReport(Logger log, Clock clock) {
        this.log = log;
        this.clock = clock;
    }

    /** Counts one drop; {@code line} says what, given the drops since the last report (this one included). */
    void dropped(LongFunction<String> line) {
        sinceReport.incrementAndGet();
        long now = clock.millis();
        long last = lastReportAt.get();
        if (now - last >= EVERY.toMillis() && lastReportAt.compareAndSet(last, now)) {
            long count = sinceReport.getAndSet(0);
            log.warning(() -> line.apply(count));
        }
    }
}
