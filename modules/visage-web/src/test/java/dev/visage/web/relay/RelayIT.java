package dev.visage.web.relay;

import jakarta.json.JsonObject;
import dev.visage.web.scenario.ScenarioScript;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The media relay between two nodes over real network namespaces (tests/relay/relay-scenario.sh):
 * node a and node b clustered on Redis (a redis-server in the scenario's core namespace; the
 * Hazelcast relay path runs in RegionsIT), alice's Chromium page on node a, bob's and three
 * receive-only viewers' pages on node b, one room; redis-server is killed and started again in the
 * middle of the measured call. Then simulcast across the relay: a thumbnail and a capped downlink
 * on node b (the far node of alice's camera). One scenario run serves every test; its JSON verdict is kept in
 * target/relay-logs/result.json and its {@code [figure]} lines are printed.
 * Skipped (Assumptions) only when not root or when chromium, ip or redis-server is missing.
 */
class RelayIT {
    private static final ScenarioScript SCENARIO = new ScenarioScript("tests/relay/relay-scenario.sh", "VISAGE_RELAY_RUN", "yt",
            "target/relay-logs", Duration.ofSeconds(420)).with("VISAGE_RELAY_CLUSTER", "redis");
    private static JsonObject result;

    @BeforeAll
    static void runScenario() throws Exception {
        SCENARIO.assumeRunnable("ip", "redis-server");
        result = SCENARIO.run();
    }

    @AfterAll
    static void teardownNamespaces() throws Exception {
        SCENARIO.tearDown();
    }

    private static void assertCheck(String name) {
        assertNotNull(result, "scenario did not run");
        JsonObject checks = result.getJsonObject("checks");
        assertNotNull(checks, "scenario failed before its checks: " + result.getString("error", result.toString()));
        JsonObject c = checks.getJsonObject(name);
        assertNotNull(c, "check " + name + " did not run: " + result.getString("error", "") + " " + checks);
        assertTrue(c.getBoolean("ok"), name + ": " + c.get("detail"));
    }

    @Test
    void pagesOnTwoNodesDecodeEachOthersVideoAndHearEachOther() {
        assertCheck("aliceOnNodeA");
        assertCheck("bobAndViewersOnNodeB");
        assertCheck("aliceDecodesBob");
        assertCheck("bobDecodesAlice");
        assertCheck("aliceHearsBob");
        assertCheck("bobHearsAlice");
    }

    @Test
    void eachTrackCrossesOncePerNodePairWhateverTheNumberOfFarViewers() {
        assertCheck("viewersDecodeBoth");
        assertCheck("nodeARelaysAlicesTwoTracksOnce");
        assertCheck("nodeBRelaysBobsTwoTracksOnce");
        assertCheck("streamsInMatch");
    }

    @Test
    void mediaKeepsFlowingWhileTheClusterBackendRestarts() {
        assertCheck("clusterBackendRestartedMidCall");
        assertCheck("videoPlaysWhileTheBackendIsDown");
    }

    /**
     * Alice's camera crosses as all its layers; on node b each page's consumer picks its own: a
     * thumbnail gets the small layer, and viewer1 under a 300 kbit/s downlink cap gets the small
     * layers of alice's relayed camera and bob's local one, decoding both in every 2 s window; the
     * others decode alice at >= 640 again after each step (their share of samples at >= 640 during
     * it is a figure); lifted, it climbs back (the pages' getStats).
     */
    @Test
    void farPagesGetTheRelayedCamerasLayerTheirTileAndDownlinkCallFor() {
        assertCheck("farThumbnailGetsTheRelayedLowLayer");
        assertCheck("farCappedPageGetsTheLowLayers");
        assertCheck("farCappedPageClimbsBack");
    }

    @Test
    void legIsClosedWhenTheFarSideHasLeft() {
        assertCheck("legClosedWhenFarSideLeft");
    }
}
