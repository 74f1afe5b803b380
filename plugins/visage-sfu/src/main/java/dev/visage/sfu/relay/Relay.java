package dev.visage.sfu.relay;

import dev.visage.api.relay.RelayBus;
import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.Room;
import dev.visage.sfu.sdp.TrackInfo;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The node's relay: keeps one {@link RelayLeg} per peer node that shares a room with this one,
 * subscribes to the peers' publishers per room, turns what they announce into relayed
 * {@link PublishedTrack}s of the local {@link Room}, and hands each local publisher's packets once
 * per leg to the nodes that subscribed to its room.
 *
 * <p>Interest: when the local membership of a room changes ({@link Room.Observer}), the relay asks
 * {@link RelayBus#nodesInRoom} and sends relay-subscribe to every other node holding members;
 * a node that receives a subscribe for a room where it has members subscribes back, so either
 * side's join is enough. Every 5 s the same reconciliation runs as a backstop (lost messages,
 * nodes that left the room without a word). When a room's last local member leaves, the relay
 * unsubscribes; a leg with no subscription left in either direction is closed, and every leg of a
 * node that is gone ({@link RelayBus#onNodeGone}) at once.
 *
 * <p>Threads: all signalling and bookkeeping runs on one thread ("sfu-relay"); the media path
 * only reads volatile arrays set from it (no lock, no cluster call, no allocation per packet).
 */
public final class Relay implements Room.Observer, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Relay.class.getName());
    private static final long RECONCILE_MILLIS = 5000;
    private static final long FAILED_RETRY_MILLIS = 3000;
    private static final int SUBSCRIBE_ATTEMPTS = 10;
    /** How often the far consumers' layer demand is checked for a change (relay-layers). */
    private static final long DEMAND_CHECK_MILLIS = 250;
    /** Every layer of a track (no relay-layers for it yet). */
    private static final int ALL_LAYERS = -1;

    private final RelayBus bus;
    private final RelayConfig config;
    private final int cachePackets;
    private final Function<String, Room> rooms;
    private final String self;
    private final RelaySocket socket;
    private final ScheduledExecutorService exec;

    // relay-thread state
    private final Map<String, RelayLeg> legs = new HashMap<>();
    private final Map<String, Map<String, InSub>> wanted = new HashMap<>();
    private final Map<String, Set<String>> served = new HashMap<>();
    private final Map<String, String> sentTracks = new HashMap<>();
    /** Per (room, peer) we serve: the layers its consumers want of each simulcast track (by SSRC). */
    private final Map<String, Map<Integer, Integer>> layersWanted = new HashMap<>();
    private final Map<PublishedTrack, TrackRelay> relays = new IdentityHashMap<>();
    private final Set<String> knownRooms = new HashSet<>();
    private final byte[] reportBuffer = new byte[1500];
    private final int[] loss = new int[2];
    private long lastReconcile;

    // read by metrics()
    private volatile RelayLeg[] legSnapshot = new RelayLeg[0];
    private final RelayStats stats;

    /** A subscription of ours: the peer's tracks of one room, relayed here. */
    private static final class InSub {
        final Room room;
        boolean acked;
        int attempts;
        long lastSent;
        /** Per relayed track: its streams (one per simulcast layer, or one). */
        final Map<String, RemoteStream[]> streams = new LinkedHashMap<>();
        /** The last relay-layers sent (its tracks, as a string) and when. */
        String layersSent;
        long layersSentAt;

        InSub(Room room) {
            this.room = room;
        }
    }

    private Relay(RelayBus bus, RelayConfig config, int cachePackets, Function<String, Room> rooms, RelaySocket socket) {
        this.bus = bus;
        this.config = config;
        this.cachePackets = cachePackets;
        this.rooms = rooms;
        this.self = bus.localNodeId();
        this.socket = socket;
        this.stats = new RelayStats(socket);
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sfu-relay");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Binds the relay socket on the media address and starts listening on the bus.
     *
     * @param rooms the engine's live room by id (null when no local member is left)
     */
    public static Relay start(RelayBus bus, RelayConfig config, int cachePackets, InetAddress address,
                              Function<String, Room> rooms) throws IOException {
        RelaySocket socket = new RelaySocket(address, config.port());
        Relay relay = new Relay(bus, config, cachePackets, rooms, socket);
        try {
            socket.start();
            bus.subscribe((from, msg) -> relay.submit(() -> relay.onMessage(from, msg)));
            bus.onNodeGone(node -> relay.submit(() -> relay.onNodeGone(node)));
        } catch (RuntimeException e) {
            // a start-up abandoned half way (the node is stopping) must not keep the port bound
            relay.close();
            throw e;
        }
        relay.exec.scheduleWithFixedDelay(relay::tick, 1000, 1000, TimeUnit.MILLISECONDS);
        relay.exec.scheduleWithFixedDelay(() -> relay.guarded(relay::sendLayerDemand), DEMAND_CHECK_MILLIS,
                DEMAND_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.INFO, "relay listening on UDP " + address.getHostAddress() + ":" + socket.port());
        return relay;
    }

    public int port() {
        return socket.port();
    }

    // ---------------------------------------------------------------- events

    /** Under the room's monitor: only queue the work. */
    @Override
    public void onRoomChanged(Room room) {
        String id = room.id;
        submit(() -> reconcileRoom(id, false));
    }

    private void submit(Runnable r) {
        try {
            exec.execute(() -> guarded(r));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            stats.signallingError();
            LOG.log(System.Logger.Level.WARNING, "relay: " + e.getMessage(), e);
        }
    }

    void onMessage(String from, Map<String, Object> msg) {
        if (from == null || from.equals(self) || msg == null) {
            return;
        }
        try {
            Object type = msg.get("type");
            long now = System.currentTimeMillis();
            switch (String.valueOf(type)) {
                case RelayMessages.OFFER -> onOffer(from, msg, now);
                case RelayMessages.ANSWER -> {
                    RelayLeg leg = legs.get(from);
                    if (leg != null && leg.offerer && leg.legId.equals(msg.get("leg"))) {
                        Map<String, Object> ready = leg.onAnswer(msg, now);
                        if (ready != null) {
                            bus.send(from, ready);
                            legsChanged();
                        }
                    }
                }
                case RelayMessages.READY -> {
                    RelayLeg leg = legs.get(from);
                    if (leg != null && !leg.offerer && leg.legId.equals(msg.get("leg"))) {
                        leg.onReady(now);
                        legsChanged();
                    }
                }
                case RelayMessages.CLOSE -> {
                    RelayLeg leg = legs.get(from);
                    if (leg != null && leg.legId.equals(msg.get("leg"))) {
                        dropLeg(leg, false);
                    }
                }
                case RelayMessages.SUBSCRIBE -> onSubscribe(from, RelayMessages.str(msg, "room"),
                        Boolean.TRUE.equals(msg.get("reply")));
                case RelayMessages.UNSUBSCRIBE -> onUnsubscribe(from, RelayMessages.str(msg, "room"));
                case RelayMessages.TRACKS -> onTracks(from, RelayMessages.str(msg, "room"), msg);
                case RelayMessages.LAYERS -> onLayers(from, RelayMessages.str(msg, "room"), msg);
                default -> {
                    // not ours
                }
            }
        } catch (RuntimeException e) {
            stats.signallingError();
            LOG.log(System.Logger.Level.WARNING, "relay: bad message from " + from + ": " + e.getMessage());
        }
    }

    private void onOffer(String from, Map<String, Object> msg, long now) {
        String legId = RelayMessages.str(msg, "leg");
        RelayLeg existing = legs.get(from);
        if (existing != null && existing.legId.equals(legId) && !existing.offerer) {
            bus.send(from, existing.answerMessage()); // our answer was lost
            return;
        }
        if (existing != null && existing.offerer && existing.isOffering()
                && self.compareTo(from) < 0) {
            return; // glare: the smaller node id's offer wins; the peer will answer ours
        }
        RelayLeg leg = RelayLeg.answer(from, msg, config.keys(), socket, now);
        if (existing != null) {
            moveStreams(existing, leg);
            retire(existing);
        }
        legs.put(from, leg);
        stats.legOpened();
        legsChanged();
        bus.send(from, leg.answerMessage());
    }

    private void onSubscribe(String from, String roomId, boolean reply) {
        Room room = rooms.apply(roomId);
        LOG.log(System.Logger.Level.INFO, () -> "relay: " + from + " subscribes to room " + roomId + " (local members: "
                + (room == null ? 0 : room.members().length) + ")");
        knownRooms.add(roomId);
        if (room == null || room.members().length == 0) {
            bus.send(from, RelayMessages.tracks(roomId, List.of())); // nothing here; still an ack
            return;
        }
        served.computeIfAbsent(roomId, k -> new HashSet<>()).add(from);
        sentTracks.remove(key(roomId, from));
        ensureLeg(from);
        Map<String, InSub> w = wanted.get(roomId);
        InSub mine = w == null ? null : w.get(from);
        if (mine == null) {
            subscribe(roomId, room, from, true); // they have members too: we want their tracks
        } else if (!reply) {
            // Our earlier subscribe may have reached them while they had no member yet (answered
            // with no tracks and not remembered): subscribe again, as a reply so it ends there.
            mine.acked = false;
            mine.attempts = 1;
            mine.lastSent = System.currentTimeMillis();
            bus.send(from, subscribeMessage(roomId, true));
        }
        publishTracks(roomId);
        updateOutgoing();
    }

    private void onUnsubscribe(String from, String roomId) {
        LOG.log(System.Logger.Level.INFO, () -> "relay: " + from + " unsubscribes from room " + roomId);
        Set<String> s = served.get(roomId);
        if (s != null) {
            s.remove(from);
            if (s.isEmpty()) {
                served.remove(roomId);
            }
        }
        sentTracks.remove(key(roomId, from));
        layersWanted.remove(key(roomId, from));
        Map<String, InSub> w = wanted.get(roomId);
        if (w != null) {
            InSub sub = w.remove(from);
            if (sub != null) {
                dropStreams(sub, from);
            }
            if (w.isEmpty()) {
                wanted.remove(roomId);
            }
        }
        updateOutgoing();
        closeIdleLegs();
    }

    private void onTracks(String from, String roomId, Map<String, Object> msg) {
        Map<String, InSub> w = wanted.get(roomId);
        InSub sub = w == null ? null : w.get(from);
        if (sub == null) {
            LOG.log(System.Logger.Level.INFO, () -> "relay: tracks of room " + roomId + " from " + from
                    + " ignored: not subscribed");
            return; // we unsubscribed meanwhile
        }
        List<RelayMessages.RemoteTrack> announced = RelayMessages.parseTracks(roomId, msg);
        sub.acked = true;
        RelayLeg leg = ensureLeg(from);
        Map<String, RelayMessages.RemoteTrack> byKey = new LinkedHashMap<>();
        for (RelayMessages.RemoteTrack t : announced) {
            byKey.put(trackKey(t), t);
        }
        List<PublishedTrack> removed = new ArrayList<>();
        sub.streams.entrySet().removeIf(e -> {
            if (!byKey.containsKey(e.getKey())) {
                removed.add(e.getValue()[0].track());
                return true;
            }
            return false;
        });
        List<PublishedTrack> added = new ArrayList<>();
        for (Map.Entry<String, RelayMessages.RemoteTrack> e : byKey.entrySet()) {
            if (sub.streams.containsKey(e.getKey())) {
                continue;
            }
            RelayMessages.RemoteTrack t = e.getValue();
            int[] ssrcs = t.streamSsrcs();
            RemoteStream[] rs = new RemoteStream[ssrcs.length];
            for (int k = 0; k < ssrcs.length; k++) {
                rs[k] = new RemoteStream(roomId, sub.room, leg, ssrcs[k], k);
            }
            PublishedTrack pt = new PublishedTrack(t.publisher(), t.info(), ssrcs, cachePackets, rs[0]);
            for (RemoteStream r : rs) {
                r.bind(pt);
            }
            sub.streams.put(e.getKey(), rs);
            added.add(pt);
        }
        rebuildIncoming(from);
        // a publisher still announced with other tracks stopped these on purpose (a screen share
        // ended): they end now; a publisher announced no more may be reconnecting: orphans
        Set<String> stillPublishing = new HashSet<>();
        for (RelayMessages.RemoteTrack t : announced) {
            stillPublishing.add(t.publisher().sessionId());
        }
        List<PublishedTrack> ended = removed.stream().filter(t -> stillPublishing.contains(t.publisher.sessionId())).toList();
        removed.removeAll(ended);
        if (!ended.isEmpty()) {
            sub.room.removeRelayedTracks(ended, true);
        }
        if (!removed.isEmpty()) {
            sub.room.removeRelayedTracks(removed);
        }
        if (!added.isEmpty()) {
            sub.room.addRelayedTracks(added);
            LOG.log(System.Logger.Level.INFO, () -> "relay: " + added.size() + " track(s) of room " + roomId
                    + " from " + from);
        }
    }

    /** relay-layers from a node we serve: from now on its leg carries only those layers of each track. */
    private void onLayers(String from, String roomId, Map<String, Object> msg) {
        Set<String> peers = served.get(roomId);
        if (peers == null || !peers.contains(from)) {
            return;
        }
        Map<Integer, Integer> demand = RelayMessages.parseLayers(msg);
        if (!demand.equals(layersWanted.put(key(roomId, from), demand))) {
            LOG.log(System.Logger.Level.DEBUG, () -> "relay: " + from + " wants layers " + demand + " of room " + roomId);
            updateOutgoing();
        }
    }

    /**
     * Every {@value #DEMAND_CHECK_MILLIS} ms: per room and node we receive from, the layers this
     * node's consumers may need of each relayed simulcast track ({@link Room#layerDemand}), sent
     * as relay-layers when it changed, and every {@value #RECONCILE_MILLIS} ms as a backstop.
     */
    private void sendLayerDemand() {
        long now = System.currentTimeMillis();
        for (Map.Entry<String, Map<String, InSub>> e : wanted.entrySet()) {
            for (Map.Entry<String, InSub> w : e.getValue().entrySet()) {
                InSub sub = w.getValue();
                Map<Integer, Integer> demand = new LinkedHashMap<>();
                for (RemoteStream[] rs : sub.streams.values()) {
                    PublishedTrack t = rs[0].track();
                    if (rs.length > 1 && t != null) {
                        int layers = sub.room.layerDemand(t);
                        demand.put(t.ssrc, layers);
                        for (RemoteStream r : rs) {
                            r.setWanted((layers & (1 << r.layer)) != 0);
                        }
                    }
                }
                String signature = demand.toString();
                if (!demand.isEmpty() && (!signature.equals(sub.layersSent) || now - sub.layersSentAt >= RECONCILE_MILLIS)) {
                    sub.layersSent = signature;
                    sub.layersSentAt = now;
                    bus.send(w.getKey(), RelayMessages.layers(e.getKey(), demand));
                }
            }
        }
    }

    private void onNodeGone(String node) {
        guarded(() -> {
            for (Map.Entry<String, Map<String, InSub>> e : new ArrayList<>(wanted.entrySet())) {
                InSub sub = e.getValue().remove(node);
                if (sub != null) {
                    dropStreams(sub, node);
                }
                if (e.getValue().isEmpty()) {
                    wanted.remove(e.getKey());
                }
            }
            served.values().forEach(s -> s.remove(node));
            served.values().removeIf(Set::isEmpty);
            sentTracks.keySet().removeIf(k -> k.endsWith("\n" + node));
            layersWanted.keySet().removeIf(k -> k.endsWith("\n" + node));
            RelayLeg leg = legs.get(node);
            if (leg != null) {
                dropLeg(leg, false);
            }
            updateOutgoing();
        });
    }

    // ---------------------------------------------------------------- rooms

    /** Subscribes to/unsubscribes from peers for one room after a local change, or as the backstop. */
    private void reconcileRoom(String roomId, boolean full) {
        Room room = rooms.apply(roomId);
        boolean local = room != null && room.members().length > 0;
        Map<String, InSub> w = wanted.get(roomId);
        if (local) {
            knownRooms.add(roomId);
            Set<String> nodes = new HashSet<>(bus.nodesInRoom(roomId));
            nodes.remove(self);
            for (String peer : nodes) {
                InSub sub = w == null ? null : w.get(peer);
                if (sub == null || sub.room != room) {
                    if (sub != null) {
                        dropStreams(sub, peer);
                    }
                    subscribe(roomId, room, peer, false);
                    w = wanted.get(roomId);
                }
            }
            if (full) {
                // peers that left the room without telling us
                if (w != null) {
                    for (String peer : new ArrayList<>(w.keySet())) {
                        if (!nodes.contains(peer)) {
                            dropStreams(w.remove(peer), peer);
                        }
                    }
                    if (w.isEmpty()) {
                        wanted.remove(roomId);
                    }
                }
                Set<String> s = served.get(roomId);
                if (s != null && s.retainAll(nodes) && s.isEmpty()) {
                    served.remove(roomId);
                }
            }
        } else {
            knownRooms.remove(roomId);
            if (w != null) {
                for (Map.Entry<String, InSub> e : w.entrySet()) {
                    bus.send(e.getKey(), RelayMessages.simple(RelayMessages.UNSUBSCRIBE, "room", roomId));
                    dropStreams(e.getValue(), e.getKey());
                }
                wanted.remove(roomId);
            }
            Set<String> s = served.remove(roomId);
            if (s != null) {
                s.forEach(p -> {
                    sentTracks.remove(key(roomId, p));
                    layersWanted.remove(key(roomId, p));
                });
            }
        }
        publishTracks(roomId);
        updateOutgoing();
        closeIdleLegs();
    }

    private void subscribe(String roomId, Room room, String peer, boolean reply) {
        LOG.log(System.Logger.Level.INFO, () -> "relay: subscribing to " + peer + " for room " + roomId);
        InSub sub = new InSub(room);
        sub.attempts = 1;
        sub.lastSent = System.currentTimeMillis();
        wanted.computeIfAbsent(roomId, k -> new HashMap<>()).put(peer, sub);
        ensureLeg(peer);
        bus.send(peer, subscribeMessage(roomId, reply));
    }

    /**
     * relay-subscribe {room, reply}: a node receiving one without reply while it already
     * subscribes to the sender subscribes again with reply=true (never answered in turn).
     */
    private static Map<String, Object> subscribeMessage(String roomId, boolean reply) {
        Map<String, Object> m = RelayMessages.simple(RelayMessages.SUBSCRIBE, "room", roomId);
        m.put("reply", reply);
        return m;
    }

    /** Sends relay-tracks to every node served in this room whose view is out of date. */
    private void publishTracks(String roomId) {
        Set<String> peers = served.get(roomId);
        if (peers == null || peers.isEmpty()) {
            return;
        }
        Room room = rooms.apply(roomId);
        List<RelayMessages.RemoteTrack> list = new ArrayList<>();
        if (room != null) {
            for (PublishedTrack t : room.localTracks()) {
                int[] ssrcs = new int[t.info.rids().isEmpty() ? 0 : t.streamCount()];
                for (int k = 0; k < ssrcs.length; k++) {
                    ssrcs[k] = t.relaySsrc(k);
                }
                list.add(new RelayMessages.RemoteTrack(t.publisher, t.info, false, ssrcs));
            }
        }
        Map<String, Object> msg = RelayMessages.tracks(roomId, list);
        String signature = String.valueOf(msg.get("tracks"));
        for (String peer : peers) {
            if (!signature.equals(sentTracks.get(key(roomId, peer)))) {
                sentTracks.put(key(roomId, peer), signature);
                bus.send(peer, msg);
                LOG.log(System.Logger.Level.INFO, () -> "relay: " + list.size() + " track(s) of room " + roomId
                        + " announced to " + peer);
            }
        }
    }

    /** Recomputes which legs every local track goes to (after any change of rooms, peers or legs). */
    private void updateOutgoing() {
        Map<PublishedTrack, List<RelayLeg>> desired = new IdentityHashMap<>();
        Map<PublishedTrack, List<Integer>> desiredLayers = new IdentityHashMap<>();
        for (Map.Entry<String, Set<String>> e : served.entrySet()) {
            Room room = rooms.apply(e.getKey());
            if (room == null) {
                continue;
            }
            for (PublishedTrack t : room.localTracks()) {
                for (String peer : e.getValue()) {
                    RelayLeg leg = legs.get(peer);
                    if (leg != null) {
                        desired.computeIfAbsent(t, k -> new ArrayList<>()).add(leg);
                        desiredLayers.computeIfAbsent(t, k -> new ArrayList<>()).add(layersWanted
                                .getOrDefault(key(e.getKey(), peer), Map.of()).getOrDefault(t.ssrc, ALL_LAYERS));
                    }
                }
            }
        }
        for (Map.Entry<PublishedTrack, TrackRelay> e : new ArrayList<>(relays.entrySet())) {
            if (!desired.containsKey(e.getKey())) {
                e.getValue().stop();
                if (e.getKey().downstream == e.getValue()) {
                    e.getKey().downstream = null;
                }
                relays.remove(e.getKey());
            }
        }
        Map<RelayLeg, List<TrackRelay>> perLeg = new IdentityHashMap<>();
        for (Map.Entry<PublishedTrack, List<RelayLeg>> e : desired.entrySet()) {
            TrackRelay tr = relays.computeIfAbsent(e.getKey(), TrackRelay::new);
            RelayLeg[] ls = e.getValue().toArray(new RelayLeg[0]);
            tr.route(ls, desiredLayers.get(e.getKey()).stream().mapToInt(Integer::intValue).toArray());
            e.getKey().downstream = tr;
            for (RelayLeg l : ls) {
                perLeg.computeIfAbsent(l, k -> new ArrayList<>()).add(tr);
            }
        }
        for (RelayLeg l : legs.values()) {
            List<TrackRelay> out = perLeg.getOrDefault(l, List.of());
            l.setOutgoing(out.toArray(new TrackRelay[0]));
        }
    }

    private void rebuildIncoming(String peer) {
        RelayLeg leg = legs.get(peer);
        if (leg == null) {
            return;
        }
        List<RemoteStream> in = new ArrayList<>();
        for (Map<String, InSub> w : wanted.values()) {
            InSub sub = w.get(peer);
            if (sub != null) {
                for (RemoteStream[] rs : sub.streams.values()) {
                    in.addAll(List.of(rs));
                }
            }
        }
        leg.setIncoming(in.toArray(new RemoteStream[0]));
    }

    private void dropStreams(InSub sub, String peer) {
        if (sub == null) {
            return;
        }
        List<PublishedTrack> ts = new ArrayList<>();
        for (RemoteStream[] rs : sub.streams.values()) {
            ts.add(rs[0].track());
        }
        sub.streams.clear();
        rebuildIncoming(peer);
        if (!ts.isEmpty()) {
            sub.room.removeRelayedTracks(ts);
        }
    }

    // ---------------------------------------------------------------- legs

    private RelayLeg ensureLeg(String peer) {
        RelayLeg leg = legs.get(peer);
        if (leg != null && leg.isUsable()) {
            return leg;
        }
        long now = System.currentTimeMillis();
        RelayLeg fresh = RelayLeg.offer(peer, config.srtpProfile(), config.keys(), socket, now);
        if (leg != null) {
            moveStreams(leg, fresh);
            retire(leg);
        }
        legs.put(peer, fresh);
        stats.legOpened();
        legsChanged();
        Map<String, Object> offer = fresh.tick(now);
        if (offer != null) {
            bus.send(peer, offer);
        }
        return fresh;
    }

    /** Streams follow a leg that is replaced (re-offer after failure, or the peer re-offered). */
    private void moveStreams(RelayLeg from, RelayLeg to) {
        to.takeIncoming(from);
        for (TrackRelay tr : relays.values()) {
            tr.replaceLeg(from, to);
        }
        to.takeOutgoing(from);
    }

    private boolean needed(String peer) {
        for (Map<String, InSub> w : wanted.values()) {
            if (w.containsKey(peer)) {
                return true;
            }
        }
        for (Set<String> s : served.values()) {
            if (s.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    private void closeIdleLegs() {
        for (RelayLeg leg : new ArrayList<>(legs.values())) {
            if (!needed(leg.peer)) {
                dropLeg(leg, true);
            }
        }
    }

    private void dropLeg(RelayLeg leg, boolean tell) {
        if (legs.get(leg.peer) == leg) {
            legs.remove(leg.peer);
        }
        if (tell) {
            bus.send(leg.peer, leg.closeMessage());
        }
        LOG.log(System.Logger.Level.INFO, () -> "relay: leg to " + leg.peer + " closed (" + leg.packetsSent.get()
                + " packets sent, " + leg.packetsReceived.get() + " received)");
        retire(leg);
        legsChanged();
        updateOutgoing();
    }

    private void retire(RelayLeg leg) {
        stats.retired(leg);
        leg.close(System.currentTimeMillis());
    }

    private void legsChanged() {
        RelayLeg[] snapshot = legs.values().toArray(new RelayLeg[0]);
        legSnapshot = snapshot;
        socket.setLegs(snapshot);
    }

    // ---------------------------------------------------------------- timer

    private void tick() {
        guarded(() -> {
            long now = System.currentTimeMillis();
            for (RelayLeg leg : new ArrayList<>(legs.values())) {
                Map<String, Object> again = leg.tick(now);
                if (again != null) {
                    bus.send(leg.peer, again);
                }
                if (leg.failedLongerThan(FAILED_RETRY_MILLIS, now)) {
                    stats.legFailed();
                    LOG.log(System.Logger.Level.WARNING, "relay: leg to " + leg.peer + " failed; offering again");
                    if (needed(leg.peer)) {
                        ensureLeg(leg.peer);
                    } else {
                        dropLeg(leg, true);
                    }
                }
                if (leg.isReady()) {
                    leg.sendReport(reportBuffer, loss, now);
                }
                leg.rollBitrates(System.nanoTime());
            }
            for (Map.Entry<String, Map<String, InSub>> e : wanted.entrySet()) {
                for (Map.Entry<String, InSub> s : e.getValue().entrySet()) {
                    InSub sub = s.getValue();
                    if (!sub.acked && sub.attempts < SUBSCRIBE_ATTEMPTS && now - sub.lastSent >= 1000) {
                        sub.attempts++;
                        sub.lastSent = now;
                        bus.send(s.getKey(), subscribeMessage(e.getKey(), false));
                    }
                }
            }
            if (now - lastReconcile >= RECONCILE_MILLIS) {
                lastReconcile = now;
                Set<String> ids = new HashSet<>(knownRooms);
                ids.addAll(wanted.keySet());
                ids.addAll(served.keySet());
                for (String id : ids) {
                    reconcileRoom(id, true);
                }
            }
        });
    }

    // ---------------------------------------------------------------- metrics

    /** Tests: the relayed tracks of a local room. */
    public PublishedTrack[] relayedTracksForTest(String roomId) {
        Room r = rooms.apply(roomId);
        return r == null ? new PublishedTrack[0] : r.relayedTracks();
    }

    /** Relayed streams this node sends: (local track, peer node) pairs. */
    public int streamsOut() {
        return RelayStats.streamsOut(legSnapshot);
    }

    /** Relayed tracks this node receives (a simulcast track's layers count once, as streamsOut's do). */
    public int streamsIn() {
        return RelayStats.streamsIn(legSnapshot);
    }

    /**
     * Counters for /metrics. Per leg, the peer node is a label inside the name
     * ({@code visage_relay_packets_sent_total{peer="node-b"}}), which the /metrics servlet merges
     * with the node's own labels.
     */
    public Map<String, Number> metrics() {
        return stats.metrics(legSnapshot);
    }

    /** One entry per leg: the peer, its state, what crossed it each way, RTT and loss both ways. */
    public List<Map<String, Object>> legStats() {
        return RelayStats.legStats(legSnapshot);
    }

    private static String key(String roomId, String peer) {
        return roomId + "\n" + peer;
    }

    /** What identifies an announced track: a change of any of it makes a new relayed track. */
    private static String trackKey(RelayMessages.RemoteTrack t) {
        TrackInfo i = t.info();
        return Integer.toUnsignedString(i.ssrc()) + "/" + Integer.toUnsignedString(i.rtxSsrc()) + "/" + i.codec()
                + "/" + i.trackId() + "/" + t.publisher().sessionId() + "/" + Objects.toString(i.fmtp(), "")
                + "/" + i.rids() + "/" + java.util.Arrays.toString(t.streamSsrcs());
    }

    @Override
    public void close() {
        try {
            exec.submit(() -> {
                for (RelayLeg leg : new ArrayList<>(legs.values())) {
                    try {
                        bus.send(leg.peer, leg.closeMessage());
                    } catch (RuntimeException ignored) {
                        // cluster may be going down too
                    }
                    leg.close(System.currentTimeMillis());
                }
                legs.clear();
                legsChanged();
            }).get(2, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort
        }
        exec.shutdownNow();
        socket.close();
    }
}
