package dev.visage.web;

import dev.visage.fuzz.FuzzTarget;
import dev.visage.fuzz.FuzzTargetTests;
import dev.visage.web.rest.RestBodyFuzzTarget;
import dev.visage.web.signalling.SignallingFuzzTarget;

import java.util.List;

/** The web module's parsers under fuzzing: signalling messages and REST bodies (see {@link FuzzTargetTests}). */
class FuzzTargetsTest extends FuzzTargetTests {
    @Override
    protected List<FuzzTarget> targets() {
        return List.of(
                new FuzzTarget("signalling", SignallingFuzzTarget.class, List.of("org.eclipse.parsson.**"), 8192),
                new FuzzTarget("rest-body", RestBodyFuzzTarget.class, List.of("org.eclipse.parsson.**"), 8192));
    }
}
