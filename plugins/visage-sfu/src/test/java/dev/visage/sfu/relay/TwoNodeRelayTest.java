package dev.visage.sfu.relay;

import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.MediaEngine;
import dev.visage.api.media.Participant;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.api.relay.RelayBus;
import dev.visage.sfu.SfuEngine;
import dev.visage.sfu.SubscriberAnswer;
import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.SfuEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two SFU engines in one JVM joined by an in-memory RelayBus (messages cross as copies with
 * JSON-like numbers, asynchronously, like the Hazelcast topic): subscription by room, tracks of
 * the far node in local "tracks" messages, once per track whatever the number of far viewers,
 * feedback upstream, tear-down on leave and on node loss.
 */
class TwoNodeRelayTest {
    static final Map<String, Set<String>> ROOM_NODES = new ConcurrentHashMap<>();
    static final Map<String, BiConsumer<String, Map<String, Object>>> HANDLERS = new ConcurrentHashMap<>();
    static final Map<String, List<Consumer<String>>> GONE = new ConcurrentHashMap<>();
    static final ExecutorService HUB = Executors.newSingleThreadExecutor();
    static SfuEngine a;
    static SfuEngine b;

    static final class LocalBus implements RelayBus {
        final String id;

        LocalBus(String id) {
            this.id = id;
        }

        public String localNodeId() {
            return id;
        }

        public void send(String to, Map<String, Object> message) {
            Map<String, Object> copy = jsonCopy(message);
            HUB.execute(() -> {
                var h = HANDLERS.get(to);
                if (h != null) {
                    h.accept(id, copy);
                }
            });
        }

        public void subscribe(BiConsumer<String, Map<String, Object>> handler) {
            HANDLERS.put(id, handler);
        }

        public Set<String> nodesInRoom(String roomId) {
            return Set.copyOf(ROOM_NODES.getOrDefault(roomId, Set.of()));
        }

        public Optional<NodeInfo> node(String nodeId) {
            return Optional.empty();
        }

        public void onNodeGone(Consumer<String> listener) {
            GONE.computeIfAbsent(id, k -> new ArrayList<>()).add(listener);
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T jsonCopy(T v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> c = new HashMap<>();
            m.forEach((k, x) -> c.put((String) k, jsonCopy(x)));
            return (T) c;
        }
        if (v instanceof List<?> l) {
            return (T) l.stream().map(TwoNodeRelayTest::jsonCopy).toList();
        }
        if (v instanceof Integer i) {
            return (T) Long.valueOf(i);
        }
        return v;
    }

    static int freePort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static SfuEngine engine(String id) throws Exception {
        Map<String, String> settings = Map.of("visage.media.addresses", "127.0.0.1", "visage.media.port",
                String.valueOf(freePort()), "visage.relay.port", String.valueOf(freePort()));
        SfuEngine e = (SfuEngine) ServiceLoader.load(MediaEngine.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.name().equals("sfu")).findFirst().orElseThrow();
        e.start(new TestPluginContext(id, Path.of("target"), settings));
        e.attach(new LocalBus(id));
        return e;
    }

    @BeforeAll
    static void start() throws Exception {
        a = engine("A");
        b = engine("B");
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
        HUB.shutdownNow();
    }

    static final class Inbox {
        final List<Map<String, Object>> messages = new ArrayList<>();

        synchronized void add(Map<String, Object> m) {
            messages.add(m);
        }

        synchronized List<Map<String, Object>> of(String type) {
            return messages.stream().filter(m -> type.equals(m.get("type"))).toList();
        }

        @SuppressWarnings("unchecked")
        synchronized List<Map<String, Object>> lastTracks() {
            List<Map<String, Object>> t = of("tracks");
            return t.isEmpty() ? List.of() : (List<Map<String, Object>>) t.get(t.size() - 1).get("tracks");
        }
    }

    static String chromeOffer() throws Exception {
        return offer("chrome-publish-offer.sdp");
    }

