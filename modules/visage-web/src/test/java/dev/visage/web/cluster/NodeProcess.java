package dev.visage.web.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Visage node started the way a user starts one: {@code ./visage run}. The launcher keeps
 * the Payara Micro JVM's pid in DATA/node.pid, which lets a test kill -9 the node itself.
 */
final class NodeProcess implements AutoCloseable {

    static final Path ROOT = Path.of(System.getProperty("visage.root", "../..")).toAbsolutePath().normalize();
    /** The secret every node this test JVM starts is given (VISAGE_CLUSTER_SECRET): they form one cluster. */
    static final String CLUSTER_SECRET = randomSecret();

    final String nodeId;
    final int port;
    final Path dataDir;
    private final Process launcher;

    private NodeProcess(String nodeId, int port, Path dataDir, Process launcher) {
        this.nodeId = nodeId;
        this.port = port;
        this.dataDir = dataDir;
        this.launcher = launcher;
    }

    /**
     * Starts a node. {@code cluster} names a Hazelcast cluster private to the test; the extra
     * environment may set VISAGE_MONGO_URI or token lifetimes (or another cluster secret).
     */
    static NodeProcess start(String nodeId, int port, int mediaPort, Path dataDir, String cluster, int hzPort,
                             Map<String, String> extraEnv) throws IOException {
        Files.createDirectories(dataDir);
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("visage").toString(), "run",
                "--port", String.valueOf(port), "--data", dataDir.toString(), "--node-id", nodeId,
                "--region", "test", "--media-port", String.valueOf(mediaPort))
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("launcher.log").toFile());
        Map<String, String> env = builder.environment();
        env.put("VISAGE_CLUSTER_NAME", cluster);
        env.put("VISAGE_HZ_PORT", String.valueOf(hzPort));
        env.put("VISAGE_JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        env.put("VISAGE_CLUSTER_SECRET", CLUSTER_SECRET);
        env.putAll(extraEnv);
        return new NodeProcess(nodeId, port, dataDir, builder.start());
    }

    private static String randomSecret() {
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.Base64.getEncoder().encodeToString(bytes);
    }

    /** An empty work directory under target/: each run starts without earlier runs' users. */
    static Path freshDir(String name) throws IOException {
        Path dir = Path.of("target", name).toAbsolutePath();
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return Files.createDirectories(dir);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /**
     * Waits until /health says UP: the node answers 503 {@code starting} (JSON) until its
     * deployment, plugins and cluster state are all up, so one UP is enough.
     */
    NodeProcess awaitHealthy(Duration timeout) throws Exception {
        // a client of its own: nothing pooled by an earlier test's client can stand in the way
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1) // see Api.HTTP
                .connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastSeen = "nothing yet";
        while (System.nanoTime() < deadline) {
            if (!launcher.isAlive()) {
                throw new IllegalStateException("node " + nodeId + " exited: see " + dataDir.resolve("node.log"));
            }
            try {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200 && health.body().contains("\"status\":\"UP\"")) {
                    return this;
                }
                lastSeen = health.statusCode() + " " + health.body();
            } catch (IOException notYet) {
                lastSeen = notYet.toString(); // still starting
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("node " + nodeId + " not healthy after " + timeout + "; /health last answered: "
                + lastSeen + "\n--- launcher.log (tail) ---\n" + tail("launcher.log")
                + "\n--- node.log (tail) ---\n" + tail("node.log"));
    }

    /** The last lines of a file in the data directory, for a failure message. */
    private String tail(String file) throws IOException {
        Path path = dataDir.resolve(file);
        if (!Files.exists(path)) {
            return "(no " + file + ")";
        }
        List<String> lines = Files.readAllLines(path, java.nio.charset.StandardCharsets.ISO_8859_1);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /** The Payara Micro log of the node (DATA/node.log). */
    String log() throws IOException {
        Path log = dataDir.resolve("node.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    long javaPid() throws IOException {
        return Long.parseLong(Files.readString(dataDir.resolve("node.pid")).trim());
    }

    /** kill -9 of the node's JVM: no shutdown hook, no goodbye to the cluster. */
    void kill9() throws Exception {
        ProcessHandle.of(javaPid()).ifPresent(ProcessHandle::destroyForcibly);
        launcher.waitFor(30, TimeUnit.SECONDS);
    }

    /** Sends a signal (STOP, CONT, ...) to the node's JVM, as {@code kill -STOP pid} would. */
    void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(javaPid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " failed for node " + nodeId);
        }
    }

    /** SIGTERM, as an operator stopping the node would send. */
    void stop() throws Exception {
        ProcessHandle.of(javaPid()).ifPresent(ProcessHandle::destroy);
        if (!launcher.waitFor(60, TimeUnit.SECONDS)) {
            ProcessHandle.of(javaPid()).ifPresent(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }

    @Override
    public void close() throws Exception {
        if (launcher.isAlive()) {
            stop();
        }
    }

    static Map<String, String> env(String... keyValues) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }
}
