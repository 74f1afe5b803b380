package dev.visage.api.cluster;

import dev.visage.api.plugin.Plugin;
import dev.visage.api.plugin.PluginContext;
import dev.visage.api.relay.RelayBus;

import java.time.Duration;

/**
 * The cluster plugin: what the nodes share, on one backend (Payara's Hazelcast, or Redis). It hands
 * out the node registry, session ownership and room membership, the room locks and the relay bus,
 * all valid from {@link #start} until {@link #close}. Closing leaves the cluster's data alone: the
 * node deregisters itself first; a node that dies without doing so is cleaned up by the others.
 * <p>
 * Every call may throw {@link ClusterUnavailableException} while the backend cannot be reached; the
 * backend reconnects by itself and tells {@link #onRejoined} listeners when it is back.
 * <p>
 * Settings it reads from the {@link dev.visage.api.plugin.PluginContext}: {@value #NODE_TTL_SETTING}
 * (seconds a registry entry lives without a heartbeat, 10 by default) and its own connection
 * settings.
 */
public interface ClusterBackend extends Plugin {

    String NODE_TTL_SETTING = "visage.cluster.node.ttl.seconds";

    /** The registry TTL the node configured ({@value #NODE_TTL_SETTING}), 10 s by default. */
    static Duration nodeTtl(PluginContext context) {
        return Duration.ofSeconds(context.setting(NODE_TTL_SETTING).map(Long::parseLong).orElse(10L));
    }

    NodeRegistry registry();

    ClusterState state();

    RoomLocks locks();

    RelayBus relayBus();

    /** This process's identity in the backend (Hazelcast member UUID, Redis client id), for its NodeInfo. */
    String memberId();

    /** Processes the backend sees in the cluster (Hazelcast members, or live registered nodes). */
    int clusterSize();

    /**
     * Whether every record now has its backup on another process, so that losing one process loses
     * none (Hazelcast: no partition migration under way). False for a few seconds after a member
     * joins or leaves. A backend whose records live outside the nodes (Redis) is always settled.
     */
    default boolean settled() {
        return true;
    }

    /**
     * Called after this node was cut off from the backend (a network split, a long pause, a backend
     * restart) and is connected again: the node registers again and reconciles its sessions, since
     * the others may have removed them meanwhile.
     */
    void onRejoined(Runnable listener);
}
