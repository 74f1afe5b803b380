package dev.visage.sfu.room;

import dev.visage.sfu.SfuConfig;
import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.dtls.DtlsCertificate;
import org.ice4j.ice.harvest.CandidateHarvester;

import java.util.List;
import java.util.function.Consumer;

/** What every endpoint needs from the engine. */
public record RoomServices(SfuConfig config, SfuMetrics metrics, List<? extends CandidateHarvester> harvesters,
                           DtlsCertificate certificate, Consumer<SfuEndpoint> onClosed) {
}
