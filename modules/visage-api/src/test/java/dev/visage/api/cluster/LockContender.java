package dev.visage.api.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * A node in a process of its own that takes a room lock again and again, for the contract's
 * several-processes case. Under the lock it creates the marker file {@code inside} (which fails if
 * another holder is inside too), waits a moment, appends {@code entry <fencing token>} to
 * {@code entries} and removes the marker.
 * <p>
 * Arguments: the {@link BackendInAnotherProcess} class, node id, room, rounds, work directory, then
 * the backend's own arguments. It writes {@code ready-<node>} once connected and starts when
 * {@code go} exists. Through its rounds it writes {@code done-<node>} and stays until {@code leave}
 * exists: a contender that left early would be a node dying under the others (on Hazelcast, two
 * members halting at once take the partitions they alone kept), which is a case of its own.
 * Whatever goes wrong ends the process with status 1 and the stack trace in its output: a
 * backend's own threads would otherwise keep a failed contender alive.
 */
public final class LockContender {

    /** Makes a started backend in this process, reaching the test's backend. */
    public interface BackendInAnotherProcess {
        ClusterBackend start(String nodeId, List<String> args) throws Exception;
    }

    private LockContender() {
    }

    public static void main(String[] args) {
        try {
            contend(args);
        } catch (Throwable e) {
            e.printStackTrace();
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }
        Runtime.getRuntime().halt(0); // whatever the backend left running (a Hazelcast member) ends here
    }

    private static void contend(String[] args) throws Exception {
        BackendInAnotherProcess factory = (BackendInAnotherProcess) Class.forName(args[0]).getConstructor().newInstance();
        String nodeId = args[1];
        String room = args[2];
        int rounds = Integer.parseInt(args[3]);
        Path dir = Path.of(args[4]);
        ClusterBackend node = factory.start(nodeId, Arrays.asList(args).subList(5, args.length));
        Files.createFile(dir.resolve("ready-" + nodeId));
        while (!Files.exists(dir.resolve("go"))) {
            Thread.sleep(20);
        }
        for (int i = 0; i < rounds; i++) {
            node.locks().withRoomLock(room, Duration.ofSeconds(30), fence -> {
                Path inside = dir.resolve("inside");
                try {
                    Files.createFile(inside);
                } catch (FileAlreadyExistsException e) {
                    append(dir, "overlap " + nodeId);
                    return null;
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
                try {
                    Thread.sleep(2);
                    append(dir, "entry " + fence);
                    Files.delete(inside);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return null;
            });
        }
        Files.createFile(dir.resolve("done-" + nodeId));
        while (!Files.exists(dir.resolve("leave"))) {
            Thread.sleep(20);
        }
        node.close();
    }

    private static synchronized void append(Path dir, String line) {
        try {
            Files.writeString(dir.resolve("entries"), line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
