package dev.visage.web.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The embedded MongoDB-compatible server as its own process, shared by the nodes of a local
 * cluster (as {@code ./visage cluster} runs it), so killing a node never takes the data with it.
 */
final class SharedStoreProcess implements AutoCloseable {

    private final Process process;
    final Path file;
    final int port;
    final String uri;

    private SharedStoreProcess(Process process, Path file, int port) {
        this.process = process;
        this.file = file;
        this.port = port;
        this.uri = "mongodb://127.0.0.1:" + port;
    }

    /** A store on a free port. */
    static SharedStoreProcess start(Path file) throws IOException {
        return start(file, 0);
    }

    /** A store on {@code port} (0: a free one), e.g. the port of a store that was killed, on its file. */
    static SharedStoreProcess start(Path file, int port) throws IOException {
        Path plugin = NodeProcess.ROOT.resolve("plugins/visage-users-mongo/target");
        Process process = new ProcessBuilder("java", "-cp",
                plugin.resolve("visage-users-mongo-0.1.0-SNAPSHOT.jar") + ":" + plugin.resolve("lib") + "/*",
                "dev.visage.users.mongo.EmbeddedMongoServer", "--port", String.valueOf(port), "--file", file.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            int at = line.indexOf("listening on ");
            if (at >= 0) {
                String address = line.substring(at + "listening on ".length()).split(" ")[0];
                Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "store-log-drain");
                drain.setDaemon(true);
                drain.start();
                return new SharedStoreProcess(process, file, Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
            }
        }
        throw new IllegalStateException("embedded store exited before listening:\n" + seen);
    }

    /** kill -9: no shutdown hook, so only what the store committed survives. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor(20, TimeUnit.SECONDS);
    }
}
