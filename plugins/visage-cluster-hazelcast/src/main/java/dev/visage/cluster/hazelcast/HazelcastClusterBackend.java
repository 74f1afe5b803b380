package dev.visage.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import dev.visage.api.cluster.ClusterBackend;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.NodeRegistry;
import dev.visage.api.cluster.RoomLocks;
import dev.visage.api.plugin.PluginContext;
import dev.visage.api.relay.RelayBus;

import javax.naming.InitialContext;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The cluster on Payara's own Hazelcast (JNDI {@code payara/Hazelcast}), the default backend
 * ({@code VISAGE_CLUSTER=hazelcast}): no second instance, nodes find each other through the
 * node's hazelcast.xml, and a member cut off and merged back tells {@link #onRejoined} listeners.
 */
public final class HazelcastClusterBackend implements ClusterBackend {

    private static final String PAYARA_INSTANCE = "payara/Hazelcast";

    private final List<Runnable> rejoinListeners = new CopyOnWriteArrayList<>();
    private HazelcastInstance hazelcast;
    private HazelcastClusterState state;
    private HazelcastNodeRegistry registry;
    private HazelcastRoomLocks locks;
    private HazelcastRelayBus relayBus;
    private UUID mergeListener;

    /** The plugin as the node finds it: Payara's instance, looked up at {@link #start}. */
    public HazelcastClusterBackend() {
    }

    /** A backend on a Hazelcast instance of one's own (tests, embedding). */
    public HazelcastClusterBackend(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
    }

    @Override
    public String name() {
        return "hazelcast";
    }

    @Override
    public void start(PluginContext context) throws Exception {
        if (hazelcast == null) {
            hazelcast = (HazelcastInstance) new InitialContext().lookup(PAYARA_INSTANCE);
        }
        outsideApplicationInvocation(() -> {
            state = new HazelcastClusterState(hazelcast);
            registry = new HazelcastNodeRegistry(hazelcast, ClusterBackend.nodeTtl(context));
            locks = new HazelcastRoomLocks(hazelcast);
            relayBus = new HazelcastRelayBus(hazelcast, context.nodeId(), state, registry);
        });
        mergeListener = hazelcast.getLifecycleService().addLifecycleListener(event -> {
            if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                rejoinListeners.forEach(Runnable::run);
            }
        });
    }

    /**
     * Makes Hazelcast objects on a thread that inherits none of the deployment's thread-locals.
     * A map first used inside an application invocation gets Payara's tenant control, which sets
     * up a CDI request context around every operation on it (each heartbeat, session read, room
     * lock): half of the partition threads' CPU on a node under load. Visage's maps hold strings
     * and JSON only: their operations need no application context.
     */
    private static void outsideApplicationInvocation(Runnable setup) throws InterruptedException {
        AtomicReference<RuntimeException> failed = new AtomicReference<>();
        Thread thread = new Thread(null, () -> {
            try {
                setup.run();
            } catch (RuntimeException e) {
                failed.set(e);
            }
        }, "visage-cluster-setup", 0, false);
        thread.start();
        thread.join();
        if (failed.get() != null) {
            throw failed.get();
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
        return registry.localMemberId();
    }

    @Override
    public int clusterSize() {
        return hazelcast.getCluster().getMembers().size();
    }

    @Override
    public boolean settled() {
        return hazelcast.getPartitionService().isClusterSafe();
    }

    @Override
    public void onRejoined(Runnable listener) {
        rejoinListeners.add(listener);
    }

    /** Stops listening; Payara may already be stopping its Hazelcast, and every call to it throws then. */
    @Override
    public void close() {
        if (mergeListener == null) {
            return;
        }
        try {
            hazelcast.getLifecycleService().removeLifecycleListener(mergeListener);
            registry.close();
        } catch (RuntimeException e) {
            // the instance is shutting down with the node: nothing left to stop
        }
    }
}
