package dev.visage.sfu.relay;

import dev.visage.api.relay.RelayBus;
import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.Room;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What this node relays to peer nodes: which peers subscribed to which local room, the tracks
 * announced to each (relay-tracks), the layers each wants of them (relay-layers), and per local
 * track its {@link TrackRelay}: the legs its packets go out on.
 *
 * <p>Threads: the relay thread only; the publishers' receive threads read the arrays set on the
 * {@link TrackRelay}s and legs here.
 */
final class OutboundRelay {
    private static final System.Logger LOG = System.getLogger(OutboundRelay.class.getName());
    /** Every layer of a track (no relay-layers for it yet). */
    private static final int ALL_LAYERS = -1;

    private final RelayBus bus;
    private final RelayLegs legs;
    private final Function<String, Room> rooms;
    /** Room id: the peers subscribed to it. */
    private final Map<String, Set<String>> served = new HashMap<>();
    /** Per (room, peer) served: the last relay-tracks sent (its tracks, as a string). */
    private final Map<String, String> sentTracks = new HashMap<>();
    /** Per (room, peer) served: the layers its consumers want of each simulcast track (by SSRC). */
    private final Map<String, Map<Integer, Integer>> layersWanted = new HashMap<>();
    private final Map<PublishedTrack, TrackRelay> relays = new IdentityHashMap<>();

    OutboundRelay(RelayBus bus, RelayLegs legs, Function<String, Room> rooms) {
        this.bus = bus;
        this.legs = legs;
        this.rooms = rooms;
    }

    /** Rooms some peer subscribed to. */
    Set<String> rooms() {
        return served.keySet();
    }

    /** Whether this peer subscribed to some room of ours. */
    boolean serves(String peer) {
        for (Set<String> s : served.values()) {
            if (s.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- subscribers

    /** The peer subscribed to the room: it gets the room's tracks announced afresh. */
    void serve(String roomId, String peer) {
        served.computeIfAbsent(roomId, k -> new HashSet<>()).add(peer);
        sentTracks.remove(key(roomId, peer));
    }

    /** The peer unsubscribed from the room. */
    void stopServing(String roomId, String peer) {
        Set<String> s = served.get(roomId);
        if (s != null) {
            s.remove(peer);
            if (s.isEmpty()) {
                served.remove(roomId);
            }
        }
        sentTracks.remove(key(roomId, peer));
        layersWanted.remove(key(roomId, peer));
    }

    /** Forgets the subscribers of the room no longer in it (they left without a word). */
    void keepOnly(String roomId, Set<String> peers) {
        Set<String> s = served.get(roomId);
        if (s != null && s.retainAll(peers) && s.isEmpty()) {
            served.remove(roomId);
        }
    }

    /** The room's last local member left: nothing of it is served any more. */
    void leave(String roomId) {
        Set<String> s = served.remove(roomId);
        if (s != null) {
            s.forEach(p -> {
                sentTracks.remove(key(roomId, p));
                layersWanted.remove(key(roomId, p));
            });
        }
    }

    /** The peer node is gone: it is served nowhere. */
    void peerGone(String peer) {
        served.values().forEach(s -> s.remove(peer));
        served.values().removeIf(Set::isEmpty);
        sentTracks.keySet().removeIf(k -> k.endsWith("\n" + peer));
        layersWanted.keySet().removeIf(k -> k.endsWith("\n" + peer));
    }

    /** relay-layers from a node we serve: from now on its leg carries only those layers of each track. */
    void onLayers(String from, String roomId, Map<String, Object> msg) {
        Set<String> peers = served.get(roomId);
        if (peers == null || !peers.contains(from)) {
            return;
        }
        Map<Integer, Integer> demand = RelayMessages.parseLayers(msg);
        if (!demand.equals(layersWanted.put(key(roomId, from), demand))) {
            LOG.log(System.Logger.Level.DEBUG, () -> "relay: " + from + " wants layers " + demand + " of room " + roomId);
            update();
        }
    }

    /** Sends relay-tracks to every node served in this room whose view is out of date. */
    void publishTracks(String roomId) {
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

    // ---------------------------------------------------------------- routing

    /** Recomputes which legs every local track goes to (after any change of rooms, peers or legs). */
    void update() {
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
        for (RelayLeg l : legs.all()) {
            List<TrackRelay> out = perLeg.getOrDefault(l, List.of());
            l.setOutgoing(out.toArray(new TrackRelay[0]));
        }
    }

    /** The local tracks sent over {@code old} go over {@code fresh} instead (a leg was replaced). */
    void legReplaced(RelayLeg old, RelayLeg fresh) {
        for (TrackRelay tr : relays.values()) {
            tr.replaceLeg(old, fresh);
        }
    }

    private static String key(String roomId, String peer) {
        return roomId + "\n" + peer;
    }
}
