package dev.visage.web.node;

import dev.visage.api.cluster.ClusterBackend;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.media.MediaEngine;
import dev.visage.api.plugin.StorePlugin;
import dev.visage.api.cluster.NodeVitals;
import dev.visage.core.audit.AuditLog;
import dev.visage.core.cluster.ClusterSeal;
import dev.visage.core.cluster.ClusterSecret;
import dev.visage.core.cluster.SealedClusterState;
import dev.visage.core.cluster.SealedNodeRegistry;
import dev.visage.core.cluster.SealedRelayBus;
import dev.visage.core.config.NodeConfig;
import dev.visage.core.plugin.PluginLoader;
import dev.visage.core.room.RoomService;
import dev.visage.core.session.SessionService;
import dev.visage.core.token.TokenService;
import dev.visage.core.user.AccountService;
import dev.visage.core.user.PasswordHasher;
import dev.visage.web.admin.NodeCommands;
import dev.visage.web.signalling.LocalConnections;
import dev.visage.web.signalling.SenderPool;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Visage node: wires configuration, plugins, cluster state and services at deployment, keeps
 * the node's registry entry alive, cleans up after nodes that died, and leaves cleanly on shutdown.
 */
@ApplicationScoped
public class VisageNode {

    private static final Logger LOG = Logger.getLogger(VisageNode.class.getName());
    private static final Duration HEARTBEAT = Duration.ofSeconds(2);
    private static final Duration SWEEP = Duration.ofSeconds(5);
    /** Longer than any deployment seen here (10 s for the EAR on a busy machine). */
    private static final Duration DEPLOYMENT_WAIT = Duration.ofMinutes(2);
    /** A session of this node is recorded a moment before its socket is: younger ones are left alone. */
    private static final Duration SOCKETLESS_GRACE = Duration.ofSeconds(10);

    /** Millisecond ticks: what the store keeps, so an event and the stored record agree. */
    private final Clock clock = Clock.tick(Clock.systemUTC(), Duration.ofMillis(1));
    private NodeConfig config;
    private StorePlugin store;
    private MediaEngine media;
    private ClusterBackend clusterBackend;
    private ClusterState cluster;
    private ClusterSeal seal;
    private SealedNodeRegistry registry;
    private TokenService tokens;
    private AccountService accounts;
    private SessionService sessions;
    private RoomService rooms;
    private AuditLog audit;
    private LocalConnections connections;
    private ScheduledExecutorService timers;
    private StoreWatch storeWatch;
    private Thread starter;
    private volatile NodeState state = NodeState.STARTING;
    private volatile String startingStep = "loading";
    /** An operator drained this node: no new sessions until it is taken back or restarted. */
    private volatile boolean draining;
    private long startedAt;

    /**
     * Returns at once: the deployment completes and the web layer serves (503 {@code starting} on
     * the API, see {@link #state()}) while {@link #start} runs on a thread of its own, which may
     * wait a long time for the store. A deployment that blocked would leave Payara answering HTML
     * 500 pages to every request meanwhile.
     */
    void onDeploy(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        config = NodeConfig.fromEnvironment();
        connections = new LocalConnections(SenderPool.start(config.outboundMaxMessages(), config.outboundMaxBytes()));
        LOG.info(() -> logPrefix() + "starting: region=" + config.region() + " url=" + config.publicUrl()
                + " data=" + config.dataDir());
        // no inherited thread-locals (see HazelcastClusterBackend: tenant control); the application's classes
        Optional<DeploymentEnd> deploymentEnd = DeploymentEnd.listen(VisageNode.class.getClassLoader());
        starter = new Thread(null, () -> start(deploymentEnd), "visage-node-start", 0, false);
        starter.setContextClassLoader(Thread.currentThread().getContextClassLoader());
        starter.setDaemon(true);
        starter.start();
    }

