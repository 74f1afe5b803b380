package dev.visage.web.signalling;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the outbound queues of all client sockets share: the threads that write their frames, the
 * queue limits, and the count of clients closed because their queue overflowed.
 *
 * <p>Writes are asynchronous, so a thread is busy only while it hands a frame to the container.
 * The pool still grows on demand rather than having a fixed size: should the container ever block
 * in that hand-over (Grizzly may, once, when its write queue for a socket is full), only that
 * socket's task waits, and no other socket needs that thread.
 */
public final class SenderPool {

    private static final Duration IDLE_THREAD = Duration.ofSeconds(30);

    private final ExecutorService threads;
    private final int maxMessages;
    private final long maxBytes;
    private final LongAdder overflows = new LongAdder();

    SenderPool(ExecutorService threads, int maxMessages, long maxBytes) {
        if (maxMessages < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("outbound queue limits must be positive: " + maxMessages + " frames, "
                    + maxBytes + " bytes");
        }
        this.threads = threads;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
    }

    /** A pool of daemon threads named {@code visage-signal-sender-N}, made as needed, ended when idle. */
    public static SenderPool start(int maxMessages, long maxBytes) {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_THREAD.toMillis(),
                TimeUnit.MILLISECONDS, new SynchronousQueue<>(), task -> {
                    Thread t = new Thread(task, "visage-signal-sender-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        return new SenderPool(threads, maxMessages, maxBytes);
    }

    void execute(Runnable task) {
        threads.execute(task);
    }

    int maxMessages() {
        return maxMessages;
    }

    long maxBytes() {
        return maxBytes;
    }

    void countOverflow() {
        overflows.increment();
    }

    /** Clients closed since start because they stopped reading (their outbound queue overflowed). */
    public long overflows() {
        return overflows.sum();
    }

    /** Lets queued goodbyes go out for up to {@code grace}, then stops the threads. */
    public void stop(Duration grace) {
        threads.shutdown();
        try {
            if (!threads.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                threads.shutdownNow();
            }
        } catch (InterruptedException e) {
            threads.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
