package dev.visage.users.mongo;

import de.bwaldvogel.mongo.MongoServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A MongoDB-compatible server (mongo-java-server) persisting to one H2 MVStore file, for machines
 * without a MongoDB install; every acknowledged write is in the file ({@link DurableH2Backend}).
 * Used inside a node by {@link MongoStorePlugin}, or as a standalone process that all nodes of a
 * local cluster share (an MVStore file can be open in one process only).
 */
public final class EmbeddedMongoServer implements AutoCloseable {

    private static final String USAGE =
            "usage: EmbeddedMongoServer --port N --file PATH [--host 127.0.0.1]";

    private final MongoServer server;
    private final InetSocketAddress address;
    private final Path file;

    private EmbeddedMongoServer(MongoServer server, InetSocketAddress address, Path file) {
        this.server = server;
        this.address = address;
        this.file = file;
    }

    /**
     * Opens (or creates) the store file and listens on host:port; port 0 picks a free port.
     * The file is used by name as given: MVStore adds no extension (upstream's own examples use
     * {@code .mv}) and keeps its compaction temp files beside it.
     */
    public static EmbeddedMongoServer start(Path file, String host, int port) throws IOException {
        Path absolute = file.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        MongoServer server = new MongoServer(new DurableH2Backend(absolute.toString()));
        try {
            server.bind(host, port);
        } catch (Exception e) {
            // Netty rethrows a failed bind (BindException) undeclared, which MongoServer.bind does
            // not clean up after: its non-daemon threads and the file lock would outlive the error.
            server.shutdownNow();
            throw e;
        }
        return new EmbeddedMongoServer(server, server.getLocalAddress(), absolute);
    }

    public String connectionString() {
        return "mongodb://" + address.getHostString() + ":" + address.getPort();
    }

    public int port() {
        return address.getPort();
    }

    public Path file() {
        return file;
    }

    /** Disconnects clients and closes the MVStore, which writes all pending changes to disk. */
    @Override
    public void close() {
        server.shutdownNow();
    }

    public static void main(String[] args) throws IOException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        EmbeddedMongoServer embedded = start(options.file(), options.host(), options.port());
        // SIGTERM / SIGINT run shutdown hooks: closing flushes the MVStore so no write is lost.
        Runtime.getRuntime().addShutdownHook(new Thread(embedded::close, "embedded-mongo-stop"));
        // The server's Netty threads are non-daemon, so the process lives on after main returns.
        System.out.println("embedded mongo listening on " + embedded.address.getHostString() + ":"
                + embedded.port() + " (file " + options.file() + ")");
    }

    private record Options(String host, int port, Path file) {

        static Options parse(String[] args) {
            String host = "127.0.0.1";
            Integer port = null;
            Path file = null;
            for (int i = 0; i < args.length; i += 2) {
                String option = args[i];
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("missing value for " + option);
                }
                String value = args[i + 1];
                switch (option) {
                    case "--port" -> port = parsePort(value);
                    case "--file" -> file = Path.of(value);
                    case "--host" -> host = value;
                    default -> throw new IllegalArgumentException("unknown option " + option);
                }
            }
            if (port == null || file == null) {
                throw new IllegalArgumentException("--port and --file are required");
            }
            return new Options(host, port, file);
        }

        private static int parsePort(String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--port needs a number, got " + value);
            }
        }
    }
}