    private void start(Optional<DeploymentEnd> deploymentEnd) {
        try {
            startingStep = "waiting for its deployment to end";
            if (deploymentEnd.isPresent()) {
                if (deploymentEnd.get().await(DEPLOYMENT_WAIT)) {
                    LOG.info(() -> logPrefix() + "deployment ended (" + deploymentEnd.get().endedBy() + ")");
                } else {
                    LOG.warning(() -> logPrefix() + "no end of deployment announced in " + DEPLOYMENT_WAIT
                            + "; starting anyway");
                }
            }
        } catch (InterruptedException e) {
            LOG.info(() -> logPrefix() + "start-up abandoned: the node is stopping");
            return;
        }
        long begin = System.nanoTime();
        try {
            ClusterSecret secret = config.clusterSecret();
            LOG.info(() -> logPrefix() + "cluster secret from " + secret.origin());
            seal = new ClusterSeal(secret.derive(ClusterSecret.MESSAGE_KEY), config.nodeId(), clock);
            tokens = new TokenService(secret.derive(ClusterSecret.TOKEN_KEY), clock);
            ClassLoader loader = VisageNode.class.getClassLoader();
            store = PluginLoader.find(StorePlugin.class, config.storePlugin(), loader).orElseThrow(() ->
                    new IllegalStateException("store plugin '" + config.storePlugin() + "' not found; available: "
                            + PluginLoader.available(StorePlugin.class, loader)));
            startingStep = "waiting for its store";
            storeWatch = new StoreWatch(store, logPrefix());
            storeWatch.startPatiently(config, attempt -> startingStep = "waiting for its store (attempt " + attempt + ")");
            LOG.info(() -> logPrefix() + "plugin '" + store.name() + "' started");
            storeWatch.watch();
            startingStep = "joining the cluster";
            clusterBackend = PluginLoader.find(ClusterBackend.class, config.clusterPlugin(), loader).orElseThrow(() ->
                    new IllegalStateException("cluster plugin '" + config.clusterPlugin() + "' not found; available: "
                            + PluginLoader.available(ClusterBackend.class, loader)));
            startPlugin(clusterBackend);
            cluster = new SealedClusterState(clusterBackend.state(), seal);
            registry = new SealedNodeRegistry(clusterBackend.registry(), secret.derive(ClusterSecret.REGISTRY_KEY),
                    config.nodeId(), ClusterBackend.nodeTtl(config), clock);
            PasswordHasher hasher = new PasswordHasher();
            accounts = new AccountService(store.users(), hasher, tokens, config.userTokenTtl(), clock, config.adminUsers());
            accounts.applyConfiguredAdmins();
            audit = new AuditLog(store.audit(), clock, config.nodeId());
            sessions = new SessionService(cluster, tokens, config.sessionTokenTtl(), config.nodeId(), clock);
            rooms = new RoomService(store.rooms(), store.chat(), cluster,
                    clusterBackend.locks(), tokens, config.roomTokenTtl(), clock);
            startingStep = "starting its media engine";
            media = PluginLoader.find(MediaEngine.class, config.mediaPlugin(), loader).orElse(null);
            if (media == null) {
                LOG.warning(() -> logPrefix() + "media plugin '" + config.mediaPlugin()
                        + "' not on the class path: chat only");
            } else {
                startPlugin(media);
                media.attach(new SealedRelayBus(clusterBackend.relayBus(), seal, registry));
            }
            timers = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "visage-node-timers");
                t.setDaemon(true);
                return t;
            });
            cluster.onRoomEvent(connections::deliver);
            NodeCommands commands = new NodeCommands(this);
            cluster.onNodeCommand(config.nodeId(), command -> timers.execute(() -> carryOut(commands, command)));
            registry.onNodeGone(this::purgeNode);
            startedAt = clock.millis();
            registry.register(selfInfo());
            timers.scheduleAtFixedRate(this::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
            timers.scheduleAtFixedRate(this::sweepSessions, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
            timers.scheduleAtFixedRate(() -> connections.closeSilent(clock.millis(), config.silentClientTimeout().toMillis()),
                    SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
            clusterBackend.onRejoined(() -> timers.execute(this::afterRejoin));
            state = NodeState.READY;
            LOG.info(() -> logPrefix() + "started in " + (System.nanoTime() - begin) / 1_000_000 + " ms; cluster size "
                    + clusterBackend.clusterSize() + " (" + clusterBackend.name() + "); ready");
        } catch (InterruptedException e) {
            LOG.info(() -> logPrefix() + "start-up abandoned: the node is stopping");
        } catch (Exception | LinkageError e) {
            // a LinkageError too (a class that failed to load): a start-up that died must say so
            if (state == NodeState.STARTING) {
                state = NodeState.FAILED;
                LOG.log(Level.SEVERE, logPrefix() + "failed to start; /health and the API answer 503 start_failed", e);
            }
        }
    }

    private void startPlugin(dev.visage.api.plugin.Plugin plugin) {
        try {
            plugin.start(config);
            LOG.info(() -> logPrefix() + "plugin '" + plugin.name() + "' started");
        } catch (Exception e) {
            throw new IllegalStateException("plugin '" + plugin.name() + "' failed to start: " + e.getMessage(), e);
        }
    }

    /** Stops a started node cleanly, or abandons a start-up in progress and undoes what it did. */
    @PreDestroy
    void onUndeploy() {
        boolean wasReady = state == NodeState.READY;
        state = NodeState.STOPPING;
        if (starter != null && starter.isAlive()) {
            starter.interrupt();
            try {
                starter.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info(() -> logPrefix() + "shutting down: telling " + connections.size() + " clients");
        if (timers != null) {
            timers.shutdownNow();
        }
        if (wasReady) {
            try {
                // clients first: Payara may already be stopping its Hazelcast, and every call to it throws then
                connections.shutdownAll(sessionId -> rooms.disconnect(sessionId, "node-shutdown"));
                registry.deregister(config.nodeId());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, logPrefix() + "cluster clean-up incomplete at shutdown", e);
            }
        }
        if (media != null) {
            media.close();
        }
        if (clusterBackend != null) {
            clusterBackend.close();
        }
        if (storeWatch != null) {
            storeWatch.close();
        }
        if (store != null) {
            store.close();
        }
        LOG.info(() -> logPrefix() + "stopped");
    }

    private void carryOut(NodeCommands commands, String command) {
        try {
            commands.carryOut(command);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, logPrefix() + "operator command failed: " + command, e);
        }
    }

    private void heartbeat() {
        try {
            registry.heartbeat(selfInfo());
        } catch (ClusterUnavailableException e) {
            // every 2 s while the backend is away: one line each, the cause without its stack
            LOG.warning(() -> logPrefix() + "heartbeat failed: cluster backend unavailable (" + e.getCause() + ")");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, logPrefix() + "heartbeat failed", e);
        }
    }

    /**
     * Every 5 s, keeps the cluster's sessions and this node's sockets in step: removes the
     * sessions of nodes that are no longer live (backstop to the membership listener), closes the
     * sockets whose sessions the others removed while this node was cut off, and removes sessions
     * of this node that have no socket any more.
     */
    private void sweepSessions() {
        try {
            long listedAt = clock.millis();
            Collection<SessionRecord> sessions = cluster.allSessions();
            Set<String> live = new HashSet<>();
            registry.liveNodes().forEach(n -> live.add(n.id()));
            Set<String> owners = new HashSet<>();
            sessions.stream().map(SessionRecord::nodeId).forEach(owners::add);
            owners.removeAll(live);
            owners.remove(config.nodeId());
            owners.forEach(this::purgeNode);
            reconcileLocalSessions(sessions, listedAt);
        } catch (ClusterUnavailableException e) {
            LOG.warning(() -> logPrefix() + "session sweep skipped: cluster backend unavailable");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, logPrefix() + "session sweep failed", e);
        }
    }

    private void reconcileLocalSessions(Collection<SessionRecord> sessions, long listedAt) {
        int lost = connections.closeLost(sessions.stream().map(SessionRecord::sessionId).collect(Collectors.toSet()),
                listedAt);
        if (lost > 0) {
            LOG.warning(() -> logPrefix() + "closed " + lost + " sockets whose sessions the cluster had removed"
                    + " (this node was cut off or paused); their clients join again");
        }
        for (SessionRecord session : sessions) {
            if (session.nodeId().equals(config.nodeId()) && !connections.holds(session.sessionId())
                    && session.openedAt() < listedAt - SOCKETLESS_GRACE.toMillis()) {
                rooms.disconnect(session.sessionId(), "closed");
                LOG.info(() -> logPrefix() + "room=" + session.roomId() + " session=" + session.sessionId()
                        + " had no socket on this node: removed");
            }
        }
    }

    /**
     * This node was cut off from the cluster (paused longer than the heartbeat timeout, a network
     * split, a restarted Redis) and is back. Its entries may be gone (Hazelcast discards the merging
     * side's copies, see hazelcast.xml; its member id is new), so it registers again and closes the
     * sockets whose sessions the others removed meanwhile.
     */
    private void afterRejoin() {
        LOG.warning(() -> logPrefix() + "back in the cluster as member " + clusterBackend.memberId());
        heartbeat();
        sweepSessions();
    }

    private void purgeNode(String nodeId) {
        if (nodeId.equals(config.nodeId())) {
            return;
        }
        int purged = rooms.purgeNode(nodeId);
        if (purged > 0) {
            LOG.info(() -> logPrefix() + "removed " + purged + " sessions of gone node " + nodeId);
        }
    }

    public NodeInfo selfInfo() {
        return new NodeInfo(config.nodeId(), config.region(), config.publicUrl(), config.wsUrl(),
                config.mediaHost(), config.mediaPort(), clusterBackend.memberId(), connections.size(), config.capacity(),
                startedAt, clock.millis(), draining, vitals(), null);
    }

    private NodeVitals vitals() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        double cpu = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuLoad() : -1;
        return new NodeVitals(cpu, heap.getUsed(), heap.getMax(), storeUp());
    }

    /** True while an operator drains the node: it refuses new sessions and its clients have moved. */
    public boolean draining() {
        return draining;
    }

    /** Drains the node or takes it back, and tells the cluster at once (not at the next heartbeat). */
    public void draining(boolean on) {
        draining = on;
        heartbeat();
        LOG.info(() -> logPrefix() + (on ? "draining: no new sessions" : "no longer draining: takes sessions again"));
    }

    public String logPrefix() {
        return "node=" + (config == null ? "?" : config.nodeId()) + " ";
    }

    /** Where the node is in its life; only a READY node has its services. */
    public NodeState state() {
        return state;
    }

    /** What a starting node is doing, for the 503 {@code starting} answer. */
    public String startingStep() {
        return startingStep;
    }

    /** True unless the store stopped answering (then the node is DEGRADED). */
    public boolean storeUp() {
        return storeWatch != null && storeWatch.up();
    }

    public NodeConfig config() {
        return config;
    }

    public StorePlugin store() {
        return store;
    }

    public Optional<MediaEngine> media() {
        return Optional.ofNullable(media);
    }

    public ClusterState cluster() {
        return cluster;
    }

    /** What seals and opens the messages nodes send each other, with its count of dropped ones. */
    public ClusterSeal seal() {
        return seal;
    }

    /** The cluster's live nodes, as their sealed entries say, with the count of entries dropped. */
    public SealedNodeRegistry registry() {
        return registry;
    }

    /** Processes in the cluster, as its backend counts them. */
    public int clusterSize() {
        return clusterBackend.clusterSize();
    }

    /** Every cluster record has its backup on another process ({@link ClusterBackend#settled}). */
    public boolean clusterSettled() {
        return clusterBackend.settled();
    }

    public AccountService accounts() {
        return accounts;
    }

    public SessionService sessions() {
        return sessions;
    }

    public RoomService rooms() {
        return rooms;
    }

    public AuditLog audit() {
        return audit;
    }

    public LocalConnections connections() {
        return connections;
    }
}
