package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterBackend;
import dev.visage.api.cluster.ClusterBackendContract;
import dev.visage.cluster.redis.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.Jedis;

import java.net.URI;

import java.util.List;
import java.util.Map;

/** The cluster backend contract on a real redis-server that the test starts on a loopback port. */
class RedisClusterBackendTest extends ClusterBackendContract {

    private static RedisServer redis;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = new RedisServer(6411).start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected ClusterBackend newBackend() {
        return new RedisClusterBackend();
    }

    @Override
    protected Class<RedisInAnotherProcess> backendInAnotherProcess() {
        return RedisInAnotherProcess.class;
    }

    @Override
    protected List<String> backendInAnotherProcessArguments() {
        return List.of(redis.uri());
    }

    @Override
    protected Map<String, String> settings() {
        return Map.of(RedisClusterBackend.URI_SETTING, redis.uri());
    }

    @Override
    protected void writeRegistryEntry(ClusterBackend node, String nodeId, String text) {
        try (Jedis other = new Jedis(URI.create(redis.uri()))) {
            other.set(RedisKeys.node(nodeId), text);
            other.sadd(RedisKeys.NODE_IDS, nodeId);
        }
    }

    /** A dead node's process is gone: its connections close, it neither heartbeats nor deregisters. */
    @Override
    protected void kill(ClusterBackend node) {
        node.close();
    }

    @Override
    protected void restartBackend() throws Exception {
        redis.stop();
        redis.start();
    }
}
