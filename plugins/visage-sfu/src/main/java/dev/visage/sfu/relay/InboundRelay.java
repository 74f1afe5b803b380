package dev.visage.sfu.relay;

import dev.visage.api.relay.RelayBus;
import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.Room;
import dev.visage.sfu.sdp.TrackInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What peer nodes relay to this one: our subscription to each (room, peer) pair, the tracks the
 * peer announced for it (relay-tracks) turned into relayed {@link PublishedTrack}s of the local
 * {@link Room}, their {@link RemoteStream}s on the peer's leg, and the layers this node's
 * consumers need of them (relay-layers, sent back to the peer).
 *
 * <p>Threads: the relay thread only; a leg's media thread reads the stream arrays set here.
 */
final class InboundRelay {
    private static final System.Logger LOG = System.getLogger(InboundRelay.class.getName());
    private static final int SUBSCRIBE_ATTEMPTS = 10;

    private final RelayBus bus;
    private final RelayLegs legs;
    private final int cachePackets;
    /** Room id, then peer node: our subscription there. */
    private final Map<String, Map<String, RoomFromPeer>> subscriptions = new HashMap<>();

    /** A subscription of ours: the peer's tracks of one room, relayed here. */
    private static final class RoomFromPeer {
        final Room room;
        boolean acked;
        int attempts = 1;
        long lastSent = System.currentTimeMillis();
        /** Per relayed track: its streams (one per simulcast layer, or one). */
        final Map<String, RemoteStream[]> streams = new LinkedHashMap<>();
        /** The last relay-layers sent (its tracks, as a string) and when. */
        String layersSent;
        long layersSentAt;

        RoomFromPeer(Room room) {
            this.room = room;
        }
    }

    InboundRelay(RelayBus bus, RelayLegs legs, int cachePackets) {
        this.bus = bus;
        this.legs = legs;
        this.cachePackets = cachePackets;
    }

    /** Rooms where we subscribe to some peer. */
    Set<String> rooms() {
        return subscriptions.keySet();
    }

    /** Whether we subscribe to this peer in some room. */
    boolean subscribesTo(String peer) {
        for (Map<String, RoomFromPeer> s : subscriptions.values()) {
            if (s.containsKey(peer)) {
                return true;
            }
        }
        return false;
    }

    private RoomFromPeer find(String roomId, String peer) {
        Map<String, RoomFromPeer> s = subscriptions.get(roomId);
        return s == null ? null : s.get(peer);
    }

    // ---------------------------------------------------------------- subscribing

    /** Subscribes to the peer's tracks of the room (relay-subscribe). */
    void subscribe(String roomId, Room room, String peer, boolean reply) {
        LOG.log(System.Logger.Level.INFO, () -> "relay: subscribing to " + peer + " for room " + roomId);
        subscriptions.computeIfAbsent(roomId, k -> new HashMap<>()).put(peer, new RoomFromPeer(room));
        legs.ensure(peer);
        bus.send(peer, subscribeMessage(roomId, reply));
    }

    /**
     * The peer subscribed to us in a room where we have members. If we do not subscribe to it
     * there yet, we do now (as a reply); if we do and its subscribe was not itself a reply, ours
     * may have reached it while it had no member yet (answered with no tracks and not
     * remembered): we subscribe again, as a reply so it ends there.
     */
    void subscribeBack(String roomId, Room room, String peer, boolean reply) {
        RoomFromPeer mine = find(roomId, peer);
        if (mine == null) {
            subscribe(roomId, room, peer, true);
        } else if (!reply) {
            mine.acked = false;
            mine.attempts = 1;
            mine.lastSent = System.currentTimeMillis();
            bus.send(peer, subscribeMessage(roomId, true));
        }
    }

    /** Subscribes to every peer of the room we do not subscribe to yet (or did for an older room). */
    void subscribeToAll(String roomId, Room room, Collection<String> peers) {
        for (String peer : peers) {
            RoomFromPeer sub = find(roomId, peer);
            if (sub == null || sub.room != room) {
                if (sub != null) {
                    dropStreams(sub, peer);
                }
                subscribe(roomId, room, peer, false);
            }
        }
    }

    /** Forgets the subscriptions of the room to peers no longer in it (they left without a word). */
    void keepOnly(String roomId, Set<String> peers) {
        Map<String, RoomFromPeer> s = subscriptions.get(roomId);
        if (s == null) {
            return;
        }
        for (String peer : new ArrayList<>(s.keySet())) {
            if (!peers.contains(peer)) {
                dropStreams(s.remove(peer), peer);
            }
        }
        if (s.isEmpty()) {
            subscriptions.remove(roomId);
        }
    }

