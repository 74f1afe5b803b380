package dev.visage.core.cluster;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * Seals what nodes tell each other through the cluster backend (room events, operators' commands,
 * relay signalling) with an HMAC-SHA256 under a key derived from the cluster secret, and opens
 * what arrives: a message without a seal, with a MAC that fails, older (or newer) than
 * {@link #WINDOW}, or seen before within it, is dropped, counted by reason and reported in the log
 * (a WARNING with this node's id, at most one line per {@link DropReport#EVERY}).
 * <p>
 * The MAC covers the channel, where the message goes (room or node), the sender's node id, the
 * time, a per-sender counter and the payload, so a captured message cannot be moved to another
 * room or node, nor replayed. A sealed message reads
 * {@code VS1 <millis> <counter> <base64url mac> <from>\n<payload>}.
 * <p>
 * The node registry's entries are sealed too, each by its node ({@link SealedNodeRegistry}). The
 * rest of the backend's data is not: a process that joins the data grid can still read and change
 * sessions and room members, take or break room locks, and delete registry entries; the network
 * keeps it out (see the README).
 */
public final class ClusterSeal {

    /** How far a sealed message's time may be from this node's: the nodes' clocks must agree that well. */
    static final Duration WINDOW = Duration.ofMinutes(2);
    private static final String VERSION = "VS1";
    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
    private static final Logger LOG = Logger.getLogger(ClusterSeal.class.getName());

    /** What a seal protects: its messages can only be opened on the same channel. */
    public enum Channel {
        ROOM_EVENT("room-event"), NODE_COMMAND("node-command"), RELAY("relay");

        private final String wire;

        Channel(String wire) {
            this.wire = wire;
        }
    }

    /** Why a message was dropped: the {@code reason} label of {@code visage_cluster_messages_rejected_total}. */
    public enum Rejection {
        UNSEALED("unsealed"), BAD_MAC("bad_mac"), STALE("stale"), REPLAYED("replayed");

        private final String label;

        Rejection(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** A MAC opened once, and when it may be forgotten. */
    private record Seen(String mac, long forgetAt) {
    }

    /** A message that passed: who sent it (as the MAC proves) and what. */
    public record Opened(String from, String payload) {
    }

    private final FieldMac mac;
    private final String nodeId;
    private final Clock clock;
    private final AtomicLong counter = new AtomicLong();
    private final Map<Rejection, LongAdder> rejected = new EnumMap<>(Rejection.class);
    /** MACs of the messages opened within the window, and the same in the order they came, to forget them (guarded by seenInOrder). */
    private final Set<String> seen = new HashSet<>();
    private final ArrayDeque<Seen> seenInOrder = new ArrayDeque<>();
    private final DropReport report;

    public ClusterSeal(byte[] macKey, String nodeId, Clock clock) {
        this.mac = new FieldMac(macKey);
        this.nodeId = nodeId;
        this.clock = clock;
        for (Rejection r : Rejection.values()) {
            rejected.put(r, new LongAdder());
        }
        this.report = new DropReport(LOG, clock);
    }

    /** The message as it travels, sealed by this node for {@code address} (a room id or a node id) on the channel. */
    public String seal(Channel channel, String address, String payload) {
        long at = clock.millis();
        long count = counter.incrementAndGet();
        return VERSION + " " + at + " " + count + " " + BASE64.encodeToString(mac(channel, address, nodeId, at, count, payload))
                + " " + nodeId + "\n" + payload;
    }

    /** The sender and payload of a sealed message for {@code address} on the channel; empty (and counted) if it fails. */
    public Optional<Opened> open(Channel channel, String address, String sealed) {
        Header header = Header.parse(sealed);
        if (header == null) {
            return reject(Rejection.UNSEALED, channel, address, null);
        }
        byte[] expected = mac(channel, address, header.from, header.at, header.count, header.payload);
        if (!MessageDigest.isEqual(expected, header.mac)) {
            return reject(Rejection.BAD_MAC, channel, address, header.from);
        }
        long now = clock.millis();
        if (Math.abs(now - header.at) > WINDOW.toMillis()) {
            return reject(Rejection.STALE, channel, address, header.from);
        }
        if (!remember(BASE64.encodeToString(header.mac), header.at + WINDOW.toMillis(), now)) {
            return reject(Rejection.REPLAYED, channel, address, header.from);
        }
        return Optional.of(new Opened(header.from, header.payload));
    }

    /** Messages dropped so far, for this reason. */
    public long rejected(Rejection reason) {
        return rejected.get(reason).sum();
    }

    /**
     * False if the MAC was seen before. MACs past their window are forgotten on the way (a message
     * that old is refused as stale anyway), oldest first: each is added and removed once.
     */
    private boolean remember(String mac, long forgetAt, long now) {
        synchronized (seenInOrder) {
            for (Seen oldest = seenInOrder.peekFirst(); oldest != null && oldest.forgetAt < now;
                 oldest = seenInOrder.peekFirst()) {
                seen.remove(seenInOrder.pollFirst().mac);
            }
            if (!seen.add(mac)) {
                return false;
            }
            seenInOrder.addLast(new Seen(mac, forgetAt));
            return true;
        }
    }

    private Optional<Opened> reject(Rejection reason, Channel channel, String address, String claimedFrom) {
        rejected.get(reason).increment();
        report.dropped(count -> "node=" + nodeId + " dropped a cluster message (" + reason.label + ") on " + channel.wire
                + " for " + address + (claimedFrom == null ? " without a seal" : " claiming to come from node " + claimedFrom)
                + "; " + count
                + " dropped since the last report. Every node of the cluster must be given the same"
                + " VISAGE_CLUSTER_SECRET; anything else writing to the cluster backend is not a member");
        return Optional.empty();
    }

    private byte[] mac(Channel channel, String address, String from, long at, long count, String payload) {
        return mac.over(VERSION, channel.wire, address, from, Long.toString(at), Long.toString(count), payload);
    }

    /** The parts of {@code VS1 <millis> <counter> <mac> <from>\n<payload>}; null for anything else. */
    private record Header(long at, long count, byte[] mac, String from, String payload) {

        static Header parse(String sealed) {
            if (sealed == null || !sealed.startsWith(VERSION + " ")) {
                return null;
            }
            int newline = sealed.indexOf('\n');
            if (newline < 0) {
                return null;
            }
            String[] parts = sealed.substring(0, newline).split(" ", 5);
            if (parts.length != 5 || parts[4].isEmpty()) {
                return null;
            }
            try {
                return new Header(Long.parseLong(parts[1]), Long.parseLong(parts[2]),
                        Base64.getUrlDecoder().decode(parts[3]), parts[4], sealed.substring(newline + 1));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }
}
