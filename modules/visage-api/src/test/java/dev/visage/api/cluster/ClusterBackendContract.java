package dev.visage.api.cluster;

import dev.visage.api.testing.Await;
import dev.visage.api.testing.TestPluginContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every cluster backend must do, as nodes see it. A backend's test extends this class and says
 * how to make a node (its own process's view: a Hazelcast member, a Redis client), how a node
 * dies, and how the backend restarts; the tests are the same for every backend. Every node of a
 * test gets ids prefixed with the test's name, so tests sharing a backend never see each other.
 */
public abstract class ClusterBackendContract {

    /** Short, so expiry tests take seconds; the nodes use 10 s. */
    protected static final Duration NODE_TTL = Duration.ofSeconds(2);
    private static final Duration NEVER = Duration.ofSeconds(60);

    private final List<ClusterBackend> started = new ArrayList<>();
    private String prefix;

    /** A new node's backend, a process of its own as far as the backend can tell, not started yet. */
    protected abstract ClusterBackend newBackend() throws Exception;

    /** The node's process dies: no clean-up, no more heartbeats, its connections drop. */
    protected abstract void kill(ClusterBackend node);

    /** The backend restarts under the running nodes (Redis: the server; Hazelcast: every other member). */
    protected abstract void restartBackend() throws Exception;

    /** How a node in another process reaches this test's backend, and with which arguments. */
    protected abstract Class<? extends LockContender.BackendInAnotherProcess> backendInAnotherProcess();

    protected abstract List<String> backendInAnotherProcessArguments();

    /** Writes text where the node's registry entries are kept, as anything else on the backend could. */
    protected abstract void writeRegistryEntry(ClusterBackend node, String nodeId, String text);

    /** The backend's own settings (e.g. where Redis is). */
    protected Map<String, String> settings() {
        return Map.of();
    }

    @BeforeEach
    void name(TestInfo test) {
        prefix = test.getTestMethod().orElseThrow().getName() + "-";
    }

    @AfterEach
    void stopNodes() {
        started.forEach(ClusterBackend::close);
        started.clear();
    }

    protected ClusterBackend startNode(String name) throws Exception {
        ClusterBackend node = newBackend();
        Map<String, String> settings = new HashMap<>(settings());
        settings.put(ClusterBackend.NODE_TTL_SETTING, Long.toString(NODE_TTL.toSeconds()));
        node.start(TestPluginContext.of(prefix + name, settings));
        started.add(node);
        return node;
    }

    private NodeInfo info(ClusterBackend node, String name) {
        long now = System.currentTimeMillis();
        return new NodeInfo(prefix + name, "test", "http://" + name, "ws://" + name, "127.0.0.1", 1,
                node.memberId(), 0, 10, now, now, false, NodeVitals.UNKNOWN, null);
    }

    private static boolean lists(ClusterBackend node, String id) {
        return node.registry().liveNodes().stream().anyMatch(n -> n.id().equals(id));
    }

    /** The node's core seals every field of its entry: a backend must give back exactly what it was given. */
    @Test
    void anotherNodeReadsAnEntryExactlyAsItWasWritten() throws Exception {
        ClusterBackend writer = startNode("writer");
        ClusterBackend reader = startNode("reader");
        NodeInfo written = new NodeInfo(prefix + "writer", "eu-west", "https://a.example:8443", "wss://a.example:8443/ws",
                "203.0.113.7", 10443, writer.memberId(), 3, 500, 1_700_000_000_123L, System.currentTimeMillis(), true,
                new NodeVitals(0.1 + 0.2, 123_456_789L, 987_654_321L, false), "c2VhbA");
        writer.registry().register(written);

        Await.until(NEVER, "the reader lists the writer", () -> lists(reader, written.id()));
        assertEquals(written, reader.registry().liveNodes().stream().filter(n -> n.id().equals(written.id()))
                .findFirst().orElseThrow());
    }

    @Test
    void anEntryThatIsNoNodesJsonHidesNoOtherNode() throws Exception {
        ClusterBackend node = startNode("node");
        node.registry().register(info(node, "node"));
        writeRegistryEntry(node, prefix + "garbage", "not json");
        writeRegistryEntry(node, prefix + "empty", "{}");

        assertEquals(List.of(prefix + "node"), node.registry().liveNodes().stream().map(NodeInfo::id)
                .filter(id -> id.startsWith(prefix)).toList());
    }

    /**
     * The watcher heartbeats on its own schedule throughout, as a live node does (a quarter of the
     * TTL): it once heartbeat only while waiting for the event, and a kill that took over the 2 s
     * TTL on a busy machine let its own entry expire.
     */
    @Test
    void aDeadNodeLeavesTheRegistryAndTheOthersHearOfIt() throws Exception {
        ClusterBackend watcher = startNode("watcher");
        ClusterBackend doomed = startNode("doomed");
        List<String> gone = new CopyOnWriteArrayList<>();
        watcher.registry().onNodeGone(gone::add);
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor();
        try {
            watcher.registry().register(info(watcher, "watcher"));
            heartbeat.scheduleAtFixedRate(() -> watcher.registry().heartbeat(info(watcher, "watcher")),
                    0, NODE_TTL.toMillis() / 4, TimeUnit.MILLISECONDS);
            doomed.registry().register(info(doomed, "doomed"));
            String doomedId = prefix + "doomed";
            Await.until(NEVER, "the watcher sees the doomed node", () -> lists(watcher, doomedId));

            kill(doomed);

            Await.until(NEVER, "the dead node out of the registry and the node-gone event",
                    () -> !lists(watcher, doomedId) && gone.contains(doomedId));
            assertTrue(lists(watcher, prefix + "watcher"), "the live node stays");
            assertFalse(gone.contains(prefix + "watcher"), "the live node was never reported gone");
        } finally {
            heartbeat.shutdownNow();
        }
    }

    @Test
    void aNodeThatStopsHeartbeatingExpiresWithItsTtl() throws Exception {
        ClusterBackend watcher = startNode("watcher");
        ClusterBackend silent = startNode("silent");
        List<String> gone = new CopyOnWriteArrayList<>();
        watcher.registry().onNodeGone(gone::add);
        silent.registry().register(info(silent, "silent"));
        String silentId = prefix + "silent";
        Await.until(NEVER, "the watcher sees the silent node", () -> lists(watcher, silentId));

        Await.until(NEVER, "the silent node's entry expired", () -> !lists(watcher, silentId));
        Await.until(NEVER, "the node-gone event", () -> gone.contains(silentId));
    }

    @Test
    void aRoomLockExcludesEveryOtherHolderAcrossNodesAndThreads() throws Exception {
        List<ClusterBackend> nodes = List.of(startNode("a"), startNode("b"), startNode("c"));
        int threadsPerNode = 4;
        int rounds = 8;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size() * threadsPerNode);
        try {
            List<Future<?>> workers = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (ClusterBackend node : nodes) {
                for (int t = 0; t < threadsPerNode; t++) {
                    workers.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < rounds; i++) {
                            node.locks().withRoomLock(prefix + "room", Duration.ofSeconds(30), () -> {
                                if (inside.incrementAndGet() != 1) {
                                    overlaps.incrementAndGet();
                                }
                                LockSupport.parkNanos(1_000_000); // a window for another holder to show up in
                                done.incrementAndGet();
                                inside.decrementAndGet();
                                return null;
                            });
                        }
                        return null;
                    }));
                }
            }
            go.countDown();
            for (Future<?> worker : workers) {
                worker.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, overlaps.get(), "two holders at once");
        assertEquals(nodes.size() * threadsPerNode * rounds, done.get());
    }

    @Test
    void aRoomLockExcludesEveryOtherHolderAcrossProcesses(@TempDir Path dir) throws Exception {
        int processes = 3;
        int rounds = 10;
        List<Process> contenders = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                List<String> command = new ArrayList<>(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                        LockContender.class.getName(), backendInAnotherProcess().getName(), prefix + "p" + i,
                        prefix + "room", Integer.toString(rounds), dir.toString()));
                command.addAll(backendInAnotherProcessArguments());
                contenders.add(new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("contender-" + i + ".log").toFile()).start());
            }
            Await.until(NEVER, processes + " contenders connected", () -> everyContender(contenders, dir, "ready-"));
            Files.createFile(dir.resolve("go"));
            Await.until(Duration.ofSeconds(120), "every contender through its rounds",
                    () -> everyContender(contenders, dir, "done-"));
            Files.createFile(dir.resolve("leave"));
            for (int i = 0; i < processes; i++) {
                assertTrue(contenders.get(i).waitFor(60, TimeUnit.SECONDS), "contender " + i + " never left");
                assertEquals(0, contenders.get(i).exitValue(), "contender " + i + " failed:\n" + logTail(dir, i));
            }
        } finally {
            contenders.forEach(Process::destroyForcibly);
        }
        List<String> entries = Files.readAllLines(dir.resolve("entries"));
        assertEquals(List.of(), entries.stream().filter(l -> l.startsWith("overlap")).toList(), "two holders at once");
        assertEquals(processes * rounds, entries.size());
        assertIncreasing(entries.stream().map(l -> Long.parseLong(l.substring("entry ".length()))).toList());
    }

    /** Whether every contender has written its marker; fails at once, with its log, if one has died. */
    private boolean everyContender(List<Process> contenders, Path dir, String marker) {
        for (int i = 0; i < contenders.size(); i++) {
            if (!contenders.get(i).isAlive()) {
                throw new AssertionError("contender " + i + " exited with " + contenders.get(i).exitValue()
                        + " before writing " + marker + ":\n" + logTail(dir, i));
            }
        }
        return IntStream.range(0, contenders.size()).allMatch(i -> Files.exists(dir.resolve(marker + prefix + "p" + i)));
    }

    private static String logTail(Path dir, int contender) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("contender-" + contender + ".log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void assertIncreasing(List<Long> fencingTokens) {
        for (int i = 1; i < fencingTokens.size(); i++) {
            assertTrue(fencingTokens.get(i) > fencingTokens.get(i - 1), "fencing tokens in lock order: " + fencingTokens);
        }
    }

    @Test
    void aDeadHoldersLockIsFreedAndFencingTokensKeepGrowing() throws Exception {
        ClusterBackend holder = startNode("holder");
        ClusterBackend next = startNode("next");
        String room = prefix + "room";
        AtomicLong holderToken = new AtomicLong();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1); // the holder never finishes by itself
        Thread stuck = new Thread(() -> {
            try {
                holder.locks().withRoomLock(room, Duration.ofSeconds(3), fence -> {
                    holderToken.set(fence);
                    holding.countDown();
                    try {
                        never.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return null;
                });
            } catch (Exception | AssertionError e) {
                // the holder died under it: whatever it says now reaches nobody
            }
        });
        stuck.setDaemon(true);
        stuck.start();
        assertTrue(holding.await(60, TimeUnit.SECONDS), "the first holder got the lock");

        kill(holder);

        long nextToken = next.locks().withRoomLock(room, Duration.ofSeconds(10), fence -> fence);
        assertTrue(nextToken > holderToken.get(), "the next holder's fencing token " + nextToken
                + " is above the dead holder's " + holderToken.get());
        stuck.interrupt();
    }

    @Test
    void fencingTokensIncreaseWithEveryGrant() throws Exception {
        List<ClusterBackend> nodes = List.of(startNode("a"), startNode("b"));
        List<Long> tokens = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tokens.add(nodes.get(i % 2).locks().withRoomLock(prefix + "room", Duration.ofSeconds(10), fence -> fence));
        }
        assertIncreasing(tokens);
    }

    @Test
    void messagesArriveInOrderPerChannel() throws Exception {
        ClusterBackend sender = startNode("sender");
        ClusterBackend receiver = startNode("receiver");
        List<Long> relayed = new CopyOnWriteArrayList<>();
        receiver.relayBus().subscribe((from, message) -> {
            if (from.equals(prefix + "sender")) {
                relayed.add((Long) message.get("seq"));
            }
        });
        List<String> events = new CopyOnWriteArrayList<>();
        receiver.state().onRoomEvent((room, json) -> {
            if (room.equals(prefix + "room")) {
                events.add(json);
            }
        });
        int count = 200;
        for (long seq = 0; seq < count; seq++) {
            sender.relayBus().send(prefix + "receiver", Map.of("type", "probe", "seq", seq));
            sender.state().publishRoomEvent(prefix + "room", "{\"seq\":" + seq + "}");
        }
        Await.until(NEVER, count + " relay messages", () -> relayed.size() >= count);
        Await.until(NEVER, count + " room events", () -> events.size() >= count);
        assertEquals(IntStream.range(0, count).mapToObj(Long::valueOf).toList(), relayed);
        assertEquals(IntStream.range(0, count).mapToObj(i -> "{\"seq\":" + i + "}").toList(), events);
    }

    @Test
    void theBusAndTheRegistryWorkAgainAfterTheBackendRestarts() throws Exception {
        ClusterBackend receiver = startNode("receiver");
        ClusterBackend before = startNode("before");
        receiver.registry().register(info(receiver, "receiver"));
        List<Map<String, Object>> relayed = new CopyOnWriteArrayList<>();
        receiver.relayBus().subscribe((from, message) -> relayed.add(message));
        before.relayBus().send(prefix + "receiver", Map.of("type", "before"));
        Await.until(NEVER, "a message before the restart", () -> !relayed.isEmpty());
        long tokenBefore = receiver.locks().withRoomLock(prefix + "fenced", Duration.ofSeconds(10), fence -> fence);

        restartBackend();

        ClusterBackend sender = startNode("sender");
        Await.until(NEVER, "a probe through the restarted backend", () -> {
            try {
                sender.relayBus().send(prefix + "receiver", Map.of("type", "probe"));
                receiver.registry().heartbeat(info(receiver, "receiver"));
            } catch (ClusterUnavailableException e) {
                return false; // not back yet
            }
            // a probe received, not just sent: pub/sub keeps nothing for a subscriber still reconnecting
            return relayed.stream().anyMatch(m -> "probe".equals(m.get("type"))) && lists(sender, prefix + "receiver");
        });
        long tokenAfter = sender.locks().withRoomLock(prefix + "fenced", Duration.ofSeconds(10), fence -> fence);
        assertTrue(tokenAfter > tokenBefore, "a fencing token after the restart (" + tokenAfter
                + ") is above the one before it (" + tokenBefore + "), even if the backend forgot its counter");
        int count = 50;
        for (long seq = 0; seq < count; seq++) {
            sender.relayBus().send(prefix + "receiver", Map.of("type", "after", "seq", seq));
        }
        Await.until(NEVER, count + " messages after the restart", () -> after(relayed).size() >= count);
        assertEquals(IntStream.range(0, count).mapToObj(Long::valueOf).toList(), after(relayed));
    }

    private static List<Object> after(List<Map<String, Object>> relayed) {
        return relayed.stream().filter(m -> "after".equals(m.get("type"))).map(m -> m.get("seq")).toList();
    }

    @Test
    void sessionOwnershipHoldsAcrossNodes() throws Exception {
        ClusterBackend a = startNode("a");
        ClusterBackend b = startNode("b");
        SessionRecord session = new SessionRecord(prefix + "s1", "u1", "Ann", prefix + "a", null, 1L);
        assertTrue(a.state().createSession(session));
        assertFalse(b.state().createSession(session), "the id is taken");
        assertTrue(b.state().replaceSession(session.inRoom("r1")));
        assertEquals("r1", a.state().session(session.sessionId()).orElseThrow().roomId());
        assertEquals(Set.of(session.sessionId()), Set.copyOf(b.state().sessionsOfNode(prefix + "a").stream()
                .map(SessionRecord::sessionId).toList()));
        assertTrue(b.state().allSessions().stream().anyMatch(s -> s.sessionId().equals(session.sessionId())));
        a.state().removeSession(session.sessionId());
        assertFalse(b.state().replaceSession(session), "an ended session is never brought back");
        assertTrue(b.state().session(session.sessionId()).isEmpty());
        assertTrue(b.state().sessionsOfNode(prefix + "a").isEmpty());
        b.state().setMembers(prefix + "room", List.of("x", "y"));
        assertEquals(List.of("x", "y"), a.state().members(prefix + "room"));
    }
}
