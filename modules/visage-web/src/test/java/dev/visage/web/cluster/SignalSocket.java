package dev.visage.web.cluster;

import jakarta.json.JsonObject;

import java.net.URI;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A signalling WebSocket as a client holds it: one per session, messages read in order. */
public final class SignalSocket implements AutoCloseable {

    /** Generous: 50 sockets joining at once on two busy cores wait for their turn. */
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLOSED_CHECK = Duration.ofMillis(100);

    public final String sessionId;
    final String sessionToken;
    private final WebSocket socket;
    private final BlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    private SignalSocket(String sessionId, String sessionToken, String wsUrl) {
        this.sessionId = sessionId;
        this.sessionToken = sessionToken;
        this.socket = Api.HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(wsUrl), new Listener()).join();
    }

    /** Steps 1-3: a new session on the node and its socket, up to the server's hello. */
    public static SignalSocket open(Api api, String userToken) throws Exception {
        Api.Reply grant = api.post("/api/sessions", null, userToken);
        if (grant.status() != 201) {
            throw new IllegalStateException("session refused: " + grant);
        }
        JsonObject json = grant.json();
        String token = json.getString("sessionToken");
        String wsUrl = api.baseUrl().replaceFirst("^http", "ws") + "/ws?token=" + token;
        SignalSocket socket = new SignalSocket(json.getString("sessionId"), token, wsUrl);
        socket.await(m -> "hello".equals(m.getString("type", "")), REPLY_TIMEOUT);
        return socket;
    }

    /** A socket opened with any token, good or bad, without waiting for the hello. */
    static SignalSocket raw(Api api, String token) {
        return new SignalSocket(null, token, api.baseUrl().replaceFirst("^http", "ws") + "/ws?token=" + token);
    }

    /** Steps 4-7: ask to join over REST, then present the room token on the socket. */
    public JsonObject join(Api api, String roomId) throws Exception {
        Api.Reply reply = api.post("/api/rooms/" + roomId + "/join", null, sessionToken);
        if (reply.status() != 200) {
            throw new IllegalStateException("join refused: " + reply);
        }
        send("{\"type\":\"join\",\"roomToken\":\"" + reply.json().getString("roomToken") + "\"}");
        return await(m -> "joined".equals(m.getString("type", "")), REPLY_TIMEOUT);
    }

    public void send(String text) {
        socket.sendText(text, true).join();
    }

    /**
     * The next message matching {@code filter}; earlier non-matching messages are skipped. Fails
     * as soon as the socket has closed and every message it got has been read, as a client sees
     * a lost connection at once.
     */
    public JsonObject await(Predicate<JsonObject> filter, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonObject message = left > 0 ? inbox.poll(Math.min(left, CLOSED_CHECK.toNanos()), TimeUnit.NANOSECONDS)
                    : null;
            if (message == null) {
                if (left <= 0) {
                    throw new AssertionError("no matching message within " + timeout + " on session " + sessionId);
                }
                if (closed.isDone() && inbox.isEmpty()) {
                    throw new AssertionError("socket closed while waiting on session " + sessionId);
                }
                continue;
            }
            if (filter.test(message)) {
                return message;
            }
        }
    }

    public JsonObject awaitType(String type) throws InterruptedException {
        return await(m -> type.equals(m.getString("type", "")), REPLY_TIMEOUT);
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed() && !closed.isDone()) {
            // the server may close first (a rejected token): then there is nothing left to say
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(alreadyClosed -> null).join();
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                inbox.add((JsonObject) Api.parse(partial.toString()));
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
