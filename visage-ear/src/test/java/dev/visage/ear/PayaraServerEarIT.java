package dev.visage.ear;

import dev.visage.web.cluster.Api;
import dev.visage.web.cluster.SignalSocket;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * visage.ear on a real Payara Server (the distribution from Maven Central, unpacked by the build):
 * one domain is created, started, given the node's settings and the EAR, then a user registers,
 * logs in, creates a room and joins it over REST and the WebSocket, as the web client does.
 * Progress and the time of each step are printed; the whole class takes one to two minutes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PayaraServerEarIT {

    private static final String CLUSTER = "visage-ear-it";
    private static final String NODE = "ear-it";

    private PayaraServerDomain domain;
    private Api api;

    @BeforeAll
    void deployTheEar() throws Exception {
        Path payara = Path.of(System.getProperty("payara.home", "target/payara6")).toAbsolutePath();
        Path root = Path.of(System.getProperty("visage.root", "..")).toAbsolutePath().normalize();
        Path ear = Path.of(System.getProperty("visage.ear", "target/visage.ear")).toAbsolutePath();
        Path work = Path.of("target", "ear-it").toAbsolutePath();
        long begin = System.nanoTime();
        domain = timed("create-domain (ports " + PayaraServerDomain.PORT_BASE + "-" + (PayaraServerDomain.PORT_BASE + 99) + ")",
                () -> PayaraServerDomain.create(payara, root, work));
        timed("start-domain with the pre-boot commands", () -> {
            domain.start(CLUSTER);
            return null;
        });
        timed("create-system-properties", () -> {
            domain.systemProperties(Map.of(
                    "visage.node.id", NODE,
                    "visage.region", "test",
                    "visage.data.dir", work.resolve("data").toString(),
                    "visage.http.port", String.valueOf(PayaraServerDomain.HTTP_PORT),
                    "visage.public.url", domain.baseUrl(),
                    "visage.media.addresses", "127.0.0.1",
                    "visage.media.port", String.valueOf(PayaraServerDomain.MEDIA_PORT),
                    "visage.relay.port", String.valueOf(PayaraServerDomain.RELAY_PORT)));
            return null;
        });
        timed("deploy " + ear.getFileName(), () -> {
            domain.deploy(ear);
            return null;
        });
        api = new Api(domain.baseUrl());
        timed("first /health UP", this::awaitHealthy);
        System.out.printf("[ear-it] Payara Server up with Visage after %.1f s (server log %s)%n",
                (System.nanoTime() - begin) / 1e9, domain.serverLog());
    }

    @AfterAll
    void stopTheDomain() throws Exception {
        if (domain != null) {
            timed("stop-domain", () -> {
                domain.close();
                return null;
            });
        }
    }

    @Test
    void aUserRegistersLogsInCreatesARoomAndJoinsItOverRestAndTheWebSocket() throws Exception {
        JsonObject health = api.get("/health").json();
        assertEquals(NODE, health.getString("node"), health.toString());
        assertEquals(1, health.getInt("clusterSize"), "the node sees Payara Server's Data Grid: " + health);
        assertTrue(health.getBoolean("media"), "the SFU plugin from the EAR's lib/ is running: " + health);

        Api.Reply registered = api.post("/api/users",
                Api.json("username", "ear-alice", "password", "ear-alice-password", "displayName", "Alice"), null);
        assertEquals(201, registered.status(), registered.body());
        Api.Reply login = api.post("/api/login", Api.json("username", "ear-alice", "password", "ear-alice-password"), null);
        assertEquals(200, login.status(), login.body());
        String userToken = login.json().getString("userToken");
        String roomId = api.createRoom(userToken, "Payara Server");

        try (SignalSocket socket = SignalSocket.open(api, userToken)) {
            JsonObject joined = socket.join(api, roomId);
            assertEquals(roomId, joined.getJsonObject("room").getString("id"), joined.toString());
            assertEquals("Payara Server", joined.getJsonObject("room").getString("name"));
            JsonArray members = joined.getJsonArray("members");
            assertEquals(1, members.size(), joined.toString());
            assertEquals(socket.sessionId, members.getJsonObject(0).getString("sessionId"));

            socket.send("{\"type\":\"chat\",\"text\":\"hello from the EAR\"}");
            assertEquals("hello from the EAR", socket.awaitType("chat").getString("text"));
        }
        JsonArray history = (JsonArray) Api.parse(api.get("/api/rooms/" + roomId + "/messages", userToken).body());
        assertEquals("hello from the EAR", history.getJsonObject(history.size() - 1).getString("text"),
                "the chat is kept by the embedded store: " + history);
    }

    @Test
    void theDataGridAndTheMediaEngineStayOnLoopbackAndPhoneHomeIsOff() throws Exception {
        String log = Files.readString(domain.serverLog());
        assertTrue(log.contains("DG Name: " + CLUSTER + " DG Size: 1"),
                "the Data Grid runs the launcher's hazelcast.xml, as a cluster of its own: see " + domain.serverLog());
        assertTrue(log.contains("Address: /127.0.0.1:" + PayaraServerDomain.DATA_GRID_PORT),
                "the Data Grid member is on loopback: see " + domain.serverLog());
        assertTrue(log.contains("SFU listening on UDP [/127.0.0.1]:" + PayaraServerDomain.MEDIA_PORT),
                "the SFU binds and advertises loopback only: see " + domain.serverLog());
        assertOnLoopbackOnly("the Data Grid's TCP port", ListeningSockets.tcp(PayaraServerDomain.DATA_GRID_PORT));
        assertOnLoopbackOnly("the SFU's UDP port", ListeningSockets.udp(PayaraServerDomain.MEDIA_PORT));
        assertOnLoopbackOnly("the relay's UDP port", ListeningSockets.udp(PayaraServerDomain.RELAY_PORT));
        String phoneHome = domain.remote(Duration.ofSeconds(60), "list-phone-home");
        assertTrue(phoneHome.contains("disabled"), phoneHome);
    }

    private static void assertOnLoopbackOnly(String what, List<InetAddress> bound) {
        assertFalse(bound.isEmpty(), what + " is open");
        assertTrue(bound.stream().allMatch(InetAddress::isLoopbackAddress), what + " is bound to " + bound);
    }

    /** UP, and the REST API answers JSON (Payara serves the servlets a moment before the application has loaded). */
    private Void awaitHealthy() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Api.Reply health = api.get("/health");
                if (health.status() == 200 && health.body().contains("\"UP\"") && api.get("/api/nodes").body().startsWith("[")) {
                    return null;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Visage not healthy on " + domain.baseUrl() + " within 2 minutes: see " + domain.serverLog());
    }

    private interface Step<T> {
        T run() throws Exception;
    }

    private static <T> T timed(String name, Step<T> step) throws Exception {
        System.out.println("[ear-it] " + name + " ...");
        long begin = System.nanoTime();
        T result = step.run();
        System.out.printf("[ear-it] %s: %.1f s%n", name, (System.nanoTime() - begin) / 1e9);
        return result;
    }
}
