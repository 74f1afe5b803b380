package dev.visage.web.signalling;

import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The text frames waiting to go out on one client socket, oldest first. Whoever has something to
 * say (a Tyrus handler, the Hazelcast listener delivering room events, the SFU under its room
 * monitor or on its timer) only appends here and returns. The sender pool starts the writes, in
 * order, the next one once the container has taken the last: a socket has at most one write in
 * flight, and no thread waits for it. A client that stops reading holds up nobody but itself: its
 * last write never completes, its queue grows to a limit (frames or UTF-8 bytes) and overflows;
 * from then on everything is refused, and the overflow is reported once, on the sender pool
 * (never on the thread that offered).
 */
final class OutboundQueue {

    /**
     * Starts writing one text frame and returns; calls {@code written} (with the failure, or null)
     * once the container has taken it, at once or later, from any thread, or never if the client
     * stopped reading.
     */
    @FunctionalInterface
    interface FrameWriter {
        void write(String text, Consumer<Throwable> written);
    }

    private static final Logger LOG = Logger.getLogger(OutboundQueue.class.getName());

    private final String sessionId;
    private final SenderPool senders;
    private final FrameWriter writer;
    private final Runnable onOverflow;

    // guarded by this
    private final ArrayDeque<String> frames = new ArrayDeque<>();
    private long queuedBytes;
    private boolean draining;
    private boolean refusing;
    private Runnable afterLastFrame;

    OutboundQueue(String sessionId, SenderPool senders, FrameWriter writer, Runnable onOverflow) {
        this.sessionId = sessionId;
        this.senders = senders;
        this.writer = writer;
        this.onOverflow = onOverflow;
    }

    /**
     * Appends a frame; never blocks. Returns false if it was refused: the queue has overflowed
     * (this call may be the one that overflowed it) or is closing.
     */
    boolean offer(String text) {
        long bytes = utf8Length(text);
        boolean overflowed;
        synchronized (this) {
            if (refusing) {
                return false;
            }
            overflowed = frames.size() + 1 > senders.maxMessages() || queuedBytes + bytes > senders.maxBytes();
            if (overflowed) {
                refusing = true; // counted and reported once, below
            } else {
                frames.add(text);
                queuedBytes += bytes;
                if (draining) {
                    return true;
                }
                draining = true;
            }
        }
        if (overflowed) {
            senders.countOverflow();
            discardThen(onOverflow);
            return false;
        }
        run(this::writeFrames);
        return true;
    }

    /**
     * Refuses further frames and runs {@code action} on the sender pool once every frame offered
     * so far has been written: a goodbye that must arrive before the close.
     */
    void thenFinally(Runnable action) {
        synchronized (this) {
            refusing = true;
            if (draining) {
                if (afterLastFrame == null) {
                    afterLastFrame = action;
                }
                return;
            }
        }
        run(action);
    }

    /**
     * Drops what is waiting, refuses further frames, and runs {@code action} on the sender pool
     * now, without waiting for a write in flight (which may never end).
     */
    void discardThen(Runnable action) {
        synchronized (this) {
            refusing = true;
            frames.clear();
            queuedBytes = 0;
            afterLastFrame = null;
        }
        run(action);
    }

    /**
     * On the sender pool: writes frames while the container takes them at once; when it takes one
     * later, its completion starts this again.
     */
    private void writeFrames() {
        while (true) {
            String next;
            Runnable last = null;
            synchronized (this) {
                next = frames.poll();
                if (next == null) {
                    draining = false;
                    last = afterLastFrame;
                    afterLastFrame = null;
                } else {
                    queuedBytes -= utf8Length(next);
                }
            }
            if (next == null) {
                if (last != null) {
                    last.run();
                }
                return;
            }
            Write write = new Write();
            try {
                writer.write(next, write);
            } catch (RuntimeException e) { // the socket closed under us: the next frames fail the same way
                write.accept(e);
            }
            if (!write.arrive()) {
                return; // the completion comes later and goes on
            }
        }
    }

    /**
     * One frame's write, where the thread that started it (back from {@code write}) and its
     * completion (at once, later, or as a failure) meet: the second to arrive goes on.
     */
    private final class Write implements Consumer<Throwable> {
        private final AtomicBoolean completed = new AtomicBoolean();
        private final AtomicInteger parties = new AtomicInteger(2);

        @Override
        public void accept(Throwable failure) {
            if (!completed.compareAndSet(false, true)) {
                return; // a container that reports the failure and throws too
            }
            if (failure != null) {
                LOG.log(Level.FINE, "session=" + sessionId + " send failed", failure);
            }
            if (arrive()) {
                run(OutboundQueue.this::writeFrames);
            }
        }

        boolean arrive() {
            return parties.decrementAndGet() == 0;
        }
    }

    private void run(Runnable task) {
        try {
            senders.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.log(Level.FINE, "session=" + sessionId + " sender pool stopped; dropped", e);
        }
    }

    /** The bytes a text frame's payload takes on the wire. */
    static long utf8Length(String text) {
        long bytes = text.length();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                bytes += c < 0x800 || Character.isSurrogate(c) ? 1 : 2; // a surrogate pair is 4 bytes in all
            }
        }
        return bytes;
    }
}
