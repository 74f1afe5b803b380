package dev.visage.sfu.room;

import dev.visage.sfu.SfuConfig;
import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.dtls.DtlsCertificate;
import org.ice4j.ice.harvest.CandidateHarvester;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * What every endpoint needs from the engine; {@code timer} is its one timer thread (the endpoints'
 * periodic work, and what they pace on it: bandwidth probes).
 */
public record RoomServices(SfuConfig config, SfuMetrics metrics, List<? extends CandidateHarvester> harvesters,
                           DtlsCertificate certificate, ScheduledExecutorService timer, Consumer<SfuEndpoint> onClosed) {

    /** A timer thread for {@code timer} (a daemon: it never holds the JVM up). */
    public static ScheduledExecutorService newTimer(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }
}
