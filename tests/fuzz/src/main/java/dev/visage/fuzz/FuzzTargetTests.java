package dev.visage.fuzz;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tests every module with fuzz targets runs on them (a module's {@code FuzzTargetsTest}
 * extends this and names its targets): every stored input (seeds, and each input that ever crashed)
 * passes, and two seconds of mutations of them per target find nothing. With
 * {@code -Dvisage.fuzz.seconds=N} ({@code ./visage fuzz N}), Jazzer fuzzes each target N seconds.
 */
public abstract class FuzzTargetTests {

    protected abstract List<FuzzTarget> targets();

    @TestFactory
    Stream<DynamicTest> everyStoredInputPasses() {
        return Fuzzing.replay(targets());
    }

    @Test
    void twoSecondsOfMutationsPerTargetFindNothing() {
        List<Fuzzing.Result> results = Fuzzing.mutate(targets(), Duration.ofSeconds(2), Long.getLong("visage.fuzz.seed", 1));
        assertTrue(results.stream().allMatch(Fuzzing.Result::clean), () -> Fuzzing.crashed(results));
    }

    @Test
    @EnabledIfSystemProperty(named = "visage.fuzz.seconds", matches = "\\d+")
    void aCoverageGuidedCampaignFindsNothing() {
        List<Fuzzing.Result> results = Fuzzing.campaign(targets(), Fuzzing.secondsPerTarget(), Fuzzing.keepCrashes());
        assertTrue(results.stream().allMatch(Fuzzing.Result::clean), () -> Fuzzing.crashed(results));
    }
}
