package dev.visage.sfu.relay;

import dev.visage.api.relay.RelayBus;
import dev.visage.sfu.room.PublishedTrack;
import dev.visage.sfu.room.Room;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The node's relay (what Jitsi Videobridge calls its Octo / Relay): keeps one {@link RelayLeg}
 * per peer node that shares a room with this one, subscribes to the peers' publishers per room,
 * turns what they announce into relayed {@link PublishedTrack}s of the local {@link Room}, and
 * hands each local publisher's packets once per leg to the nodes that subscribed to its room.
 * This class is the face the SFU sees; the work is done by
 * <ul>
 *   <li>{@link RelaySignalling}: the bus messages and the per-room interest behind them,</li>
 *   <li>{@link RelayLegs}: the legs to peer nodes, their handshake, retries and closing,</li>
 *   <li>{@link InboundRelay}: our subscriptions, the relayed tracks and the layers we need of them,</li>
 *   <li>{@link OutboundRelay}: the peers we serve, what we announce them and which legs each
 *       local track goes out on,</li>
 *   <li>{@link RelayStats}: counters for /metrics and the console.</li>
 * </ul>
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
    /** How often the far consumers' layer demand is checked for a change (relay-layers). */
    private static final long DEMAND_CHECK_MILLIS = 250;

    private final Function<String, Room> rooms;
    private final RelaySocket socket;
    private final ScheduledExecutorService exec;
    private final RelayStats stats;
    private final RelaySignalling signalling;

    private Relay(RelayBus bus, RelayConfig config, int cachePackets, Function<String, Room> rooms, RelaySocket socket) {
        this.rooms = rooms;
        this.socket = socket;
        this.stats = new RelayStats(socket);
        this.signalling = new RelaySignalling(bus, config, cachePackets, rooms, socket, stats);
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
            bus.subscribe((from, msg) -> relay.submit(() -> relay.signalling.onMessage(from, msg)));
            bus.onNodeGone(node -> relay.submit(() -> relay.signalling.onNodeGone(node)));
        } catch (RuntimeException e) {
            // a start-up abandoned half way (the node is stopping) must not keep the port bound
            relay.close();
            throw e;
        }
        relay.exec.scheduleWithFixedDelay(() -> relay.guarded(relay.signalling::tick), 1000, 1000,
                TimeUnit.MILLISECONDS);
        relay.exec.scheduleWithFixedDelay(() -> relay.guarded(relay.signalling::sendLayerDemand),
                DEMAND_CHECK_MILLIS, DEMAND_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.INFO, "relay listening on UDP " + address.getHostAddress() + ":" + socket.port());
        return relay;
    }

    public int port() {
        return socket.port();
    }

    /** Under the room's monitor: only queue the work. */
    @Override
    public void onRoomChanged(Room room) {
        String id = room.id;
        submit(() -> signalling.reconcileRoom(id, false));
    }

    private void submit(Runnable r) {
        try {
            exec.execute(() -> guarded(r));
        } catch (RejectedExecutionException e) {
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

    // ---------------------------------------------------------------- metrics

    /** Tests: the relayed tracks of a local room. */
    public PublishedTrack[] relayedTracksForTest(String roomId) {
        Room r = rooms.apply(roomId);
        return r == null ? new PublishedTrack[0] : r.relayedTracks();
    }

    /** Relayed streams this node sends: (local track, peer node) pairs. */
    public int streamsOut() {
        return RelayStats.streamsOut(signalling.legs());
    }

    /** Relayed tracks this node receives (a simulcast track's layers count once, as streamsOut's do). */
    public int streamsIn() {
        return RelayStats.streamsIn(signalling.legs());
    }

    /**
     * Counters for /metrics. Per leg, the peer node is a label inside the name
     * ({@code visage_relay_packets_sent_total{peer="node-b"}}), which the /metrics servlet merges
     * with the node's own labels.
     */
    public Map<String, Number> metrics() {
        return stats.metrics(signalling.legs());
    }

    /** One entry per leg: the peer, its state, what crossed it each way, RTT and loss both ways. */
    public List<Map<String, Object>> legStats() {
        return RelayStats.legStats(signalling.legs());
    }

    @Override
    public void close() {
        try {
            exec.submit(signalling::closeAll).get(2, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort
        }
        exec.shutdownNow();
        socket.close();
    }
}
