package dev.visage.web.cluster;

import dev.visage.api.cluster.ClusterCodec;
import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeVitals;
import dev.visage.core.cluster.ClusterSecret;
import dev.visage.core.token.TokenClaims;
import dev.visage.core.token.TokenService;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real cluster of two Payara Micro processes started with the launcher, sharing the embedded
 * store process, on the default cluster backend (Payara's Hazelcast; {@link RedisClusterIT} runs the
 * cluster tests again on Redis). Tests run in order on the same cluster; near the end one pauses
 * node B for 10 s (SIGSTOP), one kills it, and the last kills the store and starts node B again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final Duration START = Duration.ofSeconds(240);
    /** An admin by configuration (VISAGE_ADMIN_USERS), registered only after the nodes started. */
    private static final String ADMIN = "ada";
    private Path work;
    private String clusterName;
    private Map<String, String> nodeEnv;
    private SharedStoreProcess store;
    private NodeProcess nodeA;
    private NodeProcess nodeB;
    Api apiA;
    Api apiB;
    String tokenA;
    String tokenB;

    @BeforeAll
    void startCluster() throws Exception {
        work = NodeProcess.freshDir("it-" + getClass().getSimpleName()); // ClusterIT and RedisClusterIT keep their own logs
        store = SharedStoreProcess.start(work.resolve("store.mv"));
        // the rate limits this class checks, set so that the other tests' traffic stays under them:
        // its ~60 registrations come from one address, a socket chats 40 times in the stuck-client test
        nodeEnv = NodeProcess.env("VISAGE_MONGO_URI", store.uri, "VISAGE_RATE_REGISTER_ADDRESS", "100/10m",
                "VISAGE_RATE_CHAT", "50/10m", "VISAGE_RATE_SOCKET_MESSAGES", "200/10m",
                "VISAGE_ADMIN_USERS", ADMIN + ",someone-else");
        nodeEnv.putAll(startBackend(work));
        clusterName = "visage-it-" + ProcessHandle.current().pid();
        nodeA = startNodeA();
        nodeB = startNodeB();
        nodeA.awaitHealthy(START);
        nodeB.awaitHealthy(START);
        apiA = new Api(nodeA.baseUrl());
        apiB = new Api(nodeB.baseUrl());
    }

    private NodeProcess startNodeA() throws Exception {
        return NodeProcess.start("it-a", 18181, 11100, work.resolve("a"), clusterName, 5930, nodeEnv);
    }

    private NodeProcess startNodeB() throws Exception {
        return NodeProcess.start("it-b", 18182, 11101, work.resolve("b"), clusterName, 5930, nodeEnv);
    }

    /** Starts the cluster backend, if it runs apart from the nodes, and returns the nodes' settings for it. */
    protected Map<String, String> startBackend(Path work) throws Exception {
        return Map.of(); // Payara's own Hazelcast, with the launcher's hazelcast.xml
    }

    protected void stopBackend() throws Exception {
    }

    /**
     * False where a subclass runs the cluster tests on another backend: the tests that do not depend
     * on the backend (bad input, a stuck client, the store outage) and the Hazelcast split-brain
     * case are skipped there, and say so.
     */
    protected boolean runsBackendIndependentTests() {
        return true;
    }

    private void onlyOnTheDefaultBackend() {
        Assumptions.assumeTrue(runsBackendIndependentTests(), "not backend-specific: run by ClusterIT");
    }

    @AfterAll
    void stopCluster() throws Exception {
        for (AutoCloseable c : new AutoCloseable[]{nodeA, nodeB, store}) {
            if (c != null) {
                c.close();
            }
        }
        stopBackend();
    }

    @Test
    @Order(1)
    void bothNodesAppearInEachRegistryWithinTenSeconds() throws Exception {
        long began = System.nanoTime();
        awaitTrue(Duration.ofSeconds(10), () -> nodeIds(apiA).containsAll(List.of("it-a", "it-b"))
                && nodeIds(apiB).containsAll(List.of("it-a", "it-b")));
        System.out.printf("[figure] both nodes listed by both nodes %d ms after the second was healthy%n",
                (System.nanoTime() - began) / 1_000_000);
        // a backend may count its cluster from its last registry poll (Redis: each second)
        awaitTrue(Duration.ofSeconds(10), () -> clusterSize(apiA) == 2);
        assertEquals("UP", apiA.get("/health").json().getString("status"));
    }

    @Test
    @Order(2)
    void registrationAndLoginAnswerWithTheContractsStatuses() throws Exception {
        String body = Api.json("username", "carol", "password", "correct horse", "displayName", "Carol");
        apiA.post("/api/users", body, null).expect(201);
        Api.Reply again = apiB.post("/api/users", body, null);
        assertEquals(409, again.status());
        assertEquals("username_taken", again.code());
        Api.Reply wrong = apiB.post("/api/login", Api.json("username", "carol", "password", "wrong horse"), null);
        assertEquals(401, wrong.status());
        assertEquals("bad_credentials", wrong.code());
        assertEquals(200, apiB.post("/api/login", Api.json("username", "carol", "password", "correct horse"), null)
                .status(), "a user registered on one node logs in on the other");
    }

    @Test
    @Order(3)
    void badRestInputGetsClearJsonErrors() throws Exception {
        onlyOnTheDefaultBackend();
        String user = apiA.login("dave", "dave-password");
        assertError(apiA.post("/api/users", "{\"username\":", null), 400, "bad_json");
        assertError(apiA.post("/api/users", "[1,2]", null), 400, "bad_json");
        assertError(apiA.post("/api/users", Api.json("username", "erin", "password", ""), null), 400,
                "invalid_password");
        assertError(apiA.post("/api/users", Api.json("username", "erin", "password", "x".repeat(10 * 1024 * 1024)),
                null), 413, "message_too_large");
        assertError(apiA.post("/api/users", Api.json("username", "a b", "password", "long enough"), null), 400,
                "invalid_username");
        assertError(apiA.post("/api/users", "{\"username\":5,\"password\":\"long enough\"}", null), 400,
                "bad_request");
        assertError(apiA.post("/api/rooms", "{}", null), 401, "token_missing");
        assertError(apiA.post("/api/rooms", "{}", user + "x"), 401, "token_invalid");
        assertError(apiA.post("/api/rooms", "{}", forgedToken()), 401, "token_invalid");
        assertError(apiA.post("/api/rooms", "{}", expiredUserToken()), 401, "token_expired");
        assertError(apiA.get("/api/rooms/nosuchroom", user), 404, "room_not_found");
        assertError(apiA.get("/api/rooms/nosuchroom/messages", user), 404, "room_not_found");
        String room = apiA.createRoom(user, "errors");
        assertError(apiA.post("/api/rooms/" + room + "/join", null, user), 401, "token_invalid");
        String unconnected = apiA.post("/api/sessions", null, user).json().getString("sessionToken");
        assertError(apiA.post("/api/rooms/" + room + "/join", null, unconnected), 409, "session_not_connected");
        assertEquals("UP", apiA.get("/health").json().getString("status"), "the node is still up");
    }

    @Test
    @Order(4)
    void chatReachesMembersOnTheOtherNodeAndIsKept() throws Exception {
        tokenA = apiA.login("alice", "alice-password");
        tokenB = apiB.login("bob", "bob-password");
        String room = apiA.createRoom(tokenA, "Standup");
        try (SignalSocket alice = SignalSocket.open(apiA, tokenA); SignalSocket bob = SignalSocket.open(apiB, tokenB)) {
            alice.join(apiA, room);
            JsonObject bobJoined = bob.join(apiB, room);
            assertEquals(2, bobJoined.getJsonArray("members").size());
            alice.await(m -> "member-joined".equals(m.getString("type")) && bob.sessionId.equals(
                    m.getString("sessionId")), Duration.ofSeconds(10));
            alice.send("{\"type\":\"chat\",\"text\":\"hello from node A\"}");
            JsonObject chat = bob.awaitType("chat");
            assertEquals("hello from node A", chat.getString("text"));
            assertEquals("alice", chat.getString("displayName"));
        }
        JsonArray history = (JsonArray) Api.parse(apiB.get("/api/rooms/" + room + "/messages", tokenB).body());
        assertEquals("hello from node A", history.getJsonObject(history.size() - 1).getString("text"));
    }

    @Test
    @Order(5)
    void badSocketInputGetsAnErrorAndTheSocketLivesOn() throws Exception {
        onlyOnTheDefaultBackend();
        String room = apiA.createRoom(tokenA, "noise");
        String otherRoom = apiA.createRoom(tokenA, "elsewhere");
        try (SignalSocket noisy = SignalSocket.open(apiA, tokenA); SignalSocket calm = SignalSocket.open(apiB, tokenB)) {
            noisy.send("{\"type\":\"chat\",\"text\":\"too early\"}");
            assertEquals("not_in_room", noisy.awaitType("error").getString("code"));
            calm.join(apiB, room);
            noisy.send("{not json");
            assertEquals("bad_json", noisy.awaitType("error").getString("code"));
            noisy.send("{\"type\":\"teleport\"}");
            assertEquals("unknown_type", noisy.awaitType("error").getString("code"));
            noisy.send("{\"type\":42}");
            assertEquals("bad_request", noisy.awaitType("error").getString("code"));
            noisy.send("{\"type\":\"chat\",\"text\":\"" + "y".repeat(70 * 1024) + "\"}");
            assertEquals("message_too_large", noisy.awaitType("error").getString("code"));
            noisy.send("{\"type\":\"join\",\"roomToken\":\"" + forgedToken() + "\"}");
            assertEquals("token_invalid", noisy.awaitType("error").getString("code"));
            noisy.send("{\"type\":\"join\"}");
            assertEquals("token_missing", noisy.awaitType("error").getString("code"));
            noisy.send("{\"type\":\"join\",\"roomId\":\"nosuchroom\"}");
            assertEquals("room_not_found", noisy.awaitType("error").getString("code"));
            noisy.send("{\"type\":\"join\",\"roomId\":7}");
            assertEquals("bad_request", noisy.awaitType("error").getString("code"));

            String calmToken = apiB.post("/api/rooms/" + room + "/join", null, calm.sessionToken).json()
                    .getString("roomToken");
            noisy.send("{\"type\":\"join\",\"roomToken\":\"" + calmToken + "\"}");
            assertEquals("token_mismatch", noisy.awaitType("error").getString("code"));

            String staleToken = apiA.post("/api/rooms/" + room + "/join", null, noisy.sessionToken).json()
                    .getString("roomToken");
            apiA.post("/api/rooms/" + otherRoom + "/join", null, noisy.sessionToken);
            noisy.send("{\"type\":\"join\",\"roomToken\":\"" + staleToken + "\"}");
            assertEquals("not_in_room", noisy.awaitType("error").getString("code"), "a token for the room it left");

            noisy.send("{\"type\":\"join\",\"roomToken\":\"" + expiredRoomToken(noisy.sessionId, otherRoom) + "\"}");
            assertEquals("token_expired", noisy.awaitType("error").getString("code"));

            noisy.send("{\"type\":\"ping\"}");
            noisy.awaitType("pong");
            noisy.send("{\"type\":\"join\",\"roomId\":\"" + otherRoom + "\"}"); // the one-step join
            assertEquals("elsewhere", noisy.awaitType("joined").getJsonObject("room").getString("name"),
                    "after all that, the socket still joins");
            calm.send("{\"type\":\"chat\",\"text\":\"still here\"}");
            assertEquals("still here", calm.awaitType("chat").getString("text"), "other sessions are untouched");
        }
        for (String token : new String[]{"", "garbage", forgedToken()}) {
            try (SignalSocket rejected = SignalSocket.raw(apiA, token)) {
                assertEquals(token.isEmpty() ? "token_missing" : "token_invalid",
                        rejected.awaitType("error").getString("code"));
                assertEquals(1008, rejected.closed.get(10, java.util.concurrent.TimeUnit.SECONDS));
            }
        }
    }

    @Test
    @Order(6)
    void fiftyConcurrentJoinsOverTwoNodesLeaveFiftyMembersAndFiftyLeavesLeaveNone() throws Exception {
        String room = apiA.createRoom(tokenA, "crowd");
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            users.add((i % 2 == 0 ? apiA : apiB).login("crowd" + i, "crowd-password-" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Callable<SignalSocket>> joins = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Api api = i % 2 == 0 ? apiA : apiB;
                String user = users.get(i % 10);
                joins.add(() -> {
                    SignalSocket socket = SignalSocket.open(api, user);
                    socket.join(api, room);
                    return socket;
                });
            }
            long began = System.nanoTime();
            List<SignalSocket> sockets = new ArrayList<>();
            for (Future<SignalSocket> f : pool.invokeAll(joins)) {
                sockets.add(f.get());
            }
            System.out.printf("[figure] 50 concurrent joins over 2 nodes took %d ms%n",
                    (System.nanoTime() - began) / 1_000_000);
            assertEquals(50, members(apiA, room).size());
            assertEquals(50, members(apiB, room).size());

            List<Callable<Void>> leaves = new ArrayList<>();
            for (SignalSocket socket : sockets) {
                leaves.add(() -> {
                    socket.send("{\"type\":\"leave\"}");
                    socket.awaitType("left");
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(leaves)) {
                f.get();
            }
            assertEquals(0, members(apiB, room).size());
            sockets.forEach(SignalSocket::close);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(7)
    void aReloadedTabStaysInTheRoomWhenItsOldSocketClosesLate() throws Exception {
        String room = apiA.createRoom(tokenA, "refresh");
        SignalSocket first = SignalSocket.open(apiA, tokenA);
        first.join(apiA, room);
        try (SignalSocket second = SignalSocket.open(apiB, tokenA)) {
            second.join(apiB, room);
            first.close();
            second.await(m -> "member-left".equals(m.getString("type"))
                    && first.sessionId.equals(m.getString("sessionId")), Duration.ofSeconds(10));
            List<String> members = members(apiA, room);
            assertEquals(List.of(second.sessionId), members, "the user is still in the room with session B");
        }
    }

    @Test
    @Order(8)
    void aClientThatStopsReadingIsClosedAndTheOthersSignallingGoesOn() throws Exception {
        onlyOnTheDefaultBackend();
        String room = apiA.createRoom(tokenA, "frozen tab");
        try (StuckClient stuck = StuckClient.joinAndStopReading(apiA, tokenA, room)) {
            awaitTrue(Duration.ofSeconds(30), () -> members(apiA, room).contains(stuck.sessionId));
            List<SignalSocket> others = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Api api = i < 3 ? apiA : apiB; // events from B reach the stuck client through A's cluster listener
                SignalSocket other = SignalSocket.open(api, i < 3 ? tokenA : tokenB);
                other.join(api, room);
                others.add(other);
            }
            List<Long> pings = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Long> echoes = java.util.Collections.synchronizedList(new ArrayList<>());
            chatInParallel(others, 20, pings, echoes); // fills the room's history: 100 messages of 4 KB
            // Payara buffers megabytes for a client before its writes stop completing: the stuck client
            // asks for 80 "joined" of 400 KB each (32 MB) while the others chat, leave and rejoin
            stuck.joinAgain(80);
            chatInParallel(others, 20, pings, echoes);
            ExecutorService pool = Executors.newFixedThreadPool(others.size());
            try {
                List<Callable<Void>> rejoins = new ArrayList<>();
                for (int i = 0; i < others.size(); i++) {
                    SignalSocket other = others.get(i);
                    Api api = i < 3 ? apiA : apiB;
                    rejoins.add(() -> {
                        other.send("{\"type\":\"leave\"}");
                        other.awaitType("left");
                        other.join(api, room);
                        pings.add(pingMillis(other));
                        return null;
                    });
                }
                for (Future<Void> f : pool.invokeAll(rejoins)) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            printRoundTrips("chat->echo", echoes);
            printRoundTrips("ping->pong", pings);
            assertTrue(java.util.Collections.max(echoes) < 20_000, "every chat echoed within 20 s: " + echoes);
            assertTrue(java.util.Collections.max(pings) < 20_000, "every ping answered within 20 s: " + pings);

            awaitTrue(Duration.ofSeconds(60), () -> !members(apiA, room).contains(stuck.sessionId));
            assertEquals(others.stream().map(o -> o.sessionId).sorted().toList(), members(apiA, room).stream().sorted()
                    .toList(), "the stuck client left the room, the others are all in it");
            // the close frame (4008) waits behind what the client did not read, and Payara drops it with them
            int closeCode = stuck.readUntilClosed();
            assertTrue(closeCode == 4008 || closeCode == -1, "the node ended the connection: " + closeCode);
            assertTrue(metric(apiA, "visage_signalling_outbound_overflows_total") >= 1,
                    "ended for not reading (counted in /metrics), not as idle");
            others.forEach(SignalSocket::close);
        }
    }

    @Test
    @Order(9)
    void roomMembersNeedAUserTokenAndChatHistoryTheOwnerOrAUserWhoJoined() throws Exception {
        onlyOnTheDefaultBackend();
        String room = apiA.createRoom(tokenA, "private talk");
        String stranger = apiA.login("stranger", "stranger-password");
        assertError(apiA.get("/api/rooms/" + room), 401, "token_missing");
        assertError(apiA.get("/api/rooms/" + room + "/messages"), 401, "token_missing");
        assertError(apiA.get("/api/rooms/" + room + "/stats"), 401, "token_missing");
        assertError(apiA.get("/api/rooms/" + room + "/messages", "garbage"), 401, "token_invalid");
        assertError(apiA.get("/api/rooms/" + room + "/messages", stranger), 403, "forbidden");
        assertEquals(200, apiA.get("/api/rooms/" + room, stranger).status(), "any logged-in user sees who is in");
        assertEquals(200, apiA.get("/api/rooms/" + room + "/messages", tokenA).status(), "the owner reads the chat");
        assertError(apiB.get("/api/rooms/" + room + "/messages", tokenB), 403, "forbidden");
        try (SignalSocket bob = SignalSocket.open(apiB, tokenB)) {
            bob.join(apiB, room);
        }
        assertEquals(200, apiB.get("/api/rooms/" + room + "/messages", tokenB).status(), "a user who joined reads it");
    }

    @Test
    @Order(10)
    void aSessionTokenOpensOneSocketOnlyOnItsOwnNode() throws Exception {
        SignalSocket first = SignalSocket.open(apiA, tokenA);
        for (Api api : List.of(apiA, apiB)) {
            try (SignalSocket second = SignalSocket.raw(api, first.sessionToken)) {
                assertEquals(api == apiA ? "session_in_use" : "token_invalid", second.awaitType("error").getString("code"));
                assertEquals(1008, second.closed.get(10, java.util.concurrent.TimeUnit.SECONDS));
            }
        }
        first.close();
        first.closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
        try (SignalSocket again = SignalSocket.raw(apiA, first.sessionToken)) {
            assertEquals("session_in_use", again.awaitType("error").getString("code"),
                    "the closed socket's token opens no new one: a reconnect asks for a new session");
            assertEquals(1008, again.closed.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        try (SignalSocket fresh = SignalSocket.open(apiA, tokenA)) {
            fresh.send("{\"type\":\"ping\"}");
            fresh.awaitType("pong");
        }
    }

    @Test
    @Order(11)
    void aFloodOfBadLoginsFromOneAddressIsRefusedBeforeHashingAndOthersStillLogIn() throws Exception {
        onlyOnTheDefaultBackend();
        apiA.login("patient", "patient-password");
        long quiet = System.nanoTime();
        assertEquals(200, apiA.post("/api/login", Api.json("username", "patient", "password", "patient-password"), null)
                .status());
        long quietMillis = (System.nanoTime() - quiet) / 1_000_000;
        FromAddress attacker = new FromAddress("127.0.0.2", nodeA.port);
        long cpuBefore = cpuMillis(nodeA);
        long began = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Api.Reply> flood = new ArrayList<>();
        long legitMillis;
        Api.Reply legit;
        try {
            List<Future<Api.Reply>> attempts = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String body = Api.json("username", "guess" + i, "password", "wrong-password-" + i);
                attempts.add(pool.submit(() -> attacker.post("/api/login", body)));
            }
            long asked = System.nanoTime();
            legit = apiA.post("/api/login", Api.json("username", "patient", "password", "patient-password"), null);
            legitMillis = (System.nanoTime() - asked) / 1_000_000;
            for (Future<Api.Reply> attempt : attempts) {
                flood.add(attempt.get(5, java.util.concurrent.TimeUnit.MINUTES));
            }
        } finally {
            pool.shutdownNow();
        }
        long floodMillis = (System.nanoTime() - began) / 1_000_000;
        long cpu = cpuMillis(nodeA) - cpuBefore;
        assertEquals(200, legit.status(), "the user on another address logs in during the flood: " + legit);
        long hashed = flood.stream().filter(r -> r.status() == 401).count();
        List<Api.Reply> limited = flood.stream().filter(r -> r.status() == 429).toList();
        // Payara's own error page (HTML, not our JSON): under this flood the container now and
        // then hands a request whose connection it has already recycled to the filters, before any
        // code of ours. The page printed once names an NPE on getServletContext().getInitParameter,
        // which Tyrus's filter reaches only for a request carrying Sec-WebSocket-Key: the login
        // POST was read through a request object an upgraded WebSocket connection still held (and
        // once an NPE in Grizzly's host parsing). One request of 300 failed so in 2 of 6 CI runs.
        // At most one is tolerated, and counted in the figure; a JSON error of ours, or more, fails.
        List<Api.Reply> containerErrors = flood.stream()
                .filter(r -> r.status() == 500 && r.body().contains("Payara Micro - Error report")).toList();
        assertTrue(containerErrors.size() <= 1, "container error pages: " + containerErrors.size());
        assertEquals(300, hashed + limited.size() + containerErrors.size(), "every attempt is refused, as 401 or 429; the others: "
                + flood.stream().filter(r -> r.status() != 401 && r.status() != 429).toList());
        assertTrue(hashed <= 20, "at most the address's 10 failures (and what refills meanwhile) are hashed: " + hashed);
        for (Api.Reply r : limited) {
            assertEquals("rate_limited", r.code());
            assertTrue(Long.parseLong(r.header("Retry-After")) >= 1, "Retry-After: " + r.header("Retry-After"));
        }
        System.out.printf("[figure] 300 bad logins from 20 parallel clients of one address: %d hashed (401), %d refused"
                + " (429) in %d ms, node CPU %d ms; a good login from another address took %d ms meanwhile"
                + " (%d ms before the flood); container error pages %d%n", hashed, limited.size(), floodMillis, cpu, legitMillis,
                quietMillis, containerErrors.size());

        // one username guessed from another address: locked after 5 failures, whatever the password
        apiA.login("lockme", "lockme-password");
        FromAddress guesser = new FromAddress("127.0.0.3", nodeA.port);
        for (int i = 0; i < 5; i++) {
            assertError(guesser.post("/api/login", Api.json("username", "lockme", "password", "guess-" + i)), 401,
                    "bad_credentials");
        }
        Api.Reply locked = apiA.post("/api/login", Api.json("username", "lockme", "password", "lockme-password"), null);
        assertError(locked, 429, "rate_limited");
        long retryAfter = Long.parseLong(locked.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 30, "locked for the first 30 s: " + retryAfter);
        assertEquals(200, apiA.post("/api/login", Api.json("username", "patient", "password", "patient-password"), null)
                .status(), "other users are not locked");
    }

    @Test
    @Order(12)
    void registrationsSessionsSocketMessagesAndChatAreLimited() throws Exception {
        onlyOnTheDefaultBackend();
        FromAddress registrar = new FromAddress("127.0.0.4", nodeA.port);
        Api.Reply refused = null;
        for (int i = 0; i < 200 && refused == null; i++) {
            Api.Reply r = registrar.post("/api/users", "{}");
            if (r.status() == 429) {
                assertTrue(i >= 100, "the first 100 registrations of an address go through: refused at " + i);
                refused = r;
            } else {
                assertError(r, 400, "invalid_username");
            }
        }
        assertError(refused, 429, "rate_limited");
        assertTrue(Long.parseLong(refused.header("Retry-After")) >= 1);

        String hog = apiA.login("hog", "hog-password");
        Api.Reply noSession = null;
        for (int i = 0; i < 300 && noSession == null; i++) {
            Api.Reply r = apiA.post("/api/sessions", null, hog);
            if (r.status() == 429) {
                assertTrue(i >= 60, "60 sessions a minute go through: refused at " + i);
                noSession = r;
            } else {
                assertEquals(201, r.status(), r.body());
            }
        }
        assertError(noSession, 429, "rate_limited");
        assertTrue(Long.parseLong(noSession.header("Retry-After")) >= 1);

        String room = apiA.createRoom(tokenA, "chatty");
        try (SignalSocket chatty = SignalSocket.open(apiA, tokenA); SignalSocket listener = SignalSocket.open(apiB, tokenB)) {
            chatty.join(apiA, room);
            listener.join(apiB, room);
            for (int i = 0; i < 60; i++) {
                chatty.send("{\"type\":\"chat\",\"text\":\"spam " + i + "\"}");
            }
            JsonObject error = chatty.await(m -> "error".equals(m.getString("type")), Duration.ofSeconds(30));
            assertEquals("rate_limited", error.getString("code"));
            assertEquals("chat", error.getString("limit"));
            assertTrue(error.getInt("retryAfter") >= 1, error.toString());
            for (int i = 0; i < 300; i++) {
                chatty.send("{\"type\":\"ping\"}");
            }
            JsonObject flooded = chatty.await(m -> "error".equals(m.getString("type"))
                    && "socket_messages".equals(m.getString("limit", "")), Duration.ofSeconds(30));
            assertEquals("rate_limited", flooded.getString("code"), "socket messages past the limit: " + flooded);
            listener.send("{\"type\":\"chat\",\"text\":\"I am not limited\"}");
            assertEquals("I am not limited", listener.await(m -> "chat".equals(m.getString("type"))
                    && "I am not limited".equals(m.getString("text")), Duration.ofSeconds(30)).getString("text"));
            assertFalse(chatty.closed.isDone(), "a limited socket stays open");
        }
        assertTrue(metric(apiA, "visage_rate_limited_total") >= 1, "refusals are counted in /metrics");
    }

    @Test
    @Order(13)
    void everyAnswerCarriesSecurityHeadersAndThePagesHaveNoInlineScriptOrStyle() throws Exception {
        onlyOnTheDefaultBackend();
        for (String path : List.of("/", "/r/somewhere", "/admin.html", "/js/room.js", "/api/nodes", "/health")) {
            Api.Reply page = apiA.get(path);
            String csp = page.header("Content-Security-Policy");
            assertTrue(csp != null && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'")
                    && !csp.contains("unsafe-inline"), path + ": " + csp);
            assertEquals("nosniff", page.header("X-Content-Type-Options"), path);
            assertEquals("no-referrer", page.header("Referrer-Policy"), path);
        }
        for (String path : List.of("/", "/r/somewhere", "/admin.html")) {
            String html = apiA.get(path).body();
            assertFalse(java.util.regex.Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>|\\son[a-z]+\\s*=|\\sstyle\\s*=|<style",
                    java.util.regex.Pattern.CASE_INSENSITIVE).matcher(html).find(), path + " has inline script or style");
        }
        assertError(apiA.post("/api/users", Api.json("username", "mallory", "password", "mallory-password",
                "displayName", "Ann\u202Eexe.gnp"), null), 400, "invalid_display_name");
    }

    @Test
    @Order(14)
    void metricsPassPromtoolAndCarryTheJvmVisageAndMediaSeries() throws Exception {
        onlyOnTheDefaultBackend();
        String text = apiA.get("/metrics").body();
        Path file = work.resolve("metrics-a.txt");
        Files.writeString(file, text);
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
                .redirectErrorStream(true).start();
        String lint = new String(promtool.getInputStream().readAllBytes());
        assertEquals(0, promtool.waitFor(), "promtool check metrics (Debian package prometheus): " + lint);
        for (String series : List.of("jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total",
                "jvm_threads_live_threads", "process_cpu_usage", "process_files_open_files",
                "visage_sessions_local", "visage_signalling_outbound_overflows_total", "visage_cluster_members",
                "visage_rate_limited_total", "visage_sfu_endpoints", "visage_sfu_packets_received_total",
                "visage_relay_legs")) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(series + "{") && l.contains("node=\"it-a\"")),
                    series + " missing from /metrics");
        }
        assertEquals(2.0, metric(apiA, "visage_cluster_members"));
    }

    /** CPU time (user + system) the node's JVM has used so far, from /proc. */
    private static long cpuMillis(NodeProcess node) throws Exception {
        String stat = Files.readString(Path.of("/proc", String.valueOf(node.javaPid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10; // clock ticks of 10 ms
    }

    /** The sum of a metric's series in the node's /metrics (one series for a metric without labels of its own). */
    private static double metric(Api api, String name) throws Exception {
        List<Double> values = api.get("/metrics").body().lines().filter(line -> line.startsWith(name + "{"))
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).toList();
        if (values.isEmpty()) {
            throw new AssertionError(name + " not in /metrics");
        }
        return values.stream().mapToDouble(Double::doubleValue).sum();
    }

    /** Each socket sends {@code chats} chat messages of 4 KB, each after the echo of the last; a ping every 5. */
    private static void chatInParallel(List<SignalSocket> sockets, int chats, List<Long> pings, List<Long> echoes)
            throws Exception {
        String text = "w".repeat(3800);
        ExecutorService pool = Executors.newFixedThreadPool(sockets.size());
        try {
            List<Callable<Void>> chatters = new ArrayList<>();
            for (SignalSocket socket : sockets) {
                chatters.add(() -> {
                    for (int n = 0; n < chats; n++) {
                        String mine = text + socket.sessionId + "#" + n + "@" + System.nanoTime();
                        long sent = System.nanoTime();
                        socket.send("{\"type\":\"chat\",\"text\":\"" + mine + "\"}");
                        socket.await(m -> "chat".equals(m.getString("type")) && mine.equals(m.getString("text")),
                                Duration.ofMinutes(1));
                        echoes.add((System.nanoTime() - sent) / 1_000_000);
                        if (n % 5 == 0) {
                            pings.add(pingMillis(socket));
                        }
                    }
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(chatters)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void printRoundTrips(String what, List<Long> millis) {
        List<Long> sorted = millis.stream().sorted().toList();
        System.out.printf("[figure] %s of 5 clients chatting past a client that stopped reading: p50 %d ms,"
                + " p95 %d ms, max %d ms over %d (target: under 1 s)%n", what, sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() * 95 / 100), sorted.get(sorted.size() - 1), sorted.size());
    }

    private static long pingMillis(SignalSocket socket) throws InterruptedException {
        long sent = System.nanoTime();
        socket.send("{\"type\":\"ping\"}");
        socket.awaitType("pong");
        return (System.nanoTime() - sent) / 1_000_000;
    }

    @Test
    @Order(15)
    void theAdminApiAnswersAdminsOnlyAndAnAdminGrantsAndRevokesTheRole() throws Exception {
        onlyOnTheDefaultBackend();
        String plain = apiA.login("pia", "pia-password");
        assertError(apiA.get("/api/admin/nodes", plain), 403, "admin_required");
        assertError(apiB.post("/api/admin/rooms/x/close", null, plain), 403, "admin_required");
        assertError(apiA.get("/api/admin/audit", null), 401, "token_missing");
        String pia = apiA.get("/api/me", plain).json().getString("id");
        String claimsAdmin = clusterTokens().issue(TokenClaims.user(pia, "pia", "admin", clusterTokens().nowSeconds() + 60));
        assertError(apiA.get("/api/admin/nodes", claimsAdmin), 403, "admin_required");

        String admin = apiB.login(ADMIN, "ada-password"); // registered after start-up: admin by configuration
        assertEquals("admin", apiA.get("/api/me", admin).json().getString("role"));
        JsonArray nodes = apiA.get("/api/admin/nodes", admin).json().getJsonArray("nodes");
        assertEquals(List.of("it-a", "it-b"), nodes.stream().map(n -> n.asJsonObject().getString("id")).toList());
        for (JsonObject n : nodes.getValuesAs(JsonObject.class)) {
            assertEquals("test", n.getString("region"));
            assertEquals("UP", n.getString("health"));
            assertTrue(n.getJsonNumber("heapMaxBytes").longValue() > 0, n.toString());
            assertTrue(n.getJsonNumber("uptimeSeconds").longValue() >= 0, n.toString());
        }

        assertEquals("admin", apiA.put("/api/admin/users/pia/role", Api.json("role", "admin"), admin).json()
                .getString("role"));
        String piaAdmin = apiB.post("/api/login", Api.json("username", "pia", "password", "pia-password"), null).json()
                .getString("userToken");
        assertEquals(200, apiB.get("/api/admin/users", piaAdmin).status(), "pia is an admin after logging in again");
        apiA.put("/api/admin/users/pia/role", Api.json("role", "user"), admin).expect(200);
        assertError(apiA.get("/api/admin/nodes", piaAdmin), 403, "admin_required"); // her token says admin: refused at once
        assertError(apiA.put("/api/admin/users/" + ADMIN + "/role", Api.json("role", "user"), admin), 409,
                "cannot_revoke_self");
        assertError(apiA.put("/api/admin/users/nobody-here/role", Api.json("role", "admin"), admin), 404,
                "user_not_found");
        JsonArray admins = (JsonArray) Api.parse(apiA.get("/api/admin/users", admin).body());
        assertEquals(List.of(ADMIN), admins.stream().map(u -> u.asJsonObject().getString("username")).toList());
        assertEquals(List.of("revoke-admin user pia", "grant-admin user pia"), auditLines(admin, 2));
    }

    @Test
    @Order(16)
    void anAdminRemovesAMemberWhoStaysOutAndClosesARoomForEveryone() throws Exception {
        String admin = apiA.login(ADMIN, "ada-password");
        String room = apiA.createRoom(tokenA, "moderated");
        String kicked;
        try (SignalSocket kim = SignalSocket.open(apiA, apiA.login("kim", "kim-password"));
             SignalSocket lee = SignalSocket.open(apiB, apiB.login("lee", "lee-password"));
             SignalSocket max = SignalSocket.open(apiB, apiB.login("max", "max-password"))) {
            kim.join(apiA, room);
            lee.join(apiB, room);
            max.join(apiB, room);
            JsonArray live = (JsonArray) Api.parse(apiA.get("/api/admin/rooms", admin).body());
            JsonObject moderated = live.getValuesAs(JsonObject.class).stream()
                    .filter(r -> r.getString("roomId").equals(room)).findFirst().orElseThrow();
            assertEquals("moderated", moderated.getString("name"));
            assertEquals("it-b", moderated.getJsonArray("members").getValuesAs(JsonObject.class).stream()
                    .filter(m -> m.getString("sessionId").equals(lee.sessionId)).findFirst().orElseThrow()
                    .getString("nodeId"), "each member with the node it is on");

            kicked = lee.sessionId;
            apiA.post("/api/admin/sessions/" + kicked + "/kick", null, admin).expect(200);
            assertEquals("kicked", lee.awaitType("removed").getString("reason"));
            lee.closed.handle((code, failure) -> null).get(60, java.util.concurrent.TimeUnit.SECONDS);
            JsonObject left = kim.await(m -> "member-left".equals(m.getString("type"))
                    && lee.sessionId.equals(m.getString("sessionId")), Duration.ofSeconds(60));
            assertEquals("removed", left.getString("reason"), "the others drop the tile at once");
            awaitTrue(Duration.ofSeconds(60), () -> members(apiB, room).size() == 2);
            assertError(apiA.post("/api/admin/sessions/" + lee.sessionId + "/kick", null, admin), 404, "member_not_found");

            JsonObject closed = apiB.post("/api/admin/rooms/" + room + "/close", null, admin).json();
            assertEquals(2, closed.getInt("members"));
            for (SignalSocket member : List.of(kim, max)) {
                assertEquals(room, member.awaitType("room-closed").getString("roomId"));
                member.closed.handle((code, failure) -> null).get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
            awaitTrue(Duration.ofSeconds(60), () -> members(apiA, room).isEmpty());
            assertError(apiA.post("/api/admin/rooms/nosuchroom/close", null, admin), 404, "room_not_found");
        }
        assertEquals(List.of("close-room room " + room, "kick session " + kicked), auditLines(admin, 2));
    }

    @Test
    @Order(17)
    void aDrainedNodeTellsItsClientsToMoveAndTakesNoNewSessionsUntilTakenBack() throws Exception {
        String admin = apiB.login(ADMIN, "ada-password");
        String room = apiA.createRoom(tokenA, "maintenance");
        String quinnToken = apiB.login("quinn", "quinn-password");
        try (SignalSocket pat = SignalSocket.open(apiA, apiA.login("pat", "pat-password"));
             SignalSocket quinn = SignalSocket.open(apiB, quinnToken)) {
            pat.join(apiA, room);
            quinn.join(apiB, room);

            apiA.post("/api/admin/nodes/it-b/drain", null, admin).expect(200);
            assertEquals("drain", quinn.awaitType("move").getString("reason"));
            quinn.closed.handle((code, failure) -> null).get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertError(apiB.post("/api/sessions", null, quinnToken), 503, "node_draining");
            awaitTrue(Duration.ofSeconds(60), () -> nodeList(apiA).stream()
                    .anyMatch(n -> n.getString("id").equals("it-b") && n.getBoolean("draining")));
            assertEquals("it-a", apiB.get("/api/nodes/nearest?region=test").json().getString("id"));
            assertError(apiB.post("/api/admin/nodes/it-a/drain", null, admin), 409, "no_other_node");
            try (SignalSocket moved = SignalSocket.open(apiA, quinnToken)) { // what the page does on "move"
                moved.join(apiA, room);
                pat.await(m -> "member-joined".equals(m.getString("type"))
                        && moved.sessionId.equals(m.getString("sessionId")), Duration.ofSeconds(60));
            }

            apiA.post("/api/admin/nodes/it-b/undrain", null, admin).expect(200);
            awaitTrue(Duration.ofSeconds(60), () -> sessionStatus(apiB, quinnToken) == 201);
        }
        assertEquals(List.of("undrain node it-b", "drain node it-b"), auditLines(admin, 2));
    }

    /**
     * The console in headless Chromium under a strict CSP (tests/admin/console-check.mjs): the
     * admin logs in on the page and sees both nodes, with no "Cannot reach the server"; a plain
     * user sees "Not allowed" and no console; a member removed with the console's Remove button
     * sees "You were removed" on the room page and stays out of the room. Then two members' pages,
     * each opened on its own node ({@code ?node=}; the second through the room's picked link typed
     * with capitals), decode each other's video; the console lists the room with both members,
     * each on the node its page is on, and its bitrate chart takes new points by itself twice (the
     * console is photographed then, into target/screenshots/admin-console.png); its Drain of the
     * first member's node moves that page to the other node, where both decode each other again,
     * and its Close room ends the call on both.
     */
    @Test
    @Order(18)
    void theConsoleWorksUnderAStrictCspSaysNotAllowedToOthersRemovesAMemberWatchesARoomOnTwoNodesDrainsOneAndClosesIt()
            throws Exception {
        onlyOnTheDefaultBackend();
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        Assumptions.assumeTrue(new java.io.File(chromium).canExecute(), "chromium not installed at " + chromium);
        assertTrue(Files.isDirectory(NodeProcess.ROOT.resolve("tests/browser/node_modules/playwright-core")),
                "npm playwright-core missing: run `npm install` in tests/browser (see .ci/run)");
        ProcessBuilder check = new ProcessBuilder("node", NodeProcess.ROOT.resolve("tests/admin/console-check.mjs").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        check.environment().put("VISAGE_CONSOLE_CHECK", jakarta.json.Json.createObjectBuilder()
                .add("url", nodeA.baseUrl())
                .add("admin", jakarta.json.Json.createObjectBuilder().add("username", ADMIN).add("password", "ada-password"))
                .add("user", jakarta.json.Json.createObjectBuilder().add("username", "pia").add("password", "pia-password"))
                .add("member", jakarta.json.Json.createObjectBuilder().add("username", "kim").add("password", "kim-password"))
                .add("movers", jakarta.json.Json.createArrayBuilder()
                        .add(jakarta.json.Json.createObjectBuilder().add("username", "moira").add("password", "moira-password"))
                        .add(jakarta.json.Json.createObjectBuilder().add("username", "victor").add("password", "victor-password")))
                .add("nodes", jakarta.json.Json.createArrayBuilder().add("it-a").add("it-b"))
                .add("screenshots", Path.of("target/screenshots").toAbsolutePath().toString()).build().toString());
        Process process = check.start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(process.waitFor(3, java.util.concurrent.TimeUnit.MINUTES), "the browser check ended");
        JsonObject verdict = (JsonObject) Api.parse(out.strip().lines().reduce((first, last) -> last).orElse("{}"));
        assertTrue(verdict.getBoolean("ok", false), "console check: " + verdict);
        assertTrue(verdict.getString("deniedText").contains("Not allowed"), verdict.toString());
        assertEquals("You were removed from this call", verdict.getString("removedTitle"), "the member's page after Remove");
        assertEquals(List.of("moira@it-a", "victor@it-b"), verdict.getJsonArray("liveRoom").getValuesAs(JsonObject.class).stream()
                .map(m -> m.getString("name") + "@" + m.getString("node")).sorted().toList(), "the console's live room: " + verdict);
        List<Integer> chartPoints = verdict.getJsonArray("chartPoints").getValuesAs(jakarta.json.JsonNumber.class).stream()
                .map(jakarta.json.JsonNumber::intValue).toList();
        assertTrue(chartPoints.get(0) < chartPoints.get(1) && chartPoints.get(1) < chartPoints.get(2),
                "the bitrate chart's points, read as they grew: " + chartPoints);
        JsonObject drain = verdict.getJsonObject("drain");
        assertEquals(List.of("This call was closed", "This call was closed"),
                drain.getJsonArray("closedTitles").getValuesAs(jakarta.json.JsonString.class).stream()
                        .map(jakarta.json.JsonString::getString).toList(), "the pages after Close room: " + drain);
        System.out.printf("[figure] console bitrate chart of the two-node room: %s points, one read per update%n", chartPoints);
        System.out.printf("[figure] console Drain of %s: both pages decoded each other's video on %s %d ms after the click%n",
                drain.getString("drained"), drain.getString("movedTo"), drain.getInt("decodingAgainMs"));
    }

    /** The newest audit entries as "action target", after checking each names the configured admin. */
    private List<String> auditLines(String adminToken, int newest) throws Exception {
        JsonArray entries = (JsonArray) Api.parse(apiA.get("/api/admin/audit?limit=" + newest, adminToken).body());
        return entries.getValuesAs(JsonObject.class).stream().peek(e -> assertEquals(ADMIN, e.getString("actor")))
                .map(e -> e.getString("action") + " " + e.getString("target")).toList();
    }

    private static int sessionStatus(Api api, String userToken) {
        try {
            return api.post("/api/sessions", null, userToken).status();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Rooms people name (issue 10), over HTTP on two nodes sharing one store: a picked link is the
     * room's id and URL, read on either node, also typed with capitals; the same name from the
     * other node, also with capitals, is 409 {@code room_taken} with a free variant; bad names and reserved words are 400
     * {@code invalid_room_name}; of ten creations of one name sent to both nodes at once, one gets it.
     */
    @Test
    @Order(19)
    void aPickedRoomLinkServesEveryNodeATakenOneSuggestsAFreeVariantAndARaceHasOneWinner() throws Exception {
        onlyOnTheDefaultBackend();
        String nora = apiA.login("nora", "nora-password");
        String omar = apiB.login("omar", "omar-password");
        Api.Reply created = apiA.post("/api/rooms", Api.json("name", "Weekly sync", "urlName", "weekly-sync"), nora);
        assertEquals(201, created.status(), created.body());
        assertEquals("weekly-sync", created.json().getString("roomId"));
        assertEquals(nodeA.baseUrl() + "/r/weekly-sync", created.json().getString("url"));
        assertEquals("Weekly sync", apiB.get("/api/rooms/weekly-sync", omar).json().getString("name"));

        Api.Reply taken = apiB.post("/api/rooms", Api.json("name", "Mine", "urlName", "weekly-sync"), omar);
        assertError(taken, 409, "room_taken");
        assertEquals("weekly-sync-2", taken.json().getString("suggestion"));
        assertEquals("Weekly sync", apiA.get("/api/rooms/weekly-sync", nora).json().getString("name"), "the first room kept it");
        Api.Reply typed = apiB.get("/api/rooms/Weekly-Sync", omar); // a link typed with capitals is the room
        assertEquals("weekly-sync", typed.json().getString("roomId"), typed.body());
        assertEquals(nodeB.baseUrl() + "/r/weekly-sync", typed.json().getString("url"));
        Api.Reply takenTyped = apiA.post("/api/rooms", Api.json("urlName", "Weekly-Sync"), omar); // folded, so taken
        assertError(takenTyped, 409, "room_taken");
        assertEquals("weekly-sync-2", takenTyped.json().getString("suggestion"));
        assertError(apiA.post("/api/rooms", Api.json("urlName", "we"), nora), 400, "invalid_room_name");
        assertError(apiA.post("/api/rooms", Api.json("urlName", "admin"), nora), 400, "invalid_room_name");
        assertError(apiA.post("/api/rooms", "{\"urlName\":7}", nora), 400, "bad_request");

        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Callable<Integer>> creations = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Api api = i % 2 == 0 ? apiA : apiB;
                String token = i % 2 == 0 ? nora : omar;
                creations.add(() -> api.post("/api/rooms", Api.json("urlName", "raced-link"), token).status());
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : pool.invokeAll(creations)) {
                statuses.add(f.get());
            }
            assertEquals(1, statuses.stream().filter(status -> status == 201).count(), "statuses: " + statuses);
            assertEquals(9, statuses.stream().filter(status -> status == 409).count(), "statuses: " + statuses);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Issue 10, acceptance 3: a process that reaches the cluster backend as the nodes do (here a
     * plain Hazelcast member with the nodes' own hazelcast.xml) but has no cluster secret reads
     * what the backend holds and finds no secret there, and what it publishes on the nodes'
     * channels (a room event, a forged seal, an operator's command) reaches no client: each node
     * drops it and counts it.
     */
    @Test
    @Order(20)
    void aRogueOnTheClusterBackendReadsNoSecretAndReachesNoClient() throws Exception {
        String room = apiA.createRoom(tokenA, "rogue");
        try (SignalSocket alice = SignalSocket.open(apiA, tokenA); SignalSocket bob = SignalSocket.open(apiB, tokenB);
             RogueBackendClient rogue = rogueJoins()) {
            alice.join(apiA, room);
            bob.join(apiB, room);

            Map<String, String> everything = rogue.readEverything();
            String text = everything.toString();
            assertTrue(text.contains(alice.sessionId), "the rogue does read the backend: " + everything.keySet());
            assertTrue(everything.keySet().stream().noneMatch(name -> name.contains("secret")), everything.keySet().toString());
            ClusterSecret secret = ClusterSecret.of(NodeProcess.CLUSTER_SECRET);
            for (String key : List.of(ClusterSecret.TOKEN_KEY, ClusterSecret.MESSAGE_KEY, "relay-srtp")) {
                byte[] derived = secret.derive(key);
                for (String form : List.of(Base64.getEncoder().encodeToString(derived),
                        Base64.getUrlEncoder().withoutPadding().encodeToString(derived))) {
                    assertFalse(text.contains(form), key + " readable in the backend");
                }
            }
            assertFalse(text.contains(NodeProcess.CLUSTER_SECRET), "the cluster secret readable in the backend");

            double rejectedA = metric(apiA, "visage_cluster_messages_rejected_total");
            double rejectedB = metric(apiB, "visage_cluster_messages_rejected_total");
            String chat = "{\"type\":\"chat\",\"roomId\":\"" + room + "\",\"text\":\"injected\",\"displayName\":\"alice\"}";
            rogue.publishRoomEvent(room, chat);
            rogue.publishRoomEvent(room, "VS1 " + System.currentTimeMillis() + " 1 "
                    + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]) + " it-a\n" + chat);
            rogue.sendNodeCommand("it-a", "{\"type\":\"close-room\",\"roomId\":\"" + room + "\"}");
            awaitTrue(Duration.ofSeconds(60), () -> rejected(apiA) - rejectedA >= 3 && rejected(apiB) - rejectedB >= 2);
            System.out.printf("[figure] rogue on the backend: %d entries read, none holds a secret; node it-a dropped"
                    + " %.0f of its messages, it-b %.0f%n", everything.size(), rejected(apiA) - rejectedA,
                    rejected(apiB) - rejectedB);

            // the nodes dropped them before any client: the next chat each client gets is a member's
            alice.send("{\"type\":\"chat\",\"text\":\"after the rogue\"}");
            for (SignalSocket member : List.of(alice, bob)) {
                JsonObject next = member.await(m -> "chat".equals(m.getString("type")) || "room-closed".equals(
                        m.getString("type")), Duration.ofSeconds(30));
                assertEquals("after the rogue", next.getString("text", next.toString()));
            }
            assertTrue(nodeA.log().contains("dropped a cluster message"), "node it-a says so in its log");

            // the registry: nodes the rogue advertises (on Hazelcast with its own member id, a live one) reach no client
            String registryDrops = "visage_node_registry_entries_rejected_total";
            double droppedA = counted(apiA, registryDrops);
            double droppedB = counted(apiB, registryDrops);
            List<String> fakes = List.of("a-rogue-unsealed", "a-rogue-forged");
            long now = System.currentTimeMillis();
            for (String id : fakes) {
                // free and least loaded, with an id that sorts first: the nearest pick, were it listed
                rogue.writeNodeEntry(id, ClusterCodec.node(new NodeInfo(id, "test", "http://rogue.invalid:8080",
                        "ws://rogue.invalid:8080/ws", "127.0.0.1", 10539, rogue.memberId(), 0, 1_000_000, now, now, false,
                        NodeVitals.UNKNOWN, id.endsWith("forged")
                                ? Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]) : null)));
            }
            try {
                awaitTrue(Duration.ofSeconds(60), () -> counted(apiA, registryDrops) - droppedA >= fakes.size()
                        && counted(apiB, registryDrops) - droppedB >= fakes.size());
                for (Api api : List.of(apiA, apiB)) {
                    String list = api.get("/api/nodes").body();
                    assertTrue(nodeIds(api).containsAll(List.of("it-a", "it-b")), list);
                    assertFalse(list.contains("rogue"), list);
                    String nearest = api.get("/api/nodes/nearest").json().getString("id");
                    assertTrue(List.of("it-a", "it-b").contains(nearest), nearest);
                }
                assertTrue(nodeA.log().contains("dropped a node registry entry"), "node it-a says so in its log");
                System.out.printf("[figure] rogue on the backend: %d node entries written, it-a dropped %.0f, it-b %.0f;"
                        + " neither listed nor picked as nearest%n", fakes.size(), counted(apiA, registryDrops) - droppedA,
                        counted(apiB, registryDrops) - droppedB);
            } finally {
                fakes.forEach(rogue::removeNodeEntry);
            }
        }
        awaitTrue(Duration.ofSeconds(60), () -> clusterSize(apiA) == 2 && clusterSize(apiB) == 2);
    }

    /** A process on the cluster backend without the cluster secret: a Hazelcast member of the nodes' grid. */
    protected RogueBackendClient rogueJoins() throws Exception {
        return new HazelcastRogue(nodeA.dataDir.resolve("hazelcast.xml"), 3);
    }

    /** Messages from the backend the node dropped (no seal, bad MAC, stale, replayed); 0 while it does not answer. */
    private static double rejected(Api api) {
        return counted(api, "visage_cluster_messages_rejected_total");
    }

    /** A counter's sum over its labels; 0 while the node does not answer. */
    private static double counted(Api api, String counter) {
        try {
            return metric(api, counter);
        } catch (Exception e) {
            return 0;
        }
    }

    @Test
    @Order(21)
    void aNodePausedPastTheHeartbeatTimeoutComesBackWithEveryClientInTheRoomOnce() throws Exception {
        onlyOnTheDefaultBackend();
        String room = apiA.createRoom(tokenA, "long pause");
        List<RejoiningClient> clients = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Api own = i % 2 == 0 ? apiA : apiB;
            Api other = own == apiA ? apiB : apiA;
            String user = "pause" + i;
            clients.add(new RejoiningClient(user, own.login(user, user + "-password"), room, List.of(own, other)));
        }
        try {
            for (RejoiningClient client : clients) {
                assertTrue(client.ensureJoined(), client.username + " joins");
            }
            clients.get(1).socket().send("{\"type\":\"chat\",\"text\":\"before the pause\"}");
            clients.get(1).socket().awaitType("chat");
            assertEquals(10, members(apiA, room).size());

            // a 10 s stop-the-world pause: the others declare node B dead after 5 s
            nodeB.signal("STOP");
            awaitTrue(Duration.ofSeconds(30), () -> !nodeIds(apiA).contains("it-b"));
            awaitTrue(Duration.ofSeconds(30), () -> members(apiA, room).size() == 5);
            Thread.sleep(10_000);
            long resumed = System.nanoTime();
            nodeB.signal("CONT");

            awaitTrue(Duration.ofSeconds(90), () -> everyClientInTheRoomOnceOnBothNodes(clients, room));
            System.out.printf("[figure] node B paused 10 s: every client back in the room once, on both nodes' "
                            + "view, %d ms after it resumed; rejoins: %s%n", (System.nanoTime() - resumed) / 1_000_000,
                    clients.stream().map(c -> c.username + "=" + (c.joins() - 1)).toList());
            assertEquals(2, apiA.get("/health").json().getInt("clusterSize"), "node B is back in the cluster");
            assertTrue(nodeIds(apiA).contains("it-b") && nodeIds(apiB).contains("it-a"), "both nodes listed again");
            assertEquals(List.of("before the pause"), chatTexts(apiB, room), "chat kept");
            clients.get(0).socket().send("{\"type\":\"chat\",\"text\":\"after the pause\"}");
            for (RejoiningClient client : clients) {
                client.socket().await(m -> "chat".equals(m.getString("type"))
                        && "after the pause".equals(m.getString("text")), Duration.ofSeconds(10));
            }
        } finally {
            clients.forEach(RejoiningClient::close);
        }
    }

    @Test
    @Order(22)
    void aNodeKilledInTheMiddleOfJoinsLeavesEveryRetryingClientInTheRoomOnce() throws Exception {
        // The test before ends with node B merging back after its pause. Killed while the cluster
        // still moves partitions to their new owners, B took records with it whose backups were not
        // in place yet (CI v25: two of node A's new sessions and their room membership): a loss no
        // design with one backup avoids. The crash under test is one of a settled cluster.
        awaitTrue(Duration.ofSeconds(60), () -> settled(apiA) && settled(apiB));
        String room = apiA.createRoom(tokenA, "survivors");
        try (SignalSocket before = SignalSocket.open(apiB, tokenB)) {
            before.join(apiB, room);
            before.send("{\"type\":\"chat\",\"text\":\"before the crash\"}");
            before.awaitType("chat");
        }
        List<RejoiningClient> clients = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Api own = i % 2 == 0 ? apiA : apiB;
            String user = "crash" + i;
            // as the web client: its own node first, then the survivor
            clients.add(new RejoiningClient(user, own.login(user, user + "-password"), room,
                    own == apiA ? List.of(apiA) : List.of(apiB, apiA)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<?>> joining = new ArrayList<>();
            for (RejoiningClient client : clients) {
                joining.add(pool.submit(() -> {
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (!client.ensureJoined() && System.nanoTime() < deadline) {
                        Thread.sleep(200);
                    }
                    return null;
                }));
            }
            // kill -9 while joins are under way: one of node B's clients in, the others on their way
            awaitTrue(Duration.ofSeconds(60), () -> clients.stream().filter(c -> c.prefers(apiB))
                    .anyMatch(c -> c.sessionId() != null));
            long killed = System.nanoTime();
            nodeB.kill9();
            awaitTrue(Duration.ofSeconds(15), () -> !nodeIds(apiA).contains("it-b"));
            long goneFromRegistry = (System.nanoTime() - killed) / 1_000_000;
            for (Future<?> f : joining) {
                f.get(90, java.util.concurrent.TimeUnit.SECONDS);
            }
            awaitTrue(Duration.ofSeconds(60), () -> {
                clients.forEach(RejoiningClient::ensureJoined);
                return sameMembers(apiA, room, clients) && localSessions(apiA) == clients.size();
            });
            long settled = (System.nanoTime() - killed) / 1_000_000;
            System.out.printf("[figure] kill -9 during 10 joins: gone from /api/nodes in %d ms, every client in the"
                            + " room once %d ms after the kill; clients that joined again: %d%n", goneFromRegistry,
                    settled, clients.stream().filter(c -> c.joins() > 1).count());
            assertEquals(List.of("before the crash"), chatTexts(apiA, room), "chat kept");
            clients.get(0).socket().send("{\"type\":\"chat\",\"text\":\"anyone?\"}");
            clients.get(9).socket().await(m -> "chat".equals(m.getString("type"))
                    && "anyone?".equals(m.getString("text")), Duration.ofSeconds(10));
            assertEquals(200, apiA.post("/api/login", Api.json("username", "bob", "password", "bob-password"), null)
                    .status(), "users survive the node");
        } finally {
            pool.shutdownNow();
            clients.forEach(RejoiningClient::close);
        }
    }

    @Test
    @Order(23)
    void aStoreOutageKeepsJoinedCallsGoingAndEverythingComesBackWithTheStore() throws Exception {
        onlyOnTheDefaultBackend();
        String room = apiA.createRoom(tokenA, "outage");
        try (SignalSocket alice = SignalSocket.open(apiA, tokenA)) {
            alice.join(apiA, room);
            alice.send("{\"type\":\"chat\",\"text\":\"before the outage\"}");
            alice.awaitType("chat");

            store.kill9();
            long killed = System.nanoTime();
            Api.Reply login = apiA.post("/api/login", Api.json("username", "carol", "password", "correct horse"), null);
            long refusedAfter = (System.nanoTime() - killed) / 1_000_000;
            assertError(login, 503, "store_unavailable");
            assertError(apiA.post("/api/users", Api.json("username", "gina", "password", "gina-password"), null),
                    503, "store_unavailable");
            awaitTrue(Duration.ofSeconds(30), () -> "DEGRADED".equals(status(apiA, "/health")));
            long degradedAfter = (System.nanoTime() - killed) / 1_000_000;
            Api.Reply health = apiA.get("/health");
            assertEquals(200, health.status(), "a degraded node still carries its calls");
            assertEquals("down", health.json().getString("store"));
            assertEquals("DEGRADED", status(apiA, "/api/nodes/ping"), "what the web client's probes read");
            System.out.printf("[figure] store killed: login answered 503 store_unavailable after %d ms,"
                    + " /health DEGRADED after %d ms%n", refusedAfter, degradedAfter);

            alice.send("{\"type\":\"ping\"}");
            alice.awaitType("pong");
            alice.send("{\"type\":\"chat\",\"text\":\"during the outage\"}");
            assertEquals("store_unavailable", alice.awaitType("error").getString("code"));
            alice.send("{\"type\":\"ping\"}");
            alice.awaitType("pong");

            // a node started now waits for the store, saying so, instead of failing
            nodeB = startNodeB();
            awaitTrue(START, () -> logOf(nodeB).contains("waiting for the store (attempt 2"));
            assertError(apiB.get("/health"), 503, "starting");
            assertError(apiB.get("/api/nodes"), 503, "starting");
            CompletionException refused = assertThrows(CompletionException.class, () -> SignalSocket.raw(apiB, "x"));
            assertEquals(503, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode(),
                    "the signalling socket waits for the node too");

            store = SharedStoreProcess.start(store.file, store.port);
            awaitTrue(Duration.ofSeconds(30), () -> "UP".equals(status(apiA, "/health")));
            nodeB.awaitHealthy(START);
            assertTrue(logOf(nodeB).contains("the store answers, after "), "node B says it stopped waiting");

            assertEquals(200, apiA.post("/api/login", Api.json("username", "carol", "password", "correct horse"),
                    null).status(), "users registered before the outage log in again");
            assertEquals(200, apiB.post("/api/login", Api.json("username", "bob", "password", "bob-password"),
                    null).status());
            assertEquals(201, apiB.post("/api/users", Api.json("username", "gina", "password", "gina-password"),
                    null).status());
            alice.send("{\"type\":\"chat\",\"text\":\"after the outage\"}");
            assertEquals("after the outage", alice.awaitType("chat").getString("text"));
            JsonArray history = (JsonArray) Api.parse(apiB.get("/api/rooms/" + room + "/messages", tokenA).body());
            assertEquals(List.of("before the outage", "after the outage"), history.getValuesAs(JsonObject.class)
                    .stream().map(m -> m.getString("text")).toList());
        }
    }

    /** The {@code status} field of a JSON answer, or null when there is none (yet). */
    private static String status(Api api, String path) {
        try {
            return api.get(path).json().getString("status", null);
        } catch (Exception e) {
            return null;
        }
    }

    private static String logOf(NodeProcess node) {
        try {
            return node.log();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /**
     * Each client connected and joined, and each node's view of the room is exactly those
     * sessions: one per user, no duplicates, no ghosts; each node holds sockets for as many
     * sessions as it owns.
     */
    private boolean everyClientInTheRoomOnceOnBothNodes(List<RejoiningClient> clients, String room) {
        clients.forEach(RejoiningClient::ensureJoined);
        try {
            return sameMembers(apiA, room, clients) && sameMembers(apiB, room, clients)
                    && localSessions(apiA) + localSessions(apiB) == clients.size();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Every cluster record has its backup on another node (its /health "clusterSettled"). */
    private static boolean settled(Api api) {
        try {
            return api.get("/health").json().getBoolean("clusterSettled");
        } catch (Exception e) {
            return false;
        }
    }

    /** The sockets a node holds (its /health "sessions"). */
    private static int localSessions(Api api) {
        try {
            return api.get("/health").json().getInt("sessions");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean sameMembers(Api api, String room, List<RejoiningClient> clients) {
        List<String> connected = clients.stream().map(RejoiningClient::sessionId).toList();
        if (connected.contains(null)) {
            return false;
        }
        List<String> members = members(api, room);
        return members.size() == connected.size() && new java.util.HashSet<>(members).equals(
                new java.util.HashSet<>(connected));
    }

    List<String> chatTexts(Api api, String room) throws Exception {
        return ((JsonArray) Api.parse(api.get("/api/rooms/" + room + "/messages", tokenA).body()))
                .getValuesAs(JsonObject.class).stream().map(m -> m.getString("text")).toList();
    }

    static List<String> nodeIds(Api api) {
        return nodeList(api).stream().map(n -> n.getString("id")).toList();
    }

    private static List<JsonObject> nodeList(Api api) {
        try {
            return ((JsonArray) Api.parse(api.get("/api/nodes").body())).getValuesAs(JsonObject.class);
        } catch (Exception e) {
            return List.of();
        }
    }

    List<String> members(Api api, String room) {
        try {
            return api.get("/api/rooms/" + room, tokenA).json().getJsonArray("members").getValuesAs(JsonObject.class)
                    .stream().map(m -> m.getString("sessionId")).toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertError(Api.Reply reply, int status, String code) {
        assertEquals(status, reply.status(), reply.body());
        assertEquals(code, reply.code(), reply.body());
        assertFalse(reply.json().getString("message").isBlank());
    }

    /** A token in the right shape, signed with a key that is not the cluster's. */
    private static String forgedToken() {
        byte[] key = new byte[32];
        return new TokenService(key, Clock.systemUTC()).issue(TokenClaims.user("someone", "Someone", "user",
                Clock.systemUTC().instant().getEpochSecond() + 3600));
    }

    /** Tokens as the cluster signs them: its key derives from the secret the test gave every node. */
    private static TokenService clusterTokens() {
        return new TokenService(ClusterSecret.of(NodeProcess.CLUSTER_SECRET).derive(ClusterSecret.TOKEN_KEY), Clock.systemUTC());
    }

    private String expiredUserToken() throws Exception {
        TokenService tokens = clusterTokens();
        return tokens.issue(TokenClaims.user("someone", "Someone", "user", tokens.nowSeconds() - 1));
    }

    private String expiredRoomToken(String sessionId, String roomId) throws Exception {
        TokenService tokens = clusterTokens();
        return tokens.issue(TokenClaims.room("someone", "Someone", sessionId, roomId, tokens.nowSeconds() - 1));
    }

    private static int clusterSize(Api api) {
        try {
            return api.get("/health").json().getInt("clusterSize");
        } catch (Exception e) {
            return -1;
        }
    }

    static void awaitTrue(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(200);
        }
    }
}
