package dev.visage.sfu;

import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.MediaEngine;
import dev.visage.api.media.Participant;
import dev.visage.api.media.SignalSink;
import dev.visage.api.plugin.PluginContext;
import dev.visage.sfu.dtls.DtlsCertificate;
import dev.visage.sfu.ice.IceSetup;
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
import java.util.concurrent.Executors;
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
        certificate = DtlsCertificate.generate();
        services = new RoomServices(config, metrics, harvesters, certificate, this::onEndpointClosed);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sfu-timer");
            t.setDaemon(true);
            return t;
        });
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
        Room room = rooms.computeIfAbsent(participant.roomId(), Room::new);
        SfuEndpoint e = SfuEndpoint.join(room, participant, sink, services);
        endpoints.add(e);
        return e;
    }

    private void onEndpointClosed(SfuEndpoint e) {
        endpoints.remove(e);
        rooms.values().removeIf(r -> r.members().length == 0);
    }

    @Override
    public Map<String, Number> metrics() {
        return metrics.snapshot(endpoints.size(), rooms.size());
    }

    public SfuMetrics counters() {
        return metrics;
    }

    public String fingerprint() {
        return certificate.fingerprint();
    }

    @Override
    public void close() {
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
