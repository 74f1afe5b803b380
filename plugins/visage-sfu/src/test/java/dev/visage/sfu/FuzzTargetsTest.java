package dev.visage.sfu;

import dev.visage.fuzz.FuzzTarget;
import dev.visage.fuzz.Fuzzing;
import dev.visage.sfu.dtls.DtlsFuzzTarget;
import dev.visage.sfu.ice.StunFuzzTarget;
import dev.visage.sfu.room.RtcpFuzzTarget;
import dev.visage.sfu.room.RtpFuzzTarget;
import dev.visage.sfu.room.SdpFuzzTarget;
import dev.visage.sfu.transport.DatagramFuzzTarget;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SFU's parsers under fuzzing: every stored input (seeds, and each input that ever crashed)
 * passes, and two seconds of mutations of them per target find nothing. {@code ./visage fuzz N}
 * fuzzes the same targets with Jazzer, N seconds each.
 */
class FuzzTargetsTest {
    static final List<FuzzTarget> TARGETS = List.of(
            new FuzzTarget("datagram", DatagramFuzzTarget.class, List.of(), 1600),
            new FuzzTarget("stun", StunFuzzTarget.class, List.of("org.ice4j.**"), 1600),
            new FuzzTarget("rtp", RtpFuzzTarget.class, List.of(), 1600),
            new FuzzTarget("rtcp", RtcpFuzzTarget.class, List.of(), 1600),
            new FuzzTarget("dtls", DtlsFuzzTarget.class, List.of("org.bouncycastle.tls.**"), 8192),
            new FuzzTarget("sdp", SdpFuzzTarget.class, List.of(), 16384));

    @TestFactory
    Stream<DynamicTest> everyStoredInputPasses() {
        return Fuzzing.replay(TARGETS);
    }

    @Test
    void twoSecondsOfMutationsPerTargetFindNothing() {
        List<Fuzzing.Result> results = Fuzzing.mutate(TARGETS, Duration.ofSeconds(2), Long.getLong("visage.fuzz.seed", 1));
        assertTrue(results.stream().allMatch(Fuzzing.Result::clean), () -> Fuzzing.crashed(results));
    }

    /** {@code ./visage fuzz N}: Jazzer, coverage-guided, N seconds per target. */
    @Test
    @EnabledIfSystemProperty(named = "visage.fuzz.seconds", matches = "\\d+")
    void aCoverageGuidedCampaignFindsNothing() {
        List<Fuzzing.Result> results = Fuzzing.campaign(TARGETS, Fuzzing.secondsPerTarget(), Fuzzing.keepCrashes());
        assertTrue(results.stream().allMatch(Fuzzing.Result::clean), () -> Fuzzing.crashed(results));
    }
}
