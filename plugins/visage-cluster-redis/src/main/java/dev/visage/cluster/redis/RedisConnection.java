package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterUnavailableException;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisURIHelper;

import java.net.URI;
import java.time.Duration;
import java.util.function.Function;

/**
 * The node's way to Redis: a small pool of connections with short timeouts for commands, and
 * dedicated connections for the subscriber. {@code VISAGE_REDIS_URI} is {@code redis://} or
 * {@code rediss://} (TLS), with {@code user:password@} (ACL user) or {@code :password@}, and an
 * optional {@code /db} index.
 */
final class RedisConnection implements AutoCloseable {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** The subscriber pings every {@link RedisSubscriber#PING_EVERY}; a silent server is given up after this. */
    static final Duration SUBSCRIBER_TIMEOUT = Duration.ofSeconds(15);

    private final HostAndPort address;
    private final JedisClientConfig commandConfig;
    private final JedisClientConfig subscriberConfig;
    private final RedisClient client;

    RedisConnection(URI uri, String clientName) {
        if (!JedisURIHelper.isValid(uri)) {
            throw new IllegalArgumentException("not a redis:// or rediss:// URI with a host and port: " + redacted(uri));
        }
        this.address = JedisURIHelper.getHostAndPort(uri);
        this.commandConfig = config(uri, clientName, COMMAND_TIMEOUT);
        this.subscriberConfig = config(uri, clientName + "-subscriber", SUBSCRIBER_TIMEOUT);
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(32); // every join polls for its room lock on a pooled connection; 50 at once must not starve
        pool.setMaxIdle(16);
        pool.setMinIdle(0);
        pool.setMaxWait(COMMAND_TIMEOUT);
        // After a Redis restart every idle connection is a dead socket; without a check on borrow,
        // each would fail one caller's command (an admin's undrain answered 503 that way).
        pool.setTestOnBorrow(true);
        pool.setTestWhileIdle(true);
        pool.setTimeBetweenEvictionRuns(Duration.ofSeconds(10));
        pool.setJmxEnabled(false);
        this.client = RedisClient.builder().hostAndPort(address).clientConfig(commandConfig).poolConfig(pool).build();
    }

    private static JedisClientConfig config(URI uri, String clientName, Duration socketTimeout) {
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) CONNECT_TIMEOUT.toMillis())
                .socketTimeoutMillis((int) socketTimeout.toMillis())
                .clientName(clientName)
                .ssl(JedisURIHelper.isRedisSSLScheme(uri))
                .user(JedisURIHelper.getUser(uri))
                .password(JedisURIHelper.getPassword(uri));
        if (JedisURIHelper.hasDbIndex(uri)) {
            config.database(JedisURIHelper.getDBIndex(uri));
        }
        return config.build();
    }

    /** The URI without its password, for logs. */
    static String redacted(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    }

    /** Where Redis is, for logs (no credentials). */
    String address() {
        return address.toString();
    }

    /** Runs commands on a pooled connection; a Redis that cannot be reached becomes {@link ClusterUnavailableException}. */
    <T> T call(Function<RedisClient, T> commands) {
        try {
            return commands.apply(client);
        } catch (JedisException e) {
            throw new ClusterUnavailableException("the cluster backend is unreachable, try again in a moment", e);
        }
    }

    /** A connection of its own for a subscription, with a longer read timeout (the subscriber pings). */
    Jedis newSubscriberConnection() {
        return new Jedis(address, subscriberConfig);
    }

    @Override
    public void close() {
        client.close();
    }
}
