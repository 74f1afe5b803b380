package dev.visage.web.signalling;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutboundQueueTest {

    /** "It never happened": generous on a busy 2-core machine. */
    private static final Duration NEVER = Duration.ofMinutes(1);

    private final List<SenderPool> pools = new ArrayList<>();

    @AfterEach
    void stopPools() {
        pools.forEach(pool -> pool.stop(Duration.ofSeconds(5)));
    }

    private SenderPool pool(int maxMessages, long maxBytes) {
        SenderPool pool = SenderPool.start(maxMessages, maxBytes);
        pools.add(pool);
        return pool;
    }

    @Test
    void framesFromSeveralThreadsGoOutOneAtATimeEachThreadsInTheOrderItQueuedThem() throws Exception {
        BlockingQueue<String> written = new LinkedBlockingQueue<>();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        AtomicInteger writes = new AtomicInteger();
        OutboundQueue queue = new OutboundQueue("s", pool(10_000, 10_000_000), (text, done) -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            Runnable complete = () -> {
                written.add(text);
                inFlight.decrementAndGet();
                done.accept(null);
            };
            if (writes.incrementAndGet() % 3 == 0) {
                new Thread(complete).start(); // the container takes some frames later, on its own thread
            } else {
                complete.run();
            }
        }, () -> { });
        int threads = 4;
        int perThread = 500;
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int sender = t;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    queue.offer(sender + ":" + i);
                }
            });
            thread.start();
            senders.add(thread);
        }
        for (Thread sender : senders) {
            sender.join();
        }
        int[] nextFrom = new int[threads];
        for (int n = 0; n < threads * perThread; n++) {
            String frame = written.poll(1, TimeUnit.MINUTES);
            String[] parts = frame.split(":");
            int sender = Integer.parseInt(parts[0]);
            assertEquals(nextFrom[sender]++, Integer.parseInt(parts[1]), "frames of sender " + sender + " in order");
        }
        assertEquals(1, mostInFlight.get(), "never two writes at once on one socket");
    }

    @Test
    void aClientThatStopsReadingHoldsUpNeitherTheSenderNorOtherClients() throws Exception {
        SenderPool pool = pool(100, 1_000_000);
        CountDownLatch stuckWriteBegan = new CountDownLatch(1);
        OutboundQueue stuck = new OutboundQueue("stuck", pool, (text, done) -> stuckWriteBegan.countDown(), () -> { });
        BlockingQueue<String> fineWritten = new LinkedBlockingQueue<>();
        OutboundQueue fine = new OutboundQueue("fine", pool, (text, done) -> {
            fineWritten.add(text);
            done.accept(null);
        }, () -> { });

        assertTrue(stuck.offer("first"));
        assertTrue(stuckWriteBegan.await(1, TimeUnit.MINUTES));
        assertTimeoutPreemptively(NEVER, () -> {
            for (int i = 0; i < 50; i++) {
                assertTrue(stuck.offer("event " + i), "queued behind the stuck write, without waiting for it");
                assertTrue(fine.offer("event " + i));
            }
        });
        for (int i = 0; i < 50; i++) {
            assertEquals("event " + i, fineWritten.poll(1, TimeUnit.MINUTES), "the other client gets its frames");
        }
    }

    @Test
    void aClientThatStopsReadingOverflowsOncePastTheFrameLimitAndIsRefusedFromThenOn() throws Exception {
        SenderPool pool = pool(10, 1_000_000);
        CountDownLatch writeBegan = new CountDownLatch(1);
        AtomicInteger overflows = new AtomicInteger();
        CountDownLatch overflowed = new CountDownLatch(1);
        OutboundQueue queue = new OutboundQueue("s", pool, (text, done) -> writeBegan.countDown(), () -> {
            overflows.incrementAndGet();
            overflowed.countDown();
        });
        assertTrue(queue.offer("in flight"));
        assertTrue(writeBegan.await(1, TimeUnit.MINUTES));
        for (int i = 0; i < 10; i++) {
            assertTrue(queue.offer("waiting " + i));
        }
        assertFalse(queue.offer("one too many"));
        assertFalse(queue.offer("after the overflow"));
        assertTrue(overflowed.await(1, TimeUnit.MINUTES));
        assertEquals(1, overflows.get(), "reported once");
        assertEquals(1, pool.overflows(), "counted once for /metrics");
    }

    @Test
    void theByteLimitCountsTheUtf8BytesOfTheFramesWaiting() throws Exception {
        CountDownLatch writeBegan = new CountDownLatch(1);
        CountDownLatch overflowed = new CountDownLatch(1);
        OutboundQueue queue = new OutboundQueue("s", pool(1000, 10), (text, done) -> writeBegan.countDown(),
                overflowed::countDown);
        assertTrue(queue.offer("a"), "in flight, so no longer waiting");
        assertTrue(writeBegan.await(1, TimeUnit.MINUTES));
        assertTrue(queue.offer("\u00e9\u00e9\u00e9\u00e9"), "8 bytes");
        assertTrue(queue.offer("ab"), "10 bytes");
        assertFalse(queue.offer("c"), "11 bytes");
        assertTrue(overflowed.await(1, TimeUnit.MINUTES));
        assertEquals(1 + 2 + 3 + 4, OutboundQueue.utf8Length("a\u00e9\u20ac\ud83d\ude00"));
    }

    @Test
    void aGoodbyeRunsAfterEveryFrameQueuedBeforeItAndLaterFramesAreRefused() throws Exception {
        BlockingQueue<String> written = new LinkedBlockingQueue<>();
        List<Runnable> pending = new CopyOnWriteArrayList<>();
        OutboundQueue queue = new OutboundQueue("s", pool(100, 1_000_000), (text, done) -> pending.add(() -> {
            written.add(text);
            done.accept(null);
        }), () -> { });
        for (int i = 0; i < 5; i++) {
            queue.offer("frame " + i);
        }
        CountDownLatch closed = new CountDownLatch(1);
        AtomicInteger writtenAtClose = new AtomicInteger(-1);
        queue.thenFinally(() -> {
            writtenAtClose.set(written.size());
            closed.countDown();
        });
        assertFalse(queue.offer("too late"));
        for (int i = 0; i < 5; i++) { // the client reads, one frame after the other
            awaitTrue(() -> !pending.isEmpty());
            pending.remove(0).run();
        }
        assertTrue(closed.await(1, TimeUnit.MINUTES));
        assertEquals(5, writtenAtClose.get());
        assertEquals(5, written.size());
    }

    @Test
    void framesAfterAFailedWriteStillGoOutHoweverTheContainerReportsTheFailure() throws Exception {
        BlockingQueue<String> written = new LinkedBlockingQueue<>();
        OutboundQueue queue = new OutboundQueue("s", pool(100, 1_000_000), (text, done) -> {
            switch (text) {
                case "throws" -> throw new IllegalStateException("closed");
                case "reports and throws" -> {
                    done.accept(new java.io.IOException("broken pipe"));
                    throw new IllegalStateException("closed");
                }
                default -> {
                    written.add(text);
                    done.accept(null);
                }
            }
        }, () -> { });
        for (String text : List.of("a", "throws", "b", "reports and throws", "c")) {
            queue.offer(text);
        }
        for (String expected : List.of("a", "b", "c")) {
            assertEquals(expected, written.poll(1, TimeUnit.MINUTES));
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + NEVER.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + NEVER);
            }
            Thread.sleep(1);
        }
    }
}
