package dev.visage.cluster.redis;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's one subscription connection, on a thread of its own, to a fixed set of channels (its
 * relay channel and the room events). It pings every few seconds so that a silent server is noticed
 * through the read timeout, and when the connection breaks (Redis restarted, network cut) it
 * connects again with back-off and tells its reconnect listeners once it is subscribed again.
 * Messages published while it was away are lost, as Redis pub/sub does.
 */
final class RedisSubscriber implements AutoCloseable {

    static final Duration PING_EVERY = Duration.ofSeconds(5);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    private static final Logger LOG = Logger.getLogger(RedisSubscriber.class.getName());

    private final RedisConnection connection;
    private final String logPrefix;
    private final String[] channels;
    private final Map<String, List<Consumer<String>>> handlers = new ConcurrentHashMap<>();
    private final List<Runnable> reconnectListeners = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final CountDownLatch firstSubscription = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile Listener current;
    private volatile Jedis currentConnection;

    RedisSubscriber(RedisConnection connection, String logPrefix, String... channels) {
        this.connection = connection;
        this.logPrefix = logPrefix;
        this.channels = channels.clone();
        for (String channel : channels) {
            handlers.put(channel, new CopyOnWriteArrayList<>());
        }
        this.thread = new Thread(this::run, "visage-redis-subscriber");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Waits until the first subscription is in place, so no message sent after start-up is missed. */
    boolean awaitSubscribed(Duration timeout) throws InterruptedException {
        return firstSubscription.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Handles every message of one of the subscribed channels, in the order Redis delivers them. */
    void onMessage(String channel, Consumer<String> handler) {
        List<Consumer<String>> list = handlers.get(channel);
        if (list == null) {
            throw new IllegalArgumentException("not a subscribed channel: " + channel);
        }
        list.add(handler);
    }

    /** Called (on the subscriber thread) each time the subscription is back after a break. */
    void onReconnected(Runnable listener) {
        reconnectListeners.add(listener);
    }

    /** Keeps the read side alive: a PING every few seconds, answered by a PONG on the subscription. */
    void ping() {
        Listener listener = current;
        if (listener != null && listener.isSubscribed()) {
            try {
                listener.ping();
            } catch (JedisException | IllegalStateException e) {
                LOG.log(Level.FINE, logPrefix + "subscriber ping failed; the subscriber reconnects", e);
            }
        }
    }

    private void run() {
        boolean broken = false;
        long backoffMillis = 100;
        int attempt = 0;
        while (running) {
            Listener listener = new Listener(broken);
            try (Jedis jedis = connection.newSubscriberConnection()) {
                currentConnection = jedis;
                current = listener;
                jedis.subscribe(listener, channels); // blocks until unsubscribed or the connection breaks
            } catch (JedisException | IllegalStateException e) {
                if (!running) {
                    return;
                }
                attempt = listener.subscribed ? 1 : attempt + 1;
                if (listener.subscribed) {
                    backoffMillis = 100;
                }
                int tries = attempt;
                LOG.warning(() -> logPrefix + "Redis subscription at " + connection.address() + " lost or refused ("
                        + e.getMessage() + "); reconnecting, attempt " + tries);
                broken = true;
            } finally {
                current = null;
                currentConnection = null;
            }
            sleep(backoffMillis);
            backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF.toMillis());
        }
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        Jedis jedis = currentConnection;
        if (jedis != null) {
            try {
                jedis.disconnect(); // breaks the blocking read
            } catch (RuntimeException ignored) {
                // already broken
            }
        }
        thread.interrupt();
    }

    private final class Listener extends JedisPubSub {
        private final boolean afterBreak;
        private volatile boolean subscribed;

        Listener(boolean afterBreak) {
            this.afterBreak = afterBreak;
        }

        @Override
        public void onSubscribe(String channel, int subscribedChannels) {
            if (subscribedChannels == channels.length && !subscribed) {
                subscribed = true;
                firstSubscription.countDown();
                if (afterBreak) {
                    LOG.info(() -> logPrefix + "Redis subscription at " + connection.address() + " is back");
                    reconnectListeners.forEach(RedisSubscriber::runSafely);
                }
            }
        }

        @Override
        public void onMessage(String channel, String message) {
            for (Consumer<String> handler : handlers.getOrDefault(channel, List.of())) {
                try {
                    handler.accept(message);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, logPrefix + "a handler of " + channel + " failed", e);
                }
            }
        }
    }

    private static void runSafely(Runnable listener) {
        try {
            listener.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a Redis reconnect listener failed", e);
        }
    }
}
