package dev.visage.core.cluster;

import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeRegistry;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * A backend's {@link NodeRegistry} whose entries are sealed: each node writes its own entry with an
 * HMAC-SHA256 (under a key derived from the cluster secret, {@link ClusterSecret#REGISTRY_KEY}) over
 * every field of it (id, region, URLs, media host and port, member id, load, capacity, start and
 * heartbeat times, draining, vitals), and every read drops an entry without a seal, with a MAC that
 * fails, or with a heartbeat time further than the registry TTL plus {@link ClusterSeal#WINDOW}
 * from this node's clock (an old entry replayed, or one from the future). So the node list clients
 * get ({@code /api/nodes}, {@code /nearest}), the relay's peers and the session sweep only ever see
 * nodes a holder of the cluster secret advertised, with the URLs it gave.
 * <p>
 * Each dropped entry is counted once per reason ({@code visage_node_registry_entries_rejected_total})
 * and reported in the log, however often it is read.
 * <p>
 * What the seal does not stop: anyone on the backend can still delete or overwrite entries (a
 * node then looks gone until its next heartbeat, and the others may purge its sessions meanwhile),
 * replay a genuine entry until it is stale, fire node-gone events for entries it wrote itself, and
 * take or break room locks, which are not sealed at all. Nor does it cover what a backend counts
 * by itself (Hazelcast's member count, the Redis plugin's poll of its raw entries for health).
 */
public final class SealedNodeRegistry implements NodeRegistry {

    private static final String VERSION = "VN1";
    /** Rejected entries remembered, so that each is counted once; past that, the oldest is forgotten. */
    private static final int REMEMBERED = 1024;
    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
    private static final Logger LOG = Logger.getLogger(SealedNodeRegistry.class.getName());

    /** Why an entry was dropped: the {@code reason} label of {@code visage_node_registry_entries_rejected_total}. */
    public enum Rejection {
        UNSEALED("unsealed"), BAD_MAC("bad_mac"), STALE("stale");

        private final String label;

        Rejection(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final NodeRegistry backend;
    private final FieldMac mac;
    private final String nodeId;
    private final long maxAgeMillis;
    private final Clock clock;
    private final Map<Rejection, LongAdder> rejected = new EnumMap<>(Rejection.class);
    /** Entries dropped lately (guarded by itself). */
    private final Map<NodeInfo, Rejection> dropped = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<NodeInfo, Rejection> eldest) {
            return size() > REMEMBERED;
        }
    };
    private final DropReport report;

    /**
     * @param key the registry key, {@link ClusterSecret#derive}d with {@link ClusterSecret#REGISTRY_KEY}
     * @param ttl how long the backend keeps an entry without a heartbeat
     */
    public SealedNodeRegistry(NodeRegistry backend, byte[] key, String nodeId, Duration ttl, Clock clock) {
        this.backend = backend;
        this.mac = new FieldMac(key);
        this.nodeId = nodeId;
        this.maxAgeMillis = ttl.plus(ClusterSeal.WINDOW).toMillis();
        this.clock = clock;
        for (Rejection r : Rejection.values()) {
            rejected.put(r, new LongAdder());
        }
        this.report = new DropReport(LOG, clock);
    }

    @Override
    public void register(NodeInfo self) {
        backend.register(sealed(self));
    }

    @Override
    public void heartbeat(NodeInfo self) {
        backend.heartbeat(sealed(self));
    }

    @Override
    public void deregister(String id) {
        backend.deregister(id);
    }

    /** The entries that open, by id; of two genuine entries with one id (one replayed elsewhere), the newest. */
    @Override
    public List<NodeInfo> liveNodes() {
        long now = clock.millis();
        return backend.liveNodes().stream().filter(n -> opens(n, now))
                .collect(Collectors.toMap(NodeInfo::id, n -> n,
                        (a, b) -> a.heartbeatAt() >= b.heartbeatAt() ? a : b))
                .values().stream().sorted(Comparator.comparing(NodeInfo::id)).toList();
    }

    /** Passes on a node-gone event unless that node is still listed with a genuine, fresh entry. */
    @Override
    public void onNodeGone(Consumer<String> listener) {
        backend.onNodeGone(id -> {
            if (liveNodes().stream().noneMatch(n -> n.id().equals(id))) {
                listener.accept(id);
            }
        });
    }

    /** Distinct entries dropped so far, for this reason. */
    public long rejected(Rejection reason) {
        return rejected.get(reason).sum();
    }

    NodeInfo sealed(NodeInfo entry) {
        return entry.withSeal(BASE64.encodeToString(macOf(entry)));
    }

    private boolean opens(NodeInfo entry, long now) {
        Rejection reason = rejection(entry, now);
        if (reason == null) {
            return true;
        }
        boolean first;
        synchronized (dropped) {
            first = dropped.put(entry, reason) != reason;
        }
        if (first) {
            rejected.get(reason).increment();
            report.dropped(count -> "node=" + nodeId + " dropped a node registry entry (" + reason.label
                    + ") for node " + entry.id() + " at " + entry.httpUrl() + "; " + count
                    + " dropped since the last report. Every node of the cluster must be given the same"
                    + " VISAGE_CLUSTER_SECRET and keep its clock right; anything else writing to the cluster"
                    + " backend is not a member");
        }
        return false;
    }

    private Rejection rejection(NodeInfo entry, long now) {
        if (entry.seal() == null) {
            return Rejection.UNSEALED;
        }
        byte[] claimed;
        try {
            claimed = Base64.getUrlDecoder().decode(entry.seal());
        } catch (IllegalArgumentException e) {
            return Rejection.BAD_MAC;
        }
        if (!MessageDigest.isEqual(macOf(entry), claimed)) {
            return Rejection.BAD_MAC;
        }
        return Math.abs(now - entry.heartbeatAt()) > maxAgeMillis ? Rejection.STALE : null;
    }

    /** Every field but the seal, in a fixed order; doubles in Java's shortest round-tripping form. */
    private byte[] macOf(NodeInfo n) {
        return mac.over(VERSION, n.id(), n.region(), n.httpUrl(), n.wsUrl(), n.mediaHost(),
                Integer.toString(n.mediaPort()), n.memberId(), Integer.toString(n.load()), Integer.toString(n.capacity()),
                Long.toString(n.startedAt()), Long.toString(n.heartbeatAt()), Boolean.toString(n.draining()),
                Double.toString(n.vitals().cpuLoad()), Long.toString(n.vitals().heapUsedBytes()),
                Long.toString(n.vitals().heapMaxBytes()), Boolean.toString(n.vitals().storeUp()));
    }
}
