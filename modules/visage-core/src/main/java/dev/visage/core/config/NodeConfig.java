package dev.visage.core.config;

import dev.visage.api.plugin.PluginContext;
import dev.visage.core.cluster.ClusterSecret;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The node's typed configuration, read once at start-up. Every setting has a dotted name
 * ({@code visage.http.port}) looked up as a system property first, then as the environment
 * variable of the same name upper-cased with underscores ({@code VISAGE_HTTP_PORT}).
 * Defaults are documented in the README.
 */
public final class NodeConfig implements PluginContext {

    private final Function<String, String> lookup;
    private final String nodeId;
    private final String region;
    private final int httpPort;
    private final String publicUrl;
    private final Path dataDir;
    private final int capacity;
    private final int mediaPort;
    private final String mediaHost;
    private final Duration userTokenTtl;
    private final Duration sessionTokenTtl;
    private final Duration roomTokenTtl;
    private final Duration silentClientTimeout;
    private final int outboundMaxMessages;
    private final int outboundMaxBytes;
    private final String storePlugin;
    private final String mediaPlugin;
    private final String clusterPlugin;
    private final Set<String> adminUsers;
    private ClusterSecret clusterSecret;

    public NodeConfig(Function<String, String> lookup) {
        this.lookup = lookup;
        this.httpPort = intSetting("visage.http.port", 8080);
        this.nodeId = setting("visage.node.id").orElseGet(NodeConfig::randomNodeId);
        this.region = setting("visage.region").orElse("local");
        this.publicUrl = setting("visage.public.url").orElse("http://localhost:" + httpPort);
        this.dataDir = Path.of(setting("visage.data.dir").orElse("data")).toAbsolutePath();
        this.capacity = intSetting("visage.capacity", 500);
        this.mediaPort = intSetting("visage.media.port", 10000);
        this.mediaHost = setting("visage.media.addresses").map(a -> a.split(",")[0].trim()).orElse("");
        this.userTokenTtl = Duration.ofSeconds(intSetting("visage.token.user.ttl.seconds", 12 * 3600));
        this.sessionTokenTtl = Duration.ofSeconds(intSetting("visage.token.session.ttl.seconds", 12 * 3600));
        this.roomTokenTtl = Duration.ofSeconds(intSetting("visage.token.room.ttl.seconds", 120));
        this.silentClientTimeout = Duration.ofSeconds(intSetting("visage.signalling.silent.seconds", 60));
        this.outboundMaxMessages = intSetting("visage.signalling.outbound.max.messages", 1000);
        this.outboundMaxBytes = intSetting("visage.signalling.outbound.max.bytes", 1024 * 1024);
        this.storePlugin = setting("visage.store").orElse("mongo");
        this.mediaPlugin = setting("visage.media").orElse("sfu");
        this.clusterPlugin = setting("visage.cluster").orElse("hazelcast");
        this.adminUsers = setting("visage.admin.users").stream().flatMap(v -> java.util.Arrays.stream(v.split(",")))
                .map(String::trim).filter(name -> !name.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    /** Configuration from system properties and the process environment. */
    public static NodeConfig fromEnvironment() {
        Map<String, String> env = System.getenv();
        return new NodeConfig(name -> {
            String value = System.getProperty(name);
            return value != null ? value : env.get(envName(name));
        });
    }

    static String envName(String name) {
        return name.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    private static String randomNodeId() {
        byte[] bytes = new byte[3];
        new SecureRandom().nextBytes(bytes);
        return "node-" + HexFormat.of().formatHex(bytes);
    }

    private int intSetting(String name, int fallback) {
        return setting(name).map(value -> {
            try {
                return Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting " + name + " is not a number: " + value, e);
            }
        }).orElse(fallback);
    }

    @Override
    public Optional<String> setting(String name) {
        return Optional.ofNullable(lookup.apply(name)).map(String::trim).filter(v -> !v.isEmpty());
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public String region() {
        return region;
    }

    @Override
    public Path dataDir() {
        return dataDir;
    }

    public int httpPort() {
        return httpPort;
    }

    /** The base URL clients use to reach this node, e.g. {@code http://10.0.0.5:8080}. */
    public String publicUrl() {
        return publicUrl;
    }

    public String wsUrl() {
        return publicUrl.replaceFirst("^http", "ws") + "/ws";
    }

    /** The SFU's single UDP port. */
    public int mediaPort() {
        return mediaPort;
    }

    /** The first address the SFU advertises, or empty when it advertises all of the host's. */
    public String mediaHost() {
        return mediaHost;
    }

    /** Sessions this node accepts before it reports itself full. */
    public int capacity() {
        return capacity;
    }

    public Duration userTokenTtl() {
        return userTokenTtl;
    }

    public Duration sessionTokenTtl() {
        return sessionTokenTtl;
    }

    /** A signalling socket whose client has said nothing for this long is closed (the web client pings every 5 s). */
    public Duration silentClientTimeout() {
        return silentClientTimeout;
    }

    /** Frames that may wait to go out on one client socket; one more closes it (the client stopped reading). */
    public int outboundMaxMessages() {
        return outboundMaxMessages;
    }

    /** UTF-8 bytes that may wait to go out on one client socket; more closes it. */
    public int outboundMaxBytes() {
        return outboundMaxBytes;
    }

    public Duration roomTokenTtl() {
        return roomTokenTtl;
    }

    public String storePlugin() {
        return storePlugin;
    }

    public String mediaPlugin() {
        return mediaPlugin;
    }

    /** The cluster backend plugin: {@code hazelcast} (Payara's own) or {@code redis}. */
    public String clusterPlugin() {
        return clusterPlugin;
    }

    /** Usernames that hold the admin role by configuration ({@code VISAGE_ADMIN_USERS=alice,bob}). */
    public Set<String> adminUsers() {
        return adminUsers;
    }

    /**
     * The cluster secret ({@code VISAGE_CLUSTER_SECRET}, {@code VISAGE_CLUSTER_SECRET_FILE}, or the
     * node's own under the data directory), read at the first call.
     */
    public synchronized ClusterSecret clusterSecret() {
        if (clusterSecret == null) {
            clusterSecret = ClusterSecret.load(this);
        }
        return clusterSecret;
    }

    @Override
    public byte[] clusterKey(String purpose) {
        return clusterSecret().derive(purpose);
    }
}
