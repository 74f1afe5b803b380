package dev.visage.sfu.relay;

import dev.visage.api.relay.RelayBus;
import dev.visage.sfu.room.Room;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The relay's messages on the cluster bus and the per-room interest behind them: dispatches
 * what peers send (leg handshake to {@link RelayLegs}, subscribe / unsubscribe / tracks / layers
 * to {@link InboundRelay} and {@link OutboundRelay}), reconciles a room's subscriptions with the
 * nodes holding its members after a local change and every {@value #RECONCILE_MILLIS} ms as a
 * backstop, and forgets a node that is gone.
 *
 * <p>Threads: the relay thread only (see {@link Relay}).
 */
final class RelaySignalling implements RelayLegs.Owner {
    private static final System.Logger LOG = System.getLogger(RelaySignalling.class.getName());
    private static final long RECONCILE_MILLIS = 5000;

    private final RelayBus bus;
    private final String self;
    private final Function<String, Room> rooms;
    private final RelayStats stats;
    private final RelayLegs legs;
    private final InboundRelay inbound;
    private final OutboundRelay outbound;
    /** Rooms with local members, or that a peer asked about: reconciled by the timer. */
    private final Set<String> knownRooms = new HashSet<>();
    private long lastReconcile;

    RelaySignalling(RelayBus bus, RelayConfig config, int cachePackets, Function<String, Room> rooms,
                    RelaySocket socket, RelayStats stats) {
        this.bus = bus;
        this.self = bus.localNodeId();
        this.rooms = rooms;
        this.stats = stats;
        this.legs = new RelayLegs(bus, config, socket, stats, this);
        this.inbound = new InboundRelay(bus, legs, cachePackets);
        this.outbound = new OutboundRelay(bus, legs, rooms);
    }

    /** The legs now (any thread). */
    RelayLeg[] legs() {
        return legs.snapshot();
    }

    // ---------------------------------------------------------------- bus messages

    void onMessage(String from, Map<String, Object> msg) {
        if (from == null || from.equals(self) || msg == null) {
            return;
        }
        try {
            long now = System.currentTimeMillis();
            switch (String.valueOf(msg.get("type"))) {
                case RelayMessages.OFFER -> legs.onOffer(from, msg, now);
                case RelayMessages.ANSWER -> legs.onAnswer(from, msg, now);
                case RelayMessages.READY -> legs.onReady(from, msg, now);
                case RelayMessages.CLOSE -> legs.onClose(from, msg);
                case RelayMessages.SUBSCRIBE -> onSubscribe(from, RelayMessages.str(msg, "room"),
                        Boolean.TRUE.equals(msg.get("reply")));
                case RelayMessages.UNSUBSCRIBE -> onUnsubscribe(from, RelayMessages.str(msg, "room"));
                case RelayMessages.TRACKS -> inbound.onTracks(from, RelayMessages.str(msg, "room"), msg);
                case RelayMessages.LAYERS -> outbound.onLayers(from, RelayMessages.str(msg, "room"), msg);
                default -> {
                    // not ours
                }
            }
        } catch (RuntimeException e) {
            stats.signallingError();
            LOG.log(System.Logger.Level.WARNING, "relay: bad message from " + from + ": " + e.getMessage());
        }
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
        outbound.serve(roomId, from);
        legs.ensure(from);
        inbound.subscribeBack(roomId, room, from, reply); // they have members too: we want their tracks
        outbound.publishTracks(roomId);
        outbound.update();
    }

    private void onUnsubscribe(String from, String roomId) {
        LOG.log(System.Logger.Level.INFO, () -> "relay: " + from + " unsubscribes from room " + roomId);
        outbound.stopServing(roomId, from);
        inbound.forget(roomId, from);
        outbound.update();
        legs.closeIdle();
    }

    void onNodeGone(String node) {
        inbound.peerGone(node);
        outbound.peerGone(node);
        legs.peerGone(node);
        outbound.update();
    }

    // ---------------------------------------------------------------- rooms

    /** Subscribes to/unsubscribes from peers for one room after a local change, or as the backstop. */
    void reconcileRoom(String roomId, boolean full) {
        Room room = rooms.apply(roomId);
        if (room != null && room.members().length > 0) {
            knownRooms.add(roomId);
            Set<String> nodes = new HashSet<>(bus.nodesInRoom(roomId));
            nodes.remove(self);
            inbound.subscribeToAll(roomId, room, nodes);
            if (full) {
                // peers that left the room without telling us
                inbound.keepOnly(roomId, nodes);
                outbound.keepOnly(roomId, nodes);
            }
        } else {
            knownRooms.remove(roomId);
            inbound.leave(roomId);
            outbound.leave(roomId);
        }
        outbound.publishTracks(roomId);
        outbound.update();
        legs.closeIdle();
    }

    // ---------------------------------------------------------------- timers

    /** Once a second: legs' retries and reports, subscribes not acknowledged, and the backstop. */
    void tick() {
        long now = System.currentTimeMillis();
        legs.tick(now);
        inbound.resendSubscribes(now);
        if (now - lastReconcile >= RECONCILE_MILLIS) {
            lastReconcile = now;
            Set<String> ids = new HashSet<>(knownRooms);
            ids.addAll(inbound.rooms());
            ids.addAll(outbound.rooms());
            for (String id : ids) {
                reconcileRoom(id, true);
            }
        }
    }

    /** See {@link InboundRelay#sendLayerDemand}. */
    void sendLayerDemand() {
        inbound.sendLayerDemand(System.currentTimeMillis(), RECONCILE_MILLIS);
    }

    /** The relay stops: every leg closes, its peer told. */
    void closeAll() {
        legs.closeAll();
    }

    // ---------------------------------------------------------------- RelayLegs.Owner

    @Override
    public boolean needed(String peer) {
        return inbound.subscribesTo(peer) || outbound.serves(peer);
    }

    @Override
    public void legReplaced(RelayLeg old, RelayLeg fresh) {
        outbound.legReplaced(old, fresh);
    }

    @Override
    public void legDropped() {
        outbound.update();
    }
}