    /** The room's last local member left: unsubscribes from every peer, its relayed tracks end. */
    void leave(String roomId) {
        Map<String, RoomFromPeer> s = subscriptions.remove(roomId);
        if (s != null) {
            for (Map.Entry<String, RoomFromPeer> e : s.entrySet()) {
                bus.send(e.getKey(), RelayMessages.simple(RelayMessages.UNSUBSCRIBE, "room", roomId));
                dropStreams(e.getValue(), e.getKey());
            }
        }
    }

    /** The peer unsubscribed from our room: it will not serve us there either. */
    void forget(String roomId, String peer) {
        Map<String, RoomFromPeer> s = subscriptions.get(roomId);
        if (s != null) {
            RoomFromPeer sub = s.remove(peer);
            if (sub != null) {
                dropStreams(sub, peer);
            }
            if (s.isEmpty()) {
                subscriptions.remove(roomId);
            }
        }
    }

    /** The peer node is gone: every subscription to it ends with its relayed tracks. */
    void peerGone(String peer) {
        for (String roomId : new ArrayList<>(subscriptions.keySet())) {
            forget(roomId, peer);
        }
    }

    /** Timer: resends the subscribes not acknowledged yet, once a second, a few times. */
    void resendSubscribes(long now) {
        for (Map.Entry<String, Map<String, RoomFromPeer>> e : subscriptions.entrySet()) {
            for (Map.Entry<String, RoomFromPeer> s : e.getValue().entrySet()) {
                RoomFromPeer sub = s.getValue();
                if (!sub.acked && sub.attempts < SUBSCRIBE_ATTEMPTS && now - sub.lastSent >= 1000) {
                    sub.attempts++;
                    sub.lastSent = now;
                    bus.send(s.getKey(), subscribeMessage(e.getKey(), false));
                }
            }
        }
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

    // ---------------------------------------------------------------- tracks

    /** relay-tracks: the peer's tracks of the room now; relayed tracks come and go to match. */
    void onTracks(String from, String roomId, Map<String, Object> msg) {
        RoomFromPeer sub = find(roomId, from);
        if (sub == null) {
            LOG.log(System.Logger.Level.INFO, () -> "relay: tracks of room " + roomId + " from " + from
                    + " ignored: not subscribed");
            return; // we unsubscribed meanwhile
        }
        List<RelayMessages.RemoteTrack> announced = RelayMessages.parseTracks(roomId, msg);
        sub.acked = true;
        RelayLeg leg = legs.ensure(from);
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

    /** What identifies an announced track: a change of any of it makes a new relayed track. */
    private static String trackKey(RelayMessages.RemoteTrack t) {
        TrackInfo i = t.info();
        return Integer.toUnsignedString(i.ssrc()) + "/" + Integer.toUnsignedString(i.rtxSsrc()) + "/" + i.codec()
                + "/" + i.trackId() + "/" + t.publisher().sessionId() + "/" + Objects.toString(i.fmtp(), "")
                + "/" + i.rids() + "/" + Arrays.toString(t.streamSsrcs());
    }

    /** The peer's leg receives the streams of every room we subscribe to it in. */
    private void rebuildIncoming(String peer) {
        RelayLeg leg = legs.get(peer);
        if (leg == null) {
            return;
        }
        List<RemoteStream> in = new ArrayList<>();
        for (Map<String, RoomFromPeer> s : subscriptions.values()) {
            RoomFromPeer sub = s.get(peer);
            if (sub != null) {
                for (RemoteStream[] rs : sub.streams.values()) {
                    in.addAll(List.of(rs));
                }
            }
        }
        leg.setIncoming(in.toArray(new RemoteStream[0]));
    }

    private void dropStreams(RoomFromPeer sub, String peer) {
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

    // ---------------------------------------------------------------- layers

    /**
     * Per room and node we receive from, the layers this node's consumers may need of each
     * relayed simulcast track ({@link Room#layerDemand}), sent as relay-layers when it changed,
     * and every {@code resendMillis} as a backstop.
     */
    void sendLayerDemand(long now, long resendMillis) {
        for (Map.Entry<String, Map<String, RoomFromPeer>> e : subscriptions.entrySet()) {
            for (Map.Entry<String, RoomFromPeer> s : e.getValue().entrySet()) {
                RoomFromPeer sub = s.getValue();
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
                if (!demand.isEmpty() && (!signature.equals(sub.layersSent) || now - sub.layersSentAt >= resendMillis)) {
                    sub.layersSent = signature;
                    sub.layersSentAt = now;
                    bus.send(s.getKey(), RelayMessages.layers(e.getKey(), demand));
                }
            }
        }
    }
}
