package dev.visage.cluster.redis.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Debian {@code redis-server} for tests, on a loopback port of the test's own: bound to
 * 127.0.0.1, no persistence unless asked for, stopped (and its process reaped) when the test is done.
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private final List<String> extraArguments;
    private final Path log;
    private Process process;

    public RedisServer(int port, String... extraArguments) throws IOException {
        this.port = port;
        this.extraArguments = List.of(extraArguments);
        this.log = Files.createDirectories(Path.of("target", "redis")).resolve("redis-" + port + ".log");
    }

    /** A server that keeps its data in an append-only file under {@code dir}, across restarts (as ./visage cluster runs it). */
    public static RedisServer persistent(int port, Path dir) throws IOException {
        return new RedisServer(port, "--dir", Files.createDirectories(dir).toAbsolutePath().toString(),
                "--appendonly", "yes");
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public RedisServer start() throws IOException, InterruptedException {
        if (accepts()) {
            // a server left behind by an interrupted run would answer in place of this one, and a
            // restart of this one would then change nothing
            throw new IllegalStateException("port " + port + " is taken already (a redis-server left by an earlier run?)");
        }
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"));
        command.addAll(extraArguments);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!accepts() || !process.isAlive()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("redis-server on port " + port + " did not start; see " + log);
            }
            Thread.sleep(50);
        }
        return this;
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the server the hard way (SIGKILL): what a crash or a restart looks like to the clients. */
    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor();
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
