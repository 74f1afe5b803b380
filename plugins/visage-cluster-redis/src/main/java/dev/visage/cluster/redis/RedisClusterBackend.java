package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterBackend;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.NodeRegistry;
import dev.visage.api.cluster.RoomLocks;
import dev.visage.api.plugin.PluginContext;
import dev.visage.api.relay.RelayBus;
import redis.clients.jedis.exceptions.JedisException;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The cluster on Redis ({@code VISAGE_CLUSTER=redis}, {@code VISAGE_REDIS_URI}): the nodes share
 * one Redis and run Payara Micro without clustering. A Redis that is down when the node starts is
 * waited for (the log says so every attempt); one that goes away later makes cluster calls fail
 * with {@link dev.visage.api.cluster.ClusterUnavailableException} until it is back, while media
 * already flowing goes on, and the node registers again once its subscription is back.
 */
public final class RedisClusterBackend implements ClusterBackend {

    static final String URI_SETTING = "visage.redis.uri";
    private static final String DEFAULT_URI = "redis://127.0.0.1:6379";
    private static final Duration RETRY_EVERY = Duration.ofSeconds(2);
    private static final Duration POLL_EVERY = Duration.ofSeconds(1);
    private static final Logger LOG = Logger.getLogger(RedisClusterBackend.class.getName());

    private final String memberId = UUID.randomUUID().toString();
    private final List<Runnable> rejoinListeners = new CopyOnWriteArrayList<>();
    private RedisConnection redis;
    private RedisSubscriber subscriber;
    private ScheduledExecutorService timers;
    private RedisClusterState state;
    private RedisNodeRegistry registry;
    private RedisRoomLocks locks;
    private RedisRelayBus relayBus;

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public void start(PluginContext context) throws Exception {
        String logPrefix = "node=" + context.nodeId() + " ";
        URI uri = URI.create(context.setting(URI_SETTING).orElse(DEFAULT_URI));
        redis = new RedisConnection(uri, "visage-" + context.nodeId());
        waitForRedis(logPrefix);
        subscriber = new RedisSubscriber(redis, logPrefix, RedisKeys.relayChannel(context.nodeId()), RedisKeys.ROOM_EVENTS,
                RedisKeys.nodeCommands(context.nodeId()));
        state = new RedisClusterState(redis, subscriber);
        registry = new RedisNodeRegistry(redis, ClusterBackend.nodeTtl(context));
        locks = new RedisRoomLocks(redis, memberId);
        relayBus = new RedisRelayBus(redis, subscriber, context.nodeId(), state, registry);
        subscriber.onReconnected(() -> rejoinListeners.forEach(Runnable::run));
        subscriber.start();
        if (!subscriber.awaitSubscribed(Duration.ofSeconds(30))) {
            throw new IllegalStateException("no Redis subscription at " + redis.address() + " after 30 s");
        }
        registry.poll();
        timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "visage-redis-timers");
            t.setDaemon(true);
            return t;
        });
        timers.scheduleWithFixedDelay(registry::poll, POLL_EVERY.toMillis(), POLL_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        long ping = RedisSubscriber.PING_EVERY.toMillis();
        timers.scheduleWithFixedDelay(subscriber::ping, ping, ping, TimeUnit.MILLISECONDS);
        LOG.info(() -> logPrefix + "cluster backend: Redis at " + redis.address() + " as member " + memberId);
    }

    /** Start-up waits as long as it takes for Redis, saying so every attempt; stopping the node interrupts it. */
    private void waitForRedis(String logPrefix) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                redis.call(r -> r.ping());
                return;
            } catch (RuntimeException e) {
                int tries = attempt;
                Throwable cause = e.getCause() instanceof JedisException ? e.getCause() : e;
                LOG.warning(() -> logPrefix + "waiting for Redis at " + redis.address() + " (attempt " + tries + "): "
                        + cause.getMessage());
            }
            Thread.sleep(RETRY_EVERY.toMillis());
        }
    }

    @Override
    public NodeRegistry registry() {
        return registry;
    }

    @Override
    public ClusterState state() {
        return state;
    }

    @Override
    public RoomLocks locks() {
        return locks;
    }

    @Override
    public RelayBus relayBus() {
        return relayBus;
    }

    @Override
    public String memberId() {
        return memberId;
    }

    /** Live nodes as of the last registry poll: no round trip, so a health check answers while Redis is away. */
    @Override
    public int clusterSize() {
        return registry.lastSeenCount();
    }

    @Override
    public void onRejoined(Runnable listener) {
        rejoinListeners.add(listener);
    }

    @Override
    public void close() {
        if (timers != null) {
            timers.shutdownNow();
        }
        if (subscriber != null) {
            subscriber.close();
        }
        if (redis != null) {
            redis.close();
        }
    }
}
