package dev.visage.cluster.hazelcast.testing;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.visage.api.testing.Await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Real embedded Hazelcast members for tests, isolated from everything else on the machine:
 * multicast and auto-detection off, TCP-IP on 127.0.0.1 only, phone-home off, a cluster name of
 * the test's own, and a port range far from the 5900-5920 the nodes use.
 */
public final class TestHazelcast implements AutoCloseable {

    /** Members of one test class get ports basePort .. basePort + PORT_COUNT - 1. */
    public static final int PORT_COUNT = 5;

    private final String clusterName;
    private final int basePort;
    private final List<HazelcastInstance> members = new ArrayList<>();

    /** Members of a cluster private to this process: its pid is part of the name. */
    public TestHazelcast(String clusterName, int basePort) {
        this(basePort, clusterName + "-" + ProcessHandle.current().pid());
    }

    private TestHazelcast(int basePort, String exactClusterName) {
        if (basePort <= 5920 && basePort + PORT_COUNT > 5900) {
            throw new IllegalArgumentException("ports 5900-5920 belong to the nodes");
        }
        this.clusterName = exactClusterName;
        this.basePort = basePort;
    }

    /** Members that join another process's test cluster (its {@link #clusterName()} and base port). */
    public static TestHazelcast joining(String clusterName, int basePort) {
        return new TestHazelcast(basePort, clusterName);
    }

    public String clusterName() {
        return clusterName;
    }

    public int basePort() {
        return basePort;
    }

    public HazelcastInstance newMember() {
        return start(false);
    }

    /** A member that keeps no data: every partition it uses lives on the others. */
    public HazelcastInstance newLiteMember() {
        return start(true);
    }

    private HazelcastInstance start(boolean lite) {
        Config config = new Config();
        config.setLiteMember(lite);
        config.setClusterName(clusterName);
        config.setInstanceName(clusterName + "-" + members.size());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        // not 5 s: on a busy 2-core machine a test member's JVM can stall that long, and a live
        // member taken for dead splits the test's cluster
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "20");
        config.setProperty("hazelcast.logging.type", "jdk");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(basePort).setPortAutoIncrement(true).setPortCount(PORT_COUNT);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getAwsConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2);
        for (int port = basePort; port < basePort + PORT_COUNT; port++) {
            join.getTcpIpConfig().addMember("127.0.0.1:" + port);
        }
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
        members.add(member);
        return member;
    }

    /** Starts n members and waits until every one sees all of them. */
    public List<HazelcastInstance> newCluster(int n) {
        List<HazelcastInstance> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            started.add(newMember());
        }
        int expected = members.size();
        Await.until(Duration.ofSeconds(30), "cluster of " + expected,
                () -> started.stream().allMatch(m -> m.getCluster().getMembers().size() == expected));
        return started;
    }

    @Override
    public void close() {
        for (HazelcastInstance member : members) {
            try {
                member.getLifecycleService().terminate();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        members.clear();
    }
}
