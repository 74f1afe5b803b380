package dev.visage.web.signalling;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import com.hazelcast.core.HazelcastInstance;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.cluster.hazelcast.HazelcastClusterBackend;
import dev.visage.cluster.hazelcast.testing.TestHazelcast;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.MediaEngine;
import dev.visage.api.media.Participant;
import dev.visage.api.media.SignalSink;
import dev.visage.api.plugin.PluginContext;
import dev.visage.api.plugin.StorePlugin;
import dev.visage.api.room.Room;
import dev.visage.api.user.User;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.room.RoomService;
import dev.visage.core.config.NodeConfig;
import dev.visage.core.session.SessionService;
import dev.visage.core.testing.TestStore;
import dev.visage.core.token.TokenService;
import dev.visage.web.limit.RateLimits;
import dev.visage.web.node.VisageNode;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;

import java.io.StringReader;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Fuzz target "signalling": a text frame on a connected client's WebSocket, into
 * {@link SignallingEndpoint#message} with everything behind it real (tokens, sessions and rooms
 * on an embedded Hazelcast member and the real store) except the media engine, which checks that
 * what reaches it is a JSON-shaped map. Nothing may escape the handler, and every answer must be
 * a JSON object with a type; an error must carry a stable code other than {@code internal} (which
 * means the handler failed unexpectedly). {@code $ROOM_TOKEN} in an input stands for a valid room
 * token of this connection's session, so that inputs get past the join.
 */
public final class SignallingFuzzTarget {
    /** The types the media engine takes (SfuEndpoint's). */
    private static final Set<String> MEDIA_TYPES = Set.of("offer", "answer", "candidate", "mute", "media-ready");
    private static final List<String> sent = new ArrayList<>();
    private static SignallingEndpoint endpoint;
    private static String roomToken;

    private SignallingFuzzTarget() {
    }

    public static void fuzzerInitialize() throws Exception {
        HazelcastInstance hazelcast = new TestHazelcast("fuzz-signalling", 6340).newMember();
        StorePlugin store = TestStore.start(Files.createDirectories(storeDirectory()));
        Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC); // tokens never expire
        HazelcastClusterBackend backend = new HazelcastClusterBackend(hazelcast);
        backend.start(TestPluginContext.of("fuzz-node", Map.of()));
        ClusterState cluster = backend.state();
        TokenService tokens = new TokenService("fuzz-token-key-fuzz-token-key-32".getBytes(StandardCharsets.UTF_8), clock);
        SessionService sessions = new SessionService(cluster, tokens, Duration.ofHours(1), "fuzz-node", clock);
        RoomService rooms = new RoomService(store.rooms(), store.chat(), cluster, backend.locks(),
                tokens, Duration.ofHours(1), clock);
        User user = store.users().create(new User("fuzz-user", "fuzzer", "Fuzzer", "x", "user", clock.instant()));
        Room room = rooms.create(user, "fuzz room", null);
        endpoint = new SignallingEndpoint();
        endpoint.node = new Node(cluster, sessions, rooms);
        // no limits in the way of the inputs: each would otherwise cut a run's coverage short
        endpoint.limits = new RateLimits(new NodeConfig(Map.of("visage.rate.socket.messages", "1000000000/1s",
                "visage.rate.chat", "1000000000/1s")::get));
        endpoint.open(socket(sessions.open(user).sessionToken()));
        String sessionId = JSON.createReader(new StringReader(sent.get(0))).readObject().getString("sessionId"); // hello
        SessionRecord session = cluster.session(sessionId).orElseThrow();
        roomToken = rooms.requestJoin(session, room.id());
    }

    public static void fuzzerTestOneInput(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8).replace("$ROOM_TOKEN", roomToken);
        sent.clear();
        endpoint.message(text);
        for (String frame : sent) {
            JsonObject answer = JSON.createReader(new StringReader(frame)).readObject();
            if (!(answer.get("type") instanceof JsonString type)) {
                throw new AssertionError("an answer without a type: " + frame);
            }
            if (type.getString().equals("error") && answer.getString("code").equals(ErrorCode.INTERNAL.wire())) {
                throw new AssertionError("the handler failed on " + text);
            }
        }
    }

    /** {@code target/fuzz-store/<pid>}: one store per JVM (a campaign's runs beside the suite's). */
    private static Path storeDirectory() throws Exception {
        Path testClasses = Path.of(SignallingFuzzTarget.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return testClasses.resolveSibling("fuzz-store").resolve(String.valueOf(ProcessHandle.current().pid()));
    }

    /** A WebSocket session whose text frames land in {@link #sent}, written as soon as they are sent. */
    private static Session socket(String sessionToken) {
        RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(SignallingFuzzTarget.class.getClassLoader(),
                new Class<?>[]{RemoteEndpoint.Async.class}, (proxy, method, args) -> {
                    if (method.getName().equals("sendText") && args.length == 2) {
                        sent.add((String) args[0]);
                        ((SendHandler) args[1]).onResult(new SendResult());
                    }
                    return null;
                });
        return (Session) Proxy.newProxyInstance(SignallingFuzzTarget.class.getClassLoader(), new Class<?>[]{Session.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "isOpen" -> true;
                    case "getAsyncRemote" -> remote;
                    case "getRequestParameterMap" -> Map.of("token", List.of(sessionToken));
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> null;
                });
    }

    /** The node's services for the endpoint, without a Payara deployment. */
    private static final class Node extends VisageNode {
        private final ClusterState cluster;
        private final SessionService sessions;
        private final RoomService rooms;
        private final MediaEngine media = new CheckingMedia();
        private final LocalConnections connections =
                new LocalConnections(new SenderPool(new CallerRunsExecutor(), 1000, 1024 * 1024));

        Node(ClusterState cluster, SessionService sessions, RoomService rooms) {
            this.cluster = cluster;
            this.sessions = sessions;
            this.rooms = rooms;
        }

        @Override
        public ClusterState cluster() {
            return cluster;
        }

        @Override
        public LocalConnections connections() {
            return connections;
        }

        @Override
        public SessionService sessions() {
            return sessions;
        }

        @Override
        public RoomService rooms() {
            return rooms;
        }

        @Override
        public Optional<MediaEngine> media() {
            return Optional.of(media);
        }
    }

    /** Takes the SFU's message types, and fails on a message that is not a JSON-shaped map. */
    private static final class CheckingMedia implements MediaEngine {
        @Override
        public String name() {
            return "checking";
        }

        @Override
        public void start(PluginContext context) {
        }

        @Override
        public void close() {
        }

        @Override
        public Map<String, Number> metrics() {
            return Map.of();
        }

        @Override
        public MediaEndpoint join(Participant participant, SignalSink sink) {
            return new MediaEndpoint() {
                @Override
                public String sessionId() {
                    return participant.sessionId();
                }

                @Override
                public boolean onClientMessage(String type, Map<String, Object> message) {
                    jsonShaped(message);
                    return MEDIA_TYPES.contains(type);
                }

                @Override
                public void close() {
                }
            };
        }

        private static void jsonShaped(Object value) {
            if (value instanceof Map<?, ?> map) {
                map.forEach((k, v) -> {
                    if (!(k instanceof String)) {
                        throw new AssertionError("a key that is not a string: " + k);
                    }
                    jsonShaped(v);
                });
            } else if (value instanceof List<?> list) {
                list.forEach(CheckingMedia::jsonShaped);
            } else if (value != null && !(value instanceof String || value instanceof Long || value instanceof Double
                    || value instanceof Boolean)) {
                throw new AssertionError("not a JSON value: " + value.getClass().getName());
            }
        }
    }
}
