package dev.visage.web.node;

import dev.visage.api.plugin.PluginContext;
import dev.visage.api.plugin.StorePlugin;
import dev.visage.api.plugin.StoreUnavailableException;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * Whether the store answers, known from memory: a thread of its own pings it every 2 s, so
 * {@code /health} and the clients' RTT probes never wait on the database, and each change is
 * logged once. Also the node's patience at start-up: a store that is not there yet is waited for.
 */
final class StoreWatch implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(StoreWatch.class.getName());
    private static final Duration PING_EVERY = Duration.ofSeconds(2);
    private static final Duration LONGEST_RETRY_PAUSE = Duration.ofSeconds(5);

    private final StorePlugin store;
    private final String logPrefix;
    private volatile boolean up = true;
    private long downSince;
    private ScheduledExecutorService pinger;

    StoreWatch(StorePlugin store, String logPrefix) {
        this.store = store;
        this.logPrefix = logPrefix;
    }

    /**
     * Starts the store plugin, retrying while the store cannot be reached (pauses of 1, 2, 4, then
     * 5 s), with one log line per attempt. Any other failure ends the wait.
     *
     * @param onRetry told the number of the attempt about to be made, from 2 on
     */
    void startPatiently(PluginContext context, IntConsumer onRetry) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                store.start(context);
                if (attempt > 1) {
                    int attempts = attempt;
                    LOG.info(() -> logPrefix + "the store answers, after " + attempts + " attempts");
                }
                return;
            } catch (StoreUnavailableException e) {
                long pause = Math.min(LONGEST_RETRY_PAUSE.toMillis(), 1000L << Math.min(attempt - 1, 3));
                int number = attempt;
                LOG.warning(() -> logPrefix + "waiting for the store (attempt " + number + ", next in "
                        + pause / 1000 + " s): " + e.getMessage());
                Thread.sleep(pause);
                onRetry.accept(attempt + 1);
            }
        }
    }

    /** Begins the periodic pings of a started store. */
    void watch() {
        pinger = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "visage-store-watch");
            t.setDaemon(true);
            return t;
        });
        pinger.scheduleWithFixedDelay(this::ping, PING_EVERY.toMillis(), PING_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void ping() {
        boolean answers;
        try {
            answers = store.healthy();
        } catch (RuntimeException e) {
            // a plugin that throws instead of answering false: down, and the pings go on
            answers = false;
        }
        if (answers == up) {
            return;
        }
        up = answers;
        if (answers) {
            long seconds = (System.nanoTime() - downSince) / 1_000_000_000;
            LOG.info(() -> logPrefix + "the store answers again after " + seconds + " s: node UP");
        } else {
            downSince = System.nanoTime();
            LOG.warning(() -> logPrefix + "the store does not answer: node DEGRADED (calls that need it answer"
                    + " 503 store_unavailable; joined calls go on)");
        }
    }

    /** True unless the last ping went unanswered. */
    boolean up() {
        return up;
    }

    @Override
    public void close() {
        if (pinger != null) {
            pinger.shutdownNow();
        }
    }
}
