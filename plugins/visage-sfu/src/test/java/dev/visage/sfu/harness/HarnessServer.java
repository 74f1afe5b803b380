package dev.visage.sfu.harness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.Participant;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.sfu.SfuEngine;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for the web app in media tests: a JDK HttpServer that serves the test page and
 * media.js, and relays signalling between pages and an in-process {@link SfuEngine} by
 * HTTP POST (client -> server) and long-poll GET (server -> client).
 * <pre>
 * java -cp ... dev.visage.sfu.harness.HarnessServer HTTP_PORT MEDIA_ADDRESS MEDIA_PORT MEDIA_JS_PATH
 * </pre>
 */
public final class HarnessServer {
    private final SfuEngine engine = new SfuEngine();
    private final Map<String, MediaEndpoint> endpoints = new ConcurrentHashMap<>();
    private final Map<String, LinkedBlockingQueue<Map<String, Object>>> outboxes = new ConcurrentHashMap<>();
    /** Everything ever sent to a session, for tests that look after the page is gone. */
    private final Map<String, List<Map<String, Object>>> history = new ConcurrentHashMap<>();
    private final Path mediaJs;
    private HttpServer http;

    public HarnessServer(Path mediaJs) {
        this.mediaJs = mediaJs;
    }

    public static void main(String[] args) throws Exception {
        int httpPort = Integer.parseInt(args[0]);
        String mediaAddress = args[1];
        String mediaPort = args[2];
        HarnessServer h = new HarnessServer(Path.of(args[3]));
        h.start(httpPort, Map.of("visage.media.addresses", mediaAddress, "visage.media.port", mediaPort));
        System.out.println("HARNESS READY http://localhost:" + httpPort);
        Runtime.getRuntime().addShutdownHook(new Thread(h::stop));
        Thread.currentThread().join();
    }

    public void start(int httpPort, Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>(settings);
        System.getProperties().stringPropertyNames().stream().filter(name -> name.startsWith("visage."))
                .forEach(name -> all.putIfAbsent(name, System.getProperty(name)));
        engine.start(new TestPluginContext("harness", Path.of(System.getProperty("java.io.tmpdir")), all));
        // loopback by default; visage.harness.http-address=ADDR when the browsers sit in another namespace
        http = HttpServer.create(new InetSocketAddress(System.getProperty("visage.harness.http-address", "127.0.0.1"), httpPort), 64);
        http.setExecutor(Executors.newCachedThreadPool());
        http.createContext("/", this::handle);
        http.start();
    }

    public void stop() {
        if (http != null) {
            http.stop(0);
        }
        for (MediaEndpoint e : endpoints.values()) {
            e.close();
        }
        engine.close();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            URI uri = ex.getRequestURI();
            Map<String, String> q = query(uri.getRawQuery());
            String path = uri.getPath();
            switch (path) {
                case "/", "/index.html" -> resource(ex, "/harness/test.html", "text/html");
                case "/js/media.js" -> reply(ex, 200, "text/javascript", Files.readAllBytes(mediaJs));
                case "/join" -> {
                    String id = q.get("id");
                    LinkedBlockingQueue<Map<String, Object>> box = new LinkedBlockingQueue<>();
                    outboxes.put(id, box);
                    List<Map<String, Object>> seen = java.util.Collections.synchronizedList(new ArrayList<>());
                    history.put(id, seen);
                    // ?user= lets a page come back as the same user in a new session (a reconnect)
                    MediaEndpoint e = engine.join(new Participant(q.getOrDefault("room", "r"), id,
                            q.getOrDefault("user", "user-" + id),
                            "User " + id), m -> {
                                seen.add(m);
                                box.add(m);
                            });
                    endpoints.put(id, e);
                    json(ex, Map.of("type", "joined", "sessionId", id));
                }
                case "/send" -> {
                    String id = q.get("id");
                    MediaEndpoint e = endpoints.get(id);
                    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                    if (e == null) {
                        json(ex, Map.of("type", "error", "code", "not_joined", "message", "join first"));
                        return;
                    }
                    try {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> msg = (Map<String, Object>) Json.parse(body);
                        if (!e.onClientMessage(String.valueOf(msg.get("type")), msg)) {
                            outboxes.get(id).add(Map.of("type", "error", "code", "unknown_type", "message", "unknown type"));
                        }
                    } catch (IllegalArgumentException | ClassCastException bad) {
                        outboxes.get(id).add(Map.of("type", "error", "code", "bad_request",
                                "message", String.valueOf(bad.getMessage())));
                    }
                    json(ex, Map.of("ok", true));
                }
                case "/poll" -> {
                    LinkedBlockingQueue<Map<String, Object>> box = outboxes.get(q.get("id"));
                    List<Object> out = new ArrayList<>();
                    if (box != null) {
                        Map<String, Object> first = box.poll(10, TimeUnit.SECONDS);
                        if (first != null) {
                            out.add(first);
                            box.drainTo(new java.util.AbstractList<>() {
                                @Override
                                public Map<String, Object> get(int index) {
                                    throw new UnsupportedOperationException();
                                }

                                @Override
                                public int size() {
                                    return 0;
                                }

                                @Override
                                public boolean add(Map<String, Object> m) {
                                    return out.add(m);
                                }
                            });
                        }
                    }
                    json(ex, out);
                }
                case "/leave", "/drop" -> { // a deliberate leave, or a lost connection
                    MediaEndpoint e = endpoints.remove(q.get("id"));
                    if (e != null && path.equals("/leave")) {
                        e.leave();
                    } else if (e != null) {
                        e.close();
                    }
                    json(ex, Map.of("ok", true));
                }
                case "/metrics" -> json(ex, new HashMap<>(engine.metrics()));
                case "/history" -> {
                    List<Map<String, Object>> seen = history.getOrDefault(q.get("id"), List.of());
                    synchronized (seen) {
                        json(ex, new ArrayList<Object>(seen));
                    }
                }
                case "/favicon.ico" -> reply(ex, 200, "image/x-icon", new byte[0]);
                case "/stats" -> json(ex, engine.streamStats(q.getOrDefault("room", "r")));
                default -> reply(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
            }
        } catch (Exception e) {
            reply(ex, 500, "text/plain", String.valueOf(e).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    m.put(kv.substring(0, eq), java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return m;
    }

    private void resource(HttpExchange ex, String name, String type) throws IOException {
        try (InputStream in = HarnessServer.class.getResourceAsStream(name)) {
            if (in == null) {
                reply(ex, 404, "text/plain", "missing".getBytes(StandardCharsets.UTF_8));
                return;
            }
            reply(ex, 200, type, in.readAllBytes());
        }
    }

    private static void json(HttpExchange ex, Object v) throws IOException {
        reply(ex, 200, "application/json", Json.write(v).getBytes(StandardCharsets.UTF_8));
    }

    private static void reply(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }
}