    static String offer(String name) throws Exception {
        try (InputStream in = TwoNodeRelayTest.class.getResourceAsStream("/sdp/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\n", "\r\n");
        }
    }

    static void await(BooleanSupplier c, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + 10_000;
        while (!c.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("timed out: " + what + "; A " + a.metrics() + "; B " + b.metrics());
            }
            Thread.sleep(20);
        }
    }

    static MediaEndpoint join(SfuEngine e, String node, String room, String session, String name, Inbox inbox) {
        ROOM_NODES.computeIfAbsent(room, k -> ConcurrentHashMap.newKeySet()).add(node);
        return e.join(new Participant(room, session, "u-" + session, name), inbox::add);
    }

    static int metric(SfuEngine e, String name) {
        Number n = e.metrics().get(name);
        return n == null ? -1 : n.intValue();
    }

    /**
     * A simulcast camera on A, one viewer on B: every layer crosses under a relay SSRC of its own
     * (B's relayed track has the three layers); once the viewer shows the camera as a thumbnail,
     * B asks for the small layer alone (relay-layers) and A sends only that one over the leg.
     */
    @Test
    void aSimulcastCameraCrossesAsItsLayersAndAFarThumbnailGetsOnlyTheSmallOne() throws Exception {
        SfuEndpoint ea = (SfuEndpoint) join(a, "A", "room-sim", "sS", "Sim", new Inbox());
        assertTrue(ea.onClientMessage("offer", Map.of("type", "offer", "pc", "publish", "sdp",
                offer("chrome-simulcast-publish-offer.sdp"))));
        Inbox watcher = new Inbox();
        MediaEndpoint ew = join(b, "B", "room-sim", "sW", "Watcher", watcher);
        ew.onClientMessage("media-ready", Map.of("type", "media-ready"));
        await(() -> watcher.lastTracks().size() == 2, "the camera and microphone at B");
        PublishedTrack video = ea.publishedTracks()[1];
        await(() -> video.downstream != null && metric(a, "visage_relay_legs_ready") == 1, "the camera relayed to B");
        PublishedTrack relayed = java.util.Arrays.stream(b.relay().orElseThrow().relayedTracksForTest("room-sim"))
                .filter(t -> t.video).findFirst().orElseThrow();
        assertEquals(3, relayed.streamCount());
        assertEquals(video.ssrc, relayed.ssrc, "B's subscribers know it by the origin's SFU SSRC");
        String[] rids = {"q", "h", "f"};
        int[][] sizes = {{320, 180}, {640, 360}, {1280, 720}};
        int[] round = {0};
        Runnable sendRound = () -> {
            for (int l = 0; l < 3; l++) {
                byte[] p = dev.visage.sfu.room.SfuEngineTest.ridPacket(0xB0 + l, 100 * l + round[0], rids[l], round[0] == 0,
                        sizes[l]);
                dev.visage.sfu.room.SfuEngineTest.fromPublisher(ea, p);
            }
            round[0]++;
        };
        int atStart = metric(b, "visage_relay_packets_received_total");
        sendRound.run();
        await(() -> metric(b, "visage_relay_packets_received_total") - atStart == 3, "a key frame of each layer at B");

        ew.onClientMessage("video-size", Map.of("type", "video-size", "trackId", relayed.info.trackId(), "width", 160,
                "height", 90));
        // B's demand (every 250 ms) reaches A: from then on each round crosses as q alone
        await(() -> packetsAtBPerRound(sendRound) == 1, "only the small layer crosses for the thumbnail");
        ew.onClientMessage("video-size", Map.of("type", "video-size", "trackId", relayed.info.trackId(), "width", 1280,
                "height", 720));
        await(() -> packetsAtBPerRound(sendRound) == 3, "every layer crosses again for a large tile");
        ew.close();
        ea.close();
        ROOM_NODES.remove("room-sim");
    }

