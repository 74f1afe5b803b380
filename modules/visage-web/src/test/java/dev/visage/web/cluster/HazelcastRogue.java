package dev.visage.web.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import java.io.FileNotFoundException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plain Hazelcast member started from a node's own hazelcast.xml (cluster name, partition count,
 * members): all it takes to join Payara's data grid as a full member.
 */
final class HazelcastRogue implements RogueBackendClient {

    private final HazelcastInstance member;

    HazelcastRogue(Path nodesHazelcastXml, int expectedMembers) throws FileNotFoundException, InterruptedException {
        Config sameAsTheNodes = new FileSystemXmlConfig(nodesHazelcastXml.toFile());
        sameAsTheNodes.setProperty("hazelcast.shutdownhook.enabled", "false");
        member = Hazelcast.newHazelcastInstance(sameAsTheNodes);
        ClusterIT.awaitTrue(Duration.ofSeconds(60), () -> member.getCluster().getMembers().size() == expectedMembers);
    }

    @Override
    public Map<String, String> readEverything() {
        Map<String, String> everything = new TreeMap<>();
        for (DistributedObject object : member.getDistributedObjects()) {
            if (object instanceof IMap<?, ?> map) {
                try {
                    everything.put(map.getName(), map.entrySet().toString());
                } catch (RuntimeException payarasOwnClasses) {
                    everything.put(map.getName(), "(values of classes only Payara has)");
                }
            }
        }
        return everything;
    }

    @Override
    public void publishRoomEvent(String roomId, String body) {
        member.<String>getTopic("visage.room-events").publish(roomId + "\n" + body);
    }

    @Override
    public void sendNodeCommand(String nodeId, String body) {
        member.<String>getTopic("visage.node-commands." + nodeId).publish(body);
    }

    @Override
    public String memberId() {
        return member.getCluster().getLocalMember().getUuid().toString();
    }

    @Override
    public void writeNodeEntry(String nodeId, String json) {
        // a member that just joined a busy cluster may still be taking partitions over (CI final6:
        // its put timed out after 120 s): write once the partitions have settled
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (!member.getPartitionService().isClusterSafe() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        member.<String, String>getMap("visage.nodes").set(nodeId, json);
    }

    @Override
    public void removeNodeEntry(String nodeId) {
        member.<String, String>getMap("visage.nodes").delete(nodeId);
    }

    /** Leaves gracefully: its partitions go back to the nodes before it is gone. */
    @Override
    public void close() {
        member.getLifecycleService().shutdown();
    }
}
