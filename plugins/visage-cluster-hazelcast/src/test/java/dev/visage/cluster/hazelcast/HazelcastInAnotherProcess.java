package dev.visage.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import dev.visage.api.cluster.ClusterBackend;
import dev.visage.api.cluster.LockContender;
import dev.visage.api.testing.Await;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.cluster.hazelcast.testing.TestHazelcast;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A member of the test's cluster in a process of its own. Arguments: cluster name, base port, and
 * how many members to wait for, so that processes started together never lock in separate clusters.
 */
public final class HazelcastInAnotherProcess implements LockContender.BackendInAnotherProcess {

    @Override
    public ClusterBackend start(String nodeId, List<String> args) throws Exception {
        HazelcastInstance member = TestHazelcast.joining(args.get(0), Integer.parseInt(args.get(1))).newMember();
        int members = Integer.parseInt(args.get(2));
        Await.until(Duration.ofSeconds(60), "a cluster of " + members,
                () -> member.getCluster().getMembers().size() == members);
        ClusterBackend backend = new HazelcastClusterBackend(member);
        backend.start(TestPluginContext.of(nodeId, Map.of()));
        return backend;
    }
}
