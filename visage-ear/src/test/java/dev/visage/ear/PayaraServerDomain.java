package dev.visage.ear;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Payara Server domain made and driven with asadmin, the way the README tells an operator to:
 * create-domain, the node's hazelcast.xml in the domain's config directory, start-domain with
 * {@code payara-config/server-preboot.asadmin} (so the Data Grid and phone-home are configured before
 * they first start), the node's settings as system properties, deploy, stop-domain.
 */
final class PayaraServerDomain implements AutoCloseable {

    static final String NAME = "visage";
    /** create-domain --portbase: admin = base + 48, HTTP = base + 80; every domain port lies in base..base+99. */
    static final int PORT_BASE = 4900;
    static final int ADMIN_PORT = PORT_BASE + 48;
    static final int HTTP_PORT = PORT_BASE + 80;
    static final int DATA_GRID_PORT = 4990;
    static final int MEDIA_PORT = 8360;
    static final int RELAY_PORT = 8361;

    private final Path payaraHome;
    private final Path root;
    private final Path work;
    private final Path domains;
    private int step;

    private PayaraServerDomain(Path payaraHome, Path root, Path work) {
        this.payaraHome = payaraHome;
        this.root = root;
        this.work = work;
        this.domains = work.resolve("domains");
    }

    /** A fresh domain under {@code work}; a domain left running there by an aborted run is stopped first. */
    static PayaraServerDomain create(Path payaraHome, Path root, Path work) throws Exception {
        if (!Files.isRegularFile(payaraHome.resolve("bin/asadmin"))) {
            throw new IllegalStateException("no Payara Server at " + payaraHome + " (mvn verify unpacks it there)");
        }
        PayaraServerDomain domain = new PayaraServerDomain(payaraHome, root, work);
        if (Files.exists(domain.pidFile())) {
            domain.stopQuietly();
        }
        deleteTree(work);
        Files.createDirectories(work);
        requireFree();
        domain.asadmin(Duration.ofSeconds(120), "create-domain", "--nopassword=true", "--portbase",
                String.valueOf(PORT_BASE), "--domaindir", domain.domains.toString(), NAME);
        return domain;
    }

    /**
     * Writes the Data Grid's configuration (TCP-IP on 127.0.0.1 only, a cluster name of this test's
     * own) with the launcher, then starts the domain with the pre-boot commands.
     */
    void start(String clusterName) throws Exception {
        Path hazelcastXml = domains.resolve(NAME).resolve("config/hazelcast-config.xml");
        ProcessBuilder launcher = new ProcessBuilder(root.resolve("visage").toString(), "hazelcast-config",
                hazelcastXml.toString()).redirectErrorStream(true).redirectOutput(work.resolve("hazelcast-config.log").toFile());
        launcher.environment().putAll(Map.of("VISAGE_CLUSTER_NAME", clusterName,
                "VISAGE_HZ_PORT", String.valueOf(DATA_GRID_PORT), "VISAGE_HZ_MEMBERS", "127.0.0.1:" + DATA_GRID_PORT,
                "VISAGE_HZ_INTERFACE", "127.0.0.1"));
        Process written = launcher.start();
        if (!written.waitFor(30, TimeUnit.SECONDS) || written.exitValue() != 0) {
            throw new IllegalStateException("./visage hazelcast-config failed: " + Files.readString(work.resolve("hazelcast-config.log")));
        }
        asadmin(Duration.ofSeconds(180), "start-domain", "--domaindir", domains.toString(), "--prebootcommandfile",
                root.resolve("payara-config/server-preboot.asadmin").toString(), NAME);
    }

    /** create-system-properties on the running server: Payara sets them in the JVM at once. */
    void systemProperties(Map<String, String> properties) throws Exception {
        String list = properties.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue().replace(":", "\\:"))
                .collect(Collectors.joining(":"));
        remote(Duration.ofSeconds(60), "create-system-properties", list);
    }

    void deploy(Path ear) throws Exception {
        remote(Duration.ofSeconds(300), "deploy", "--name", NAME, ear.toString());
    }

    /** An asadmin command against this domain's running server; returns what it printed. */
    String remote(Duration timeout, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("--port", String.valueOf(ADMIN_PORT)));
        command.addAll(List.of(args));
        return asadmin(timeout, command.toArray(String[]::new));
    }

    String baseUrl() {
        return "http://127.0.0.1:" + HTTP_PORT;
    }

    Path serverLog() {
        return domains.resolve(NAME).resolve("logs/server.log");
    }

    Path work() {
        return work;
    }

    @Override
    public void close() throws Exception {
        try {
            asadmin(Duration.ofSeconds(120), "stop-domain", "--domaindir", domains.toString(), NAME);
        } finally {
            killIfStillRunning();
        }
    }

    private void stopQuietly() {
        try {
            close();
        } catch (Exception e) {
            System.out.println("[ear-it] left-over domain: " + e.getMessage());
        }
    }

    /** Written by a running server, removed when it stops. */
    private Path pidFile() {
        return domains.resolve(NAME).resolve("config/pid");
    }

    /** The pid file outlives a server that stop-domain could not stop. */
    private void killIfStillRunning() throws IOException {
        Path pidFile = pidFile();
        if (Files.exists(pidFile)) {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            ProcessHandle.of(pid).filter(p -> p.info().command().orElse("").contains("java")).ifPresent(p -> {
                System.out.println("[ear-it] killing Payara Server pid " + pid);
                p.destroyForcibly();
            });
        }
    }

    private String asadmin(Duration timeout, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", payaraHome.resolve("bin/asadmin").toString(), "--interactive=false"));
        command.addAll(List.of(args));
        // output to a file: start-domain leaves a server running that may inherit a pipe and never close it
        Path output = work.resolve(String.format("asadmin-%02d-%s.log", ++step, args[args[0].startsWith("--") ? 2 : 0]));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("AS_JAVA", System.getProperty("java.home"));
        Process process = builder.start();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("asadmin " + String.join(" ", args) + " still running after " + timeout
                    + ": " + Files.readString(output));
        }
        String printed = Files.readString(output);
        if (process.exitValue() != 0) {
            throw new IllegalStateException("asadmin " + String.join(" ", args) + " failed (" + process.exitValue() + "): "
                    + printed + "\nserver log: " + serverLog());
        }
        return printed;
    }

    /** The ports of this helper's range that the domain takes; a clear message if something holds one. */
    private static void requireFree() throws IOException {
        for (int port : new int[] {ADMIN_PORT, HTTP_PORT, PORT_BASE + 81, DATA_GRID_PORT}) {
            try (ServerSocket ignored = new ServerSocket(port)) {
                // free
            } catch (IOException taken) {
                throw new IllegalStateException("TCP port " + port + " is taken: is another Payara Server domain running? "
                        + "PayaraServerEarIT uses 4900-4999 and UDP " + MEDIA_PORT + "-" + RELAY_PORT, taken);
            }
        }
        for (int port : new int[] {MEDIA_PORT, RELAY_PORT}) {
            try (DatagramSocket ignored = new DatagramSocket(port)) {
                // free
            } catch (IOException taken) {
                throw new IllegalStateException("UDP port " + port + " is taken", taken);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
