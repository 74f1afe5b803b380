package dev.visage.web.cluster;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonStructure;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A REST client for one node, speaking the contract in DESIGN.md (also used by visage-ear's IT). */
public final class Api {

    // HTTP/1.1 as browsers speak it to a node: the JDK's default asks Grizzly for cleartext HTTP/2
    // (h2c), whose connection went dead mid-run once (every later request on it timed out)
    public static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public record Reply(int status, String body, java.util.Map<String, java.util.List<String>> headers) {
        public Reply(int status, String body) {
            this(status, body, java.util.Map.of());
        }

        /** The first value of a response header (case-insensitive), or null. */
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        public JsonObject json() {
            return (JsonObject) parse(body);
        }

        public String code() {
            return json().getString("code");
        }

        /** Fails with the reply's body (its error code and message) unless the status is {@code status}. */
        public Reply expect(int status) {
            if (this.status != status) {
                throw new AssertionError("expected HTTP " + status + " but got " + this.status + ": " + body);
            }
            return this;
        }
    }

    private final String baseUrl;

    public Api(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public Reply get(String path) throws Exception {
        return get(path, null);
    }

    public Reply get(String path, String bearer) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET(), bearer);
    }

    public Reply post(String path, String body, String bearer) throws Exception {
        return send(withBody("POST", path, body), bearer);
    }

    public Reply put(String path, String body, String bearer) throws Exception {
        return send(withBody("PUT", path, body), bearer);
    }

    private HttpRequest.Builder withBody(String method, String path, String body) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body == null ? "" : body));
    }

    private static Reply send(HttpRequest.Builder request, String bearer) throws Exception {
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        HttpRequest built = request.timeout(Duration.ofSeconds(30)).build();
        Reply reply = send(built);
        if (isContainerErrorPage(reply)) {
            // Payara's own HTML 500, never Visage's (every error of ours is JSON): Payara recycles a
            // request while a WebSocket closes and another request gets that request's state
            // (payara/Payara#5432, seen in CI during 50 concurrent joins). Said aloud, tried once more.
            System.err.println("[payara-500] " + built.method() + " " + built.uri() + " answered by Payara's error page ("
                    + reply.body().replaceAll("(?s).*?(\\w+Exception[^<]{0,200}).*", "$1") + "); sending it once more");
            reply = send(built);
        }
        return reply;
    }

    private static Reply send(HttpRequest request) throws Exception {
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body(), response.headers().map());
    }

    private static boolean isContainerErrorPage(Reply reply) {
        String type = reply.header("Content-Type");
        return reply.status() == 500 && type != null && type.startsWith("text/html");
    }

    /** Registers (if needed) and logs in; returns the user token. */
    public String login(String username, String password) throws Exception {
        Reply registered = post("/api/users", json("username", username, "password", password, "displayName", username), null);
        Reply login = post("/api/login", json("username", username, "password", password), null);
        if (login.status() != 200) {
            throw new IllegalStateException("login failed: " + login + " (registration: " + registered + ")");
        }
        return login.json().getString("userToken");
    }

    public String createRoom(String userToken, String name) throws Exception {
        Reply room = post("/api/rooms", json("name", name), userToken);
        if (room.status() != 201) {
            throw new IllegalStateException("room creation failed: " + room);
        }
        return room.json().getString("roomId");
    }

    public static JsonStructure parse(String body) {
        return Json.createReader(new StringReader(body)).read();
    }

    public static String json(String... keyValues) {
        var builder = Json.createObjectBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            builder.add(keyValues[i], keyValues[i + 1]);
        }
        return builder.build().toString();
    }
}
