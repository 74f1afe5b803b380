package dev.visage.web.arquillian;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonStructure;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged WAR (with its plugins) deployed by Arquillian into a managed Payara Micro, and
 * driven over loopback HTTP and WebSocket exactly as a client would.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class VisageArquillianIT {

    @Deployment(testable = false)
    static WebArchive war() {
        String war = System.getProperty("visage.war");
        assertNotNull(war, "failsafe passes visage.war");
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(war));
    }

    @ArquillianResource
    URL deployment;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1) // see Api.HTTP
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** The deployment's URL on loopback: the adapter reports the machine's external address. */
    private String base() {
        String path = deployment.getPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return "http://127.0.0.1:" + deployment.getPort() + path;
    }

    record Reply(int status, String body) {
        JsonObject json() {
            return (JsonObject) parse();
        }

        JsonArray array() {
            return (JsonArray) parse();
        }

        private JsonStructure parse() {
            try (var reader = Json.createReader(new StringReader(body))) {
                return reader.read();
            }
        }
    }

    private Reply call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body());
    }

    private static String credentials(String username, String password) {
        return Json.createObjectBuilder().add("username", username).add("password", password)
                .add("displayName", "Arquillian " + username).build().toString();
    }

    /** Collects whole text messages from a java.net.http WebSocket. */
    static final class Inbox implements WebSocket.Listener {
        final BlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try (var reader = Json.createReader(new StringReader(partial.toString()))) {
                    messages.add(reader.readObject());
                }
                partial.setLength(0);
            }
            socket.request(1);
            return null;
        }

        /** The next message of the given type, skipping others (media engine chatter, member events). */
        JsonObject next(String type) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                JsonObject m = messages.poll(500, TimeUnit.MILLISECONDS);
                if (m == null) {
                    continue;
                }
                if (m.getString("type").equals(type)) {
                    return m;
                }
                if (m.getString("type").equals("error")) {
                    fail("expected " + type + " but the server said " + m);
                }
            }
            fail("no '" + type + "' message within 20 s");
            return null;
        }
    }

    /**
     * Polls /health until UP; until then each answer must be the JSON 503 {@code starting}, never
     * an error page. A minute means "never".
     */
    private Reply awaitUp() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            Reply health = call("GET", "/health", null, null);
            if (health.status() == 200) {
                return health;
            }
            assertEquals(503, health.status(), health.body());
            assertEquals("starting", health.json().getString("code"), health.body());
            assertTrue(System.nanoTime() < deadline, "still starting after a minute: " + health.body());
            Thread.sleep(200);
        }
    }

    @Test
    void restAndWebSocketJoinFlowWork() throws Exception {
        // health: the deployment is done, the node may still be starting (its store, the cluster)
        Reply health = awaitUp();
        assertEquals("UP", health.json().getString("status"));
        assertEquals("up", health.json().getString("store"));
        assertEquals("arq-node", health.json().getString("node"));
        assertEquals(1, health.json().getInt("clusterSize"), "the test node must not join any other cluster");

        // register, duplicate, bad input
        String username = "arq_" + Long.toString(System.currentTimeMillis(), 36);
        Reply registered = call("POST", "/api/users", null, credentials(username, "s3cret-password"));
        assertEquals(201, registered.status(), registered.body());
        assertEquals(username, registered.json().getString("username"));
        assertFalse(registered.body().contains("argon2"), "the hash never leaves the server");

        Reply duplicate = call("POST", "/api/users", null, credentials(username, "other-password"));
        assertEquals(409, duplicate.status(), duplicate.body());
        assertEquals("username_taken", duplicate.json().getString("code"));

        Reply badJson = call("POST", "/api/users", null, "{not json");
        assertEquals(400, badJson.status(), badJson.body());
        assertEquals("bad_json", badJson.json().getString("code"));

        // login
        Reply wrong = call("POST", "/api/login", null, credentials(username, "wrong-password"));
        assertEquals(401, wrong.status(), wrong.body());
        assertEquals("bad_credentials", wrong.json().getString("code"));
        Reply unknown = call("POST", "/api/login", null, credentials(username + "_nobody", "s3cret-password"));
        assertEquals(401, unknown.status(), unknown.body());
        assertEquals("bad_credentials", unknown.json().getString("code"));
        Reply login = call("POST", "/api/login", null, credentials(username, "s3cret-password"));
        assertEquals(200, login.status(), login.body());
        String userToken = login.json().getString("userToken");

        // rooms
        Reply anonymousCreate = call("POST", "/api/rooms", null, "{\"name\":\"x\"}");
        assertEquals(401, anonymousCreate.status(), anonymousCreate.body());
        Reply created = call("POST", "/api/rooms", userToken, "{\"name\":\"Arquillian room\"}");
        assertEquals(201, created.status(), created.body());
        String roomId = created.json().getString("roomId");
        assertTrue(created.json().getString("url").endsWith("/r/" + roomId), created.body());

        Reply anonymousRoom = call("GET", "/api/rooms/" + roomId, null, null);
        assertEquals(401, anonymousRoom.status(), anonymousRoom.body());
        assertEquals("token_missing", anonymousRoom.json().getString("code"));
        Reply room = call("GET", "/api/rooms/" + roomId, userToken, null);
        assertEquals(200, room.status(), room.body());
        assertEquals("Arquillian room", room.json().getString("name"));
        Reply missing = call("GET", "/api/rooms/no-such-room", userToken, null);
        assertEquals(404, missing.status(), missing.body());
        assertEquals("room_not_found", missing.json().getString("code"));

        // session
        Reply session = call("POST", "/api/sessions", userToken, null);
        assertEquals(201, session.status(), session.body());
        String sessionToken = session.json().getString("sessionToken");
        String sessionId = session.json().getString("sessionId");
        assertEquals("arq-node", session.json().getJsonObject("node").getString("id"));

        Reply joinBeforeSocket = call("POST", "/api/rooms/" + roomId + "/join", sessionToken, null);
        assertEquals(409, joinBeforeSocket.status(), joinBeforeSocket.body());
        assertEquals("session_not_connected", joinBeforeSocket.json().getString("code"));

        // WebSocket: hello, join, chat
        Inbox inbox = new Inbox();
        String wsBase = base().replaceFirst("^http", "ws");
        WebSocket socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(wsBase + "/ws?token=" + sessionToken), inbox).get(30, TimeUnit.SECONDS);
        try {
            JsonObject hello = inbox.next("hello");
            assertEquals(sessionId, hello.getString("sessionId"));

            Reply join = call("POST", "/api/rooms/" + roomId + "/join", sessionToken, null);
            assertEquals(200, join.status(), join.body());
            String roomToken = join.json().getString("roomToken");

            socket.sendText(Json.createObjectBuilder().add("type", "join").add("roomToken", roomToken).build()
                    .toString(), true).get(10, TimeUnit.SECONDS);
            JsonObject joined = inbox.next("joined");
            assertEquals(roomId, joined.getString("roomId"));
            assertEquals(sessionId, joined.getString("sessionId"));

            // a bad message gets an error and the socket stays usable
            socket.sendText("{nope", true).get(10, TimeUnit.SECONDS);
            JsonObject error = nextError(inbox);
            assertEquals("bad_json", error.getString("code"));

            String text = "hello from Arquillian ✓ " + username;
            socket.sendText(Json.createObjectBuilder().add("type", "chat").add("text", text).build().toString(), true)
                    .get(10, TimeUnit.SECONDS);
            JsonObject chat = inbox.next("chat");
            assertEquals(text, chat.getString("text"));
            assertEquals(roomId, chat.getString("roomId"));

            Reply messages = call("GET", "/api/rooms/" + roomId + "/messages", userToken, null);
            assertEquals(200, messages.status(), messages.body());
            JsonArray history = messages.array();
            assertEquals(1, history.size(), messages.body());
            assertEquals(text, history.getJsonObject(0).getString("text"));
            assertEquals(chat.getString("id"), history.getJsonObject(0).getString("id"));

            Reply members = call("GET", "/api/rooms/" + roomId, userToken, null);
            assertEquals(1, members.json().getJsonArray("members").size(), members.body());
        } finally {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        }
        // closing the socket ends the membership
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int left;
        do {
            Thread.sleep(100);
            left = call("GET", "/api/rooms/" + roomId, userToken, null).json().getJsonArray("members").size();
        } while (left != 0 && System.nanoTime() < deadline);
        assertEquals(0, left, "the closed session is no longer a member");
    }

    private static JsonObject nextError(Inbox inbox) throws InterruptedException {
        JsonObject m;
        do {
            m = inbox.messages.poll(20, TimeUnit.SECONDS);
            assertNotNull(m, "no error reply");
        } while (!m.getString("type").equals("error"));
        return m;
    }
}
