package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterBackend;
import dev.visage.api.cluster.LockContender;
import dev.visage.api.testing.TestPluginContext;

import java.util.List;
import java.util.Map;

/** A node on the test's redis-server in a process of its own. Argument: the Redis URI. */
public final class RedisInAnotherProcess implements LockContender.BackendInAnotherProcess {

    @Override
    public ClusterBackend start(String nodeId, List<String> args) throws Exception {
        RedisClusterBackend backend = new RedisClusterBackend();
        backend.start(TestPluginContext.of(nodeId, Map.of(RedisClusterBackend.URI_SETTING, args.get(0))));
        return backend;
    }
}