    /** Sends a round of packets at A; how many reached B within 50 ms. */
    private static int packetsAtBPerRound(Runnable sendRound) {
        int before = metric(b, "visage_relay_packets_received_total");
        sendRound.run();
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return metric(b, "visage_relay_packets_received_total") - before;
    }

    @Test
    void farViewersSeeThePublisherOnceRelayedThenItIsTornDown() throws Exception {
        Inbox alice = new Inbox();
        MediaEndpoint ea = join(a, "A", "room-x", "sA", "Alice", alice);
        assertTrue(ea.onClientMessage("offer", Map.of("type", "offer", "pc", "publish", "sdp", chromeOffer())));

        List<Inbox> viewers = new ArrayList<>();
        List<MediaEndpoint> eps = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Inbox v = new Inbox();
            viewers.add(v);
            MediaEndpoint ep = join(b, "B", "room-x", "sV" + i, "Viewer " + i, v);
            eps.add(ep);
            ep.onClientMessage("media-ready", Map.of("type", "media-ready"));
        }
        for (Inbox v : viewers) {
            await(() -> v.lastTracks().size() == 2, "Alice's 2 tracks at a viewer on B");
            Map<String, Object> t = v.lastTracks().get(0);
            assertEquals("sA", t.get("sessionId"));
            assertEquals("Alice", t.get("displayName"));
            assertTrue(((String) v.of("offer").get(0).get("sdp")).contains("a=ssrc:2222222222 msid:sA videotrack1"));
        }
        await(() -> metric(a, "visage_relay_legs_ready") == 1 && metric(b, "visage_relay_legs_ready") == 1, "leg ready");
        assertEquals(2, metric(a, "visage_relay_streams_out"), "once per track, not per far viewer");
        assertEquals(2, metric(b, "visage_relay_streams_in"));
        assertEquals(2, metric(a, "visage_relay_leg_streams_out{peer=\"B\"}"));
        assertEquals(1, metric(a, "visage_relay_legs"));
        // Alice sees nobody's media: the viewers publish nothing
        assertTrue(alice.lastTracks().isEmpty());

        // a packet of Alice's video crosses once; B caches it for its viewers' NACKs
        PublishedTrack video = null;
        for (PublishedTrack t : ((SfuEndpoint) ea).publishedTracks()) {
            if (t.video) {
                video = t;
            }
        }
        byte[] p = RelayFramingTest.rtp(video.ssrc, 777, 100);
        video.downstream.onRtp(video, 0, p, 0, 112);
        await(() -> metric(b, "visage_relay_packets_received_total") == 1, "one relayed packet at B");
        Map<String, Object> leg = b.relayStats().get(0); // what the admin console shows of B's leg
        assertEquals("A", leg.get("peer"));
        assertEquals(true, leg.get("ready"));
        assertEquals(2, leg.get("streamsIn"));
        assertEquals(1L, leg.get("packetsReceived"));
        // the relayed track's feedback goes upstream
        PublishedTrack relayed = null;
        for (PublishedTrack t : b.relay().orElseThrow().relayedTracksForTest("room-x")) {
            if (t.ssrc == video.ssrc) {
                relayed = t;
            }
        }
        assertEquals(112, relayed.cachedPacket(0, 777, new byte[1600]));
        relayed.upstream.requestKeyFrame(relayed, relayed.ssrc);
        relayed.upstream.requestRetransmission(relayed, relayed.ssrc, 778);
        await(() -> metric(a, "visage_relay_leg_plis_received_total{peer=\"B\"}") == 1
                && metric(a, "visage_relay_leg_nacks_received_total{peer=\"B\"}") == 1, "PLI and NACK at A");

        // viewers leave one by one: the leg stays while one is left, then goes
        for (int i = 0; i < 3; i++) {
            eps.get(i).close();
            if (i < 2) {
                assertEquals(2, metric(a, "visage_relay_streams_out"));
            }
        }
        ROOM_NODES.get("room-x").remove("B");
        await(() -> metric(a, "visage_relay_streams_out") == 0 && metric(a, "visage_relay_legs") == 0
                && metric(b, "visage_relay_legs") == 0, "leg torn down after the last far viewer left");

