package dev.visage.sfu;

import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.MediaEngine;
import dev.visage.api.media.Participant;
import dev.visage.api.media.SignalSink;
import dev.visage.api.plugin.PluginContext;
import dev.visage.api.relay.RelayBus;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.dtls.DtlsCertificate;
import dev.visage.sfu.ice.IceSetup;
import dev.visage.sfu.relay.Relay;
import dev.visage.sfu.relay.RelayConfig;
import dev.visage.sfu.room.Room;
import dev.visage.sfu.room.RoomServices;
import dev.visage.sfu.room.SfuEndpoint;
import org.ice4j.ice.harvest.SinglePortUdpHarvester;
import org.jitsi.srtp.crypto.Aes;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The "sfu" media engine: one UDP port for every peer (ice4j single-port harvesting), full ICE,
 * DTLS-SRTP, and RTP/RTCP forwarding between the participants of a room on this node. Settings
 * are listed in {@link SfuConfig}; the signalling protocol is described on {@link SfuEndpoint}.
 */
public final class SfuEngine implements MediaEngine {
    private static final System.Logger LOG = System.getLogger(SfuEngine.class.getName());

    private final SfuMetrics metrics = new SfuMetrics();
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final Set<SfuEndpoint> endpoints = ConcurrentHashMap.newKeySet();
    private SfuConfig config;
    private List<SinglePortUdpHarvester> harvesters = List.of();
    private DtlsCertificate certificate;
    private ScheduledExecutorService timer;
    private RoomServices services;
    private RelayConfig relayConfig;
    private InetAddress relayAddress;
    private volatile Relay relay;

    @Override
    public String name() {
        return "sfu";
    }

    @Override
    public void start(PluginContext context) throws Exception {
        IceSetup.configureIce4j(); // before any Agent exists: no AWS/STUN/UPnP traffic
        config = SfuConfig.from(context);
        Aes.setFactoryClassName(config.aesFactoryClass());
        List<InetAddress> addresses = IceSetup.mediaAddresses(config.addresses());
        if (addresses.isEmpty()) {
            throw new IllegalStateException("no media address: set visage.media.addresses");
        }
        harvesters = IceSetup.createHarvesters(addresses, config.port());
        relayConfig = RelayConfig.from(context, config.port());
        relayAddress = addresses.get(0);
        certificate = DtlsCertificate.generate();
        timer = RoomServices.newTimer("sfu-timer");
        services = new RoomServices(config, metrics, harvesters, certificate, timer, this::onEndpointClosed);
        timer.scheduleAtFixedRate(this::tick, 100, 100, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.INFO, "SFU listening on UDP " + addresses + ":" + config.port()
                + ", DTLS fingerprint sha-256 " + certificate.fingerprint());
    }

    private long ticks;

    private void tick() {
        long now = System.currentTimeMillis();
        boolean fullSecond = ++ticks % 10 == 0;
        for (SfuEndpoint e : endpoints) {
            try {
                e.onTimer(now, fullSecond);
            } catch (RuntimeException ex) {
                metrics.handlerErrors.incrementAndGet();
            }
        }
    }

    @Override
    public MediaEndpoint join(Participant participant, SignalSink sink) {
        if (services == null) {
            throw new IllegalStateException("SFU not started");
        }
        while (true) {
            Room room = rooms.computeIfAbsent(participant.roomId(), id -> new Room(id, metrics));
            synchronized (room) {
                // an empty room is dropped under its monitor (onEndpointClosed): never join a dropped one
                if (rooms.get(participant.roomId()) != room) {
                    continue;
                }
                Relay r = relay;
                if (r != null) {
                    room.setObserver(r);
                }
                SfuEndpoint e = SfuEndpoint.join(room, participant, sink, services);
                endpoints.add(e);
                return e;
            }
        }
    }

    private void onEndpointClosed(SfuEndpoint e) {
        endpoints.remove(e);
        for (Room room : rooms.values()) {
            synchronized (room) {
                if (room.members().length == 0) {
                    rooms.remove(room.id, room);
                }
            }
        }
    }

    /**
     * Starts the node-to-node relay (package {@code dev.visage.sfu.relay}) on the first media
     * address; without it (or if its port cannot be bound) rooms stay per node.
     */
    @Override
    public void attach(RelayBus bus) {
        if (services == null || !relayConfig.enabled() || relay != null) {
            return;
        }
        try {
            Relay r = Relay.start(bus, relayConfig, config.nackCachePackets(), relayAddress, rooms::get);
            relay = r;
            rooms.values().forEach(room -> room.setObserver(r));
        } catch (java.io.IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "relay not started (visage.relay.port " + relayConfig.port() + "): "
                    + e.getMessage(), e);
        }
    }

    public java.util.Optional<Relay> relay() {
        return java.util.Optional.ofNullable(relay);
    }

    /** Per-stream quality of a room on this node, for {@code GET /api/rooms/{id}/stats}. */
    @Override
    public List<Map<String, Object>> streamStats(String roomId) {
        Room room = roomId == null ? null : rooms.get(roomId);
        if (room == null) {
            return List.of();
        }
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (SfuEndpoint e : room.members()) {
            out.addAll(e.streamStats());
        }
        return out;
    }

    /** This node's relay legs, for the operators' console. */
    @Override
    public List<Map<String, Object>> relayStats() {
        Relay r = relay;
        return r == null ? List.of() : r.legStats();
    }

    @Override
    public Map<String, Number> metrics() {
        Map<String, Number> m = metrics.snapshot(endpoints.size(), rooms.size());
        putBandwidthEstimates(m);
        Relay r = relay;
        if (r != null) {
            m.putAll(r.metrics());
        }
        return m;
    }

    /**
     * Send-side bandwidth estimates of the subscribers on this node: how many have one, the
     * lowest (0 when none) and their sum (the mean is sum / count).
     */
    private void putBandwidthEstimates(Map<String, Number> m) {
        long count = 0;
        long min = 0;
        long sum = 0;
        for (SfuEndpoint e : endpoints) {
            SendSideEstimator estimator = e.bandwidthEstimator();
            if (estimator != null && estimator.feedbacks() > 0) {
                long bps = estimator.estimateBps();
                min = count == 0 ? bps : Math.min(min, bps);
                sum += bps;
                count++;
            }
        }
        m.put("visage_sfu_bwe_subscribers", count);
        m.put("visage_sfu_bwe_estimate_min_bps", min);
        m.put("visage_sfu_bwe_estimate_sum_bps", sum);
    }

    public SfuMetrics counters() {
        return metrics;
    }

    public String fingerprint() {
        return certificate.fingerprint();
    }

    @Override
    public void close() {
        Relay r = relay;
        relay = null;
        if (r != null) {
            r.close();
        }
        for (SfuEndpoint e : List.copyOf(endpoints)) {
            e.close();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        for (SinglePortUdpHarvester h : harvesters) {
            h.close();
        }
        harvesters = List.of();
    }
}
