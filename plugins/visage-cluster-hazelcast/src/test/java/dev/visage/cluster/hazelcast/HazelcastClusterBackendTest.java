package dev.visage.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import dev.visage.api.cluster.ClusterBackend;
import dev.visage.api.cluster.ClusterBackendContract;
import dev.visage.api.testing.Await;
import dev.visage.cluster.hazelcast.testing.TestHazelcast;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** The cluster backend contract on embedded Hazelcast members of the version Payara bundles, a member per node. */
class HazelcastClusterBackendTest extends ClusterBackendContract {

    private static TestHazelcast hazelcast;
    private final Map<ClusterBackend, HazelcastInstance> memberOf = new IdentityHashMap<>();
    private final List<HazelcastInstance> alive = new ArrayList<>();

    @BeforeAll
    static void cluster() {
        hazelcast = new TestHazelcast("visage-test-ClusterBackendContract", 5980);
    }

    @AfterAll
    static void stopCluster() {
        hazelcast.close();
    }

    @Override
    protected ClusterBackend newBackend() {
        HazelcastInstance member = hazelcast.newMember();
        alive.add(member);
        int size = alive.size();
        Await.until(Duration.ofSeconds(30), "a cluster of " + size,
                () -> alive.stream().allMatch(m -> m.getCluster().getMembers().size() == size));
        HazelcastClusterBackend backend = new HazelcastClusterBackend(member);
        memberOf.put(backend, member);
        return backend;
    }

    @Override
    protected Class<HazelcastInAnotherProcess> backendInAnotherProcess() {
        return HazelcastInAnotherProcess.class;
    }

    /** The contenders make a cluster of their own (this test's members are gone by then), three members. */
    @Override
    protected List<String> backendInAnotherProcessArguments() {
        return List.of(hazelcast.clusterName(), Integer.toString(hazelcast.basePort()), "3");
    }

    @Override
    protected void writeRegistryEntry(ClusterBackend node, String nodeId, String text) {
        memberOf.get(node).<String, String>getMap(HazelcastNodeRegistry.MAP).put(nodeId, text);
    }

    @Override
    protected void kill(ClusterBackend node) {
        HazelcastInstance member = memberOf.get(node);
        alive.remove(member);
        member.getLifecycleService().terminate();
    }

    /** Hazelcast's data lives in its members: every member but the first restarts. */
    @Override
    protected void restartBackend() {
        List<HazelcastInstance> others = List.copyOf(alive.subList(1, alive.size()));
        others.forEach(m -> m.getLifecycleService().terminate());
        alive.removeAll(others);
    }

    @AfterEach
    void stopMembers() {
        alive.forEach(m -> m.getLifecycleService().terminate());
        alive.clear();
        memberOf.clear();
    }
}
