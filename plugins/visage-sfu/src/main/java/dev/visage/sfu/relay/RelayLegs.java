package dev.visage.sfu.relay;

import dev.visage.api.relay.RelayBus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * The node's legs, one per peer node (what mediasoup calls a PipeTransport between two routers):
 * opened on demand, their handshake (relay-offer / answer / ready / close) driven from here,
 * offered anew when one failed while still needed, closed when nothing is left to carry either
 * way. A leg that is replaced (re-offered, or the peer re-offered) hands its streams to the new one.
 *
 * <p>Threads: the relay thread only; the relay socket and {@link RelayStats} read the
 * {@link #snapshot()} array, which is replaced, never changed.
 */
final class RelayLegs {
    private static final System.Logger LOG = System.getLogger(RelayLegs.class.getName());
    private static final long FAILED_RETRY_MILLIS = 3000;

    /** What the legs need to know of the subscriptions they carry. */
    interface Owner {
        /** Whether a subscription in either direction still needs a leg to this peer. */
        boolean needed(String peer);

        /** The local tracks sent over {@code old} go over {@code fresh} from now on. */
        void legReplaced(RelayLeg old, RelayLeg fresh);

        /** A leg is gone: the local tracks' legs are to be worked out again. */
        void legDropped();
    }

    private final RelayBus bus;
    private final RelayConfig config;
    private final RelaySocket socket;
    private final RelayStats stats;
    private final Owner owner;
    private final String self;
    private final Map<String, RelayLeg> legs = new HashMap<>();
    private final byte[] reportBuffer = new byte[1500];
    private final int[] loss = new int[2];
    private volatile RelayLeg[] snapshot = new RelayLeg[0];

    RelayLegs(RelayBus bus, RelayConfig config, RelaySocket socket, RelayStats stats, Owner owner) {
        this.bus = bus;
        this.config = config;
        this.socket = socket;
        this.stats = stats;
        this.owner = owner;
        this.self = bus.localNodeId();
    }

    /** The legs now, for the media and stats threads. */
    RelayLeg[] snapshot() {
        return snapshot;
    }

    /** The leg to this peer, or null. */
    RelayLeg get(String peer) {
        return legs.get(peer);
    }

    Iterable<RelayLeg> all() {
        return legs.values();
    }

    // ---------------------------------------------------------------- handshake

    /** The leg to this peer, offered now if there is none or it closed or failed. */
    RelayLeg ensure(String peer) {
        RelayLeg leg = legs.get(peer);
        if (leg != null && leg.isUsable()) {
            return leg;
        }
        long now = System.currentTimeMillis();
        RelayLeg fresh = RelayLeg.offer(peer, config.srtpProfile(), config.keys(), socket, now);
        if (leg != null) {
            replace(leg, fresh);
        }
        legs.put(peer, fresh);
        stats.legOpened();
        changed();
        Map<String, Object> offer = fresh.tick(now);
        if (offer != null) {
            bus.send(peer, offer);
        }
        return fresh;
    }

    void onOffer(String from, Map<String, Object> msg, long now) {
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
            replace(existing, leg);
        }
        legs.put(from, leg);
        stats.legOpened();
        changed();
        bus.send(from, leg.answerMessage());
    }

    void onAnswer(String from, Map<String, Object> msg, long now) {
        RelayLeg leg = legs.get(from);
        if (leg != null && leg.offerer && leg.legId.equals(msg.get("leg"))) {
            Map<String, Object> ready = leg.onAnswer(msg, now);
            if (ready != null) {
                bus.send(from, ready);
                changed();
            }
        }
    }

    void onReady(String from, Map<String, Object> msg, long now) {
        RelayLeg leg = legs.get(from);
        if (leg != null && !leg.offerer && leg.legId.equals(msg.get("leg"))) {
            leg.onReady(now);
            changed();
        }
    }

    void onClose(String from, Map<String, Object> msg) {
        RelayLeg leg = legs.get(from);
        if (leg != null && leg.legId.equals(msg.get("leg"))) {
            drop(leg, false);
        }
    }

    /** Streams follow a leg that is replaced (re-offer after failure, or the peer re-offered). */
    private void replace(RelayLeg old, RelayLeg fresh) {
        fresh.takeIncoming(old);
        owner.legReplaced(old, fresh);
        fresh.takeOutgoing(old);
        retire(old);
    }

    // ---------------------------------------------------------------- closing

    /** Closes the legs no subscription needs any more, telling their peers. */
    void closeIdle() {
        for (RelayLeg leg : new ArrayList<>(legs.values())) {
            if (!owner.needed(leg.peer)) {
                drop(leg, true);
            }
        }
    }

    /** The peer node is gone: its leg closes without a word. */
    void peerGone(String peer) {
        RelayLeg leg = legs.get(peer);
        if (leg != null) {
            drop(leg, false);
        }
    }

    private void drop(RelayLeg leg, boolean tell) {
        if (legs.get(leg.peer) == leg) {
            legs.remove(leg.peer);
        }
        if (tell) {
            bus.send(leg.peer, leg.closeMessage());
        }
        LOG.log(System.Logger.Level.INFO, () -> "relay: leg to " + leg.peer + " closed (" + leg.stats().packetsSent()
                + " packets sent, " + leg.stats().packetsReceived() + " received)");
        retire(leg);
        changed();
        owner.legDropped();
    }

    private void retire(RelayLeg leg) {
        stats.retired(leg);
        leg.close(System.currentTimeMillis());
    }

    /** The relay stops: every peer is told, every leg closed. */
    void closeAll() {
        for (RelayLeg leg : new ArrayList<>(legs.values())) {
            try {
                bus.send(leg.peer, leg.closeMessage());
            } catch (RuntimeException ignored) {
                // cluster may be going down too
            }
            leg.close(System.currentTimeMillis());
        }
        legs.clear();
        changed();
    }

    private void changed() {
        RelayLeg[] now = legs.values().toArray(new RelayLeg[0]);
        snapshot = now;
        socket.setLegs(now);
    }

    // ---------------------------------------------------------------- timer

    /**
     * Once a second: resends the handshake messages due, offers anew a leg that failed (or closes
     * it if no longer needed), sends each ready leg's report and rolls the relayed bitrates.
     */
    void tick(long now) {
        for (RelayLeg leg : new ArrayList<>(legs.values())) {
            Map<String, Object> again = leg.tick(now);
            if (again != null) {
                bus.send(leg.peer, again);
            }
            if (leg.failedLongerThan(FAILED_RETRY_MILLIS, now)) {
                stats.legFailed();
                LOG.log(System.Logger.Level.WARNING, "relay: leg to " + leg.peer + " failed; offering again");
                if (owner.needed(leg.peer)) {
                    ensure(leg.peer);
                } else {
                    drop(leg, true);
                }
            }
            if (leg.isReady()) {
                leg.sendReport(reportBuffer, loss, now);
            }
            leg.rollBitrates(System.nanoTime());
        }
    }
}