        // a viewer comes back, then node B dies: A drops the leg at once
        Inbox again = new Inbox();
        MediaEndpoint back = join(b, "B", "room-x", "sV9", "Back", again);
        back.onClientMessage("media-ready", Map.of("type", "media-ready"));
        await(() -> again.lastTracks().size() == 2 && metric(a, "visage_relay_streams_out") == 2, "relayed again");
        // B is dead: the registry no longer lists it in the room (else A's 5 s reconcile, seeing B
        // there, subscribes to it again and reopens the leg before the check below sees it dropped)
        ROOM_NODES.get("room-x").remove("B");
        GONE.get("A").forEach(l -> l.accept("B"));
        await(() -> metric(a, "visage_relay_legs") == 0 && metric(a, "visage_relay_streams_out") == 0,
                "leg dropped when B is gone");
        back.close();
        ea.close();
    }

    /**
     * A track its publisher stops (a screen share ended, the section rejected in a new offer) ends
     * on the far node at once; only a publisher that vanished is kept for the reconnect grace (15 s).
     */
    @Test
    void aSharedScreenThePublisherStopsLeavesTheFarViewerAtOnce() throws Exception {
        Inbox alice = new Inbox();
        MediaEndpoint ea = join(a, "A", "room-s", "sA3", "Alice", alice);
        assertTrue(ea.onClientMessage("offer", Map.of("type", "offer", "pc", "publish", "sdp", chromeOffer(),
                "sources", Map.of("1", "screen"))));
        Inbox viewer = new Inbox();
        MediaEndpoint ev = join(b, "B", "room-s", "sV3", "Viewer", viewer);
        ev.onClientMessage("media-ready", Map.of("type", "media-ready"));
        await(() -> viewer.lastTracks().size() == 2, "Alice's microphone and screen at the viewer on B");
        assertEquals(List.of("microphone", "screen"), viewer.lastTracks().stream().map(t -> t.get("source")).toList());

        SubscriberAnswer.answer(ev, viewer.of("offer").get(0), b.fingerprint()); // the next offer waits for it
        String screenStopped = chromeOffer().replace("m=video 9 ", "m=video 0 ");
        assertTrue(ea.onClientMessage("offer", Map.of("type", "offer", "pc", "publish", "sdp", screenStopped)));
        await(() -> viewer.lastTracks().size() == 1, "the stopped screen gone from the viewer on B");
        assertEquals("microphone", viewer.lastTracks().get(0).get("source"));
        ev.close();
        ea.close();
        ROOM_NODES.remove("room-s");
    }

    @Test
    void publisherJoiningAfterTheFarNodeAlreadyAskedIsStillRelayed() throws Exception {
        // A's first subscribe reaches B before B has any member (cluster membership runs ahead of
        // the media join): B answers with no tracks. When Bob then joins B and publishes, Alice
        // must still get his tracks.
        ROOM_NODES.computeIfAbsent("room-y", k -> ConcurrentHashMap.newKeySet()).add("B");
        Inbox alice = new Inbox();
        MediaEndpoint ea = join(a, "A", "room-y", "sA2", "Alice", alice);
        ea.onClientMessage("media-ready", Map.of("type", "media-ready"));
        Thread.sleep(500);
        Inbox bob = new Inbox();
        MediaEndpoint eb = join(b, "B", "room-y", "sB2", "Bob", bob);
        assertTrue(eb.onClientMessage("offer", Map.of("type", "offer", "pc", "publish", "sdp", chromeOffer())));
        await(() -> alice.lastTracks().size() == 2, "Bob's tracks at Alice");
        assertEquals("sB2", alice.lastTracks().get(0).get("sessionId"));
        eb.close();
        ea.close();
        ROOM_NODES.remove("room-y");
    }
}
