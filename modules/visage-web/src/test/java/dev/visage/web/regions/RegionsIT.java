package dev.visage.web.regions;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import dev.visage.web.scenario.ScenarioScript;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Regions over real network namespaces: two nodes started with {@code ./visage run} in the "eu"
 * and "sg" namespaces (one-way delay 40 ms between the regions, ~0 inside one), Chromium pages
 * in client namespaces of each region (tests/netns/regions-scenario.sh): node choice, the relay,
 * a screen shared across it, failover and a UDP blackout. One run of the scenario serves every test; its JSON verdict is kept in target/regions-logs/result.json and its
 * {@code [figure]} lines are printed.
 * Skipped when not root or when chromium, ip or tc is missing (CI runs as root with them).
 */
class RegionsIT {

    private static final ScenarioScript SCENARIO = new ScenarioScript("tests/netns/regions-scenario.sh", "VISAGE_REGIONS_RUN", "it",
            "target/regions-logs", Duration.ofSeconds(420));
    /** The scenario waits up to a minute for each step: longer means it never happened. */
    private static final long NEVER_MS = 60_000;
    /** Video plays: >= 3 fps on average, as tests/netns/scenario-lib.mjs's plays() says. */
    private static final int PLAYING_FRAMES_IN_5_S = 15;
    private static JsonObject result;

    @BeforeAll
    static void runScenario() throws Exception {
        SCENARIO.assumeRunnable("ip", "tc");
        long started = System.nanoTime();
        result = SCENARIO.run();
        System.out.printf("[figure] regions scenario: %d s in all, delay mode %s (%s), nodes up and clustered in %d ms%n",
                (System.nanoTime() - started) / 1_000_000_000L, result.getString("mode", "?"),
                result.getString("delays", "?"), result.getInt("startupMs", -1));
    }

    @AfterAll
    static void teardownNamespaces() throws Exception {
        SCENARIO.tearDown();
    }

    @Test
    void clientInEuPicksTheEuNodeEvenWhenThePageCameFromSg() {
        assertScenarioRan();
        JsonObject selection = result.getJsonObject("selection");
        JsonObject eu = selection.getJsonObject("eu");
        assertNotNull(eu, "the eu page never joined: " + result);
        assertEquals("node-eu", eu.getJsonObject("node").getString("id"), "eu page's node: " + eu);
        assertEquals("node-eu", selection.getString("serverNodeOfEuPage", null), "node of the eu page's session on the server");
        assertEquals("rtt", eu.getString("pickMethod"), "picked by measured RTT");
        JsonArray ranking = eu.getJsonArray("ranking");
        assertEquals(2, ranking.size(), "both nodes probed: " + ranking);
        double near = ranking.getJsonObject(0).getJsonNumber("rtt").doubleValue();
        double far = ranking.getJsonObject(1).getJsonNumber("rtt").doubleValue();
        assertTrue(near < far, "ranking is nearest first: " + ranking);
        assertTrue(eu.getString("status").startsWith("Connected · eu (node-eu)"), "status shows the node: " + eu.getString("status"));
        JsonObject sg = selection.getJsonObject("sg");
        assertNotNull(sg, "the sg page never joined: " + result);
        assertEquals("node-sg", sg.getJsonObject("node").getString("id"), "sg page's node: " + sg);
        assertEquals("node-sg", selection.getString("serverNodeOfSgPage", null));
    }

    @Test
    void serverFallbackPicksByRegionAndTheApiAnswersPreflights() {
        assertScenarioRan();
        JsonObject api = result.getJsonObject("api");
        assertNotNull(api, "api checks did not run: " + result);
        assertEquals("node-eu", api.getString("nearestEu"));
        assertEquals("node-sg", api.getString("nearestSg"));
        assertEquals("node-sg", api.getString("nearestUnknownRegion"), "unknown region: the answering node's region");
        assertEquals("node-sg", api.getString("nearestNoHint"), "no hint: the answering node's region");
        JsonObject preflight = api.getJsonObject("preflight");
        assertEquals(204, preflight.getInt("status"));
        assertEquals("*", preflight.getString("allowOrigin"));
        assertTrue(preflight.getString("allowHeaders").contains("Authorization")
                && preflight.getString("allowHeaders").contains("Content-Type"), "allowed headers: " + preflight);
        assertEquals("node-eu", result.getJsonObject("failover").getString("nearestSgAfter", null),
                "with sg gone, a client hinting sg is sent to eu");
    }

    @Test
    void killedNodesPageRejoinsOnTheSurvivorWithVideoAndNothingIsLost() {
        assertScenarioRan();
        JsonObject f = result.getJsonObject("failover");
        assertTrue(f.containsKey("movedMs"), "failover did not run: " + result);
        assertWithin(f, "cleanMs", NEVER_MS, "survivor free of the dead node's sessions");
        assertWithin(f, "movedMs", NEVER_MS, "sg page back in the room on node-eu");
        assertWithin(f, "videoMs", NEVER_MS, "sg page decoding video again");
        assertTrue(f.getInt("sgPageFramesDelta5s") >= PLAYING_FRAMES_IN_5_S, "sg page's video not playing, framesDecoded over 5 s: "
                + f.getInt("sgPageFramesDelta5s"));
        // the eu page watched the sg user through the relay; once that user publishes on node-eu,
        // the SFU continues the very stream the eu page had (same SSRC, decoding on)
        assertTrue(f.getBoolean("euStreamContinued", false),
                "the eu page's stream of the sg user was not continued across the failover: " + f.get("euVideoSsrcs"));
        assertEquals("node-eu", f.getJsonObject("sgPageAfter").getJsonObject("node").getString("id"));
        assertTrue(f.getBoolean("sgPageHasChat"), "the chat message sent before the kill is on the moved page");
        assertTrue(f.getBoolean("historyHasChat"), "the chat message sent before the kill is in the room's history");
        assertEquals(List.of(200, 200), f.getJsonArray("loginAfter").getValuesAs(JsonNumber.class).stream()
                .map(JsonNumber::intValue).toList(), "both users still log in");
        assertEquals(200, f.getInt("roomStatusAfter"), "the room still exists");
        JsonArray members = f.getJsonArray("roomMembersAfter");
        assertEquals(2, members.size(), "both users in the room after the move: " + members);
        for (JsonValue m : members) {
            assertEquals("node-eu", m.asJsonObject().getString("nodeId"), "member on the survivor: " + m);
        }
        assertEquals(List.of("node-eu"), f.getJsonArray("nodesAfter").getValuesAs(jakarta.json.JsonString.class).stream()
                .map(jakarta.json.JsonString::getString).toList(), "only the survivor is listed");
    }

    /**
     * Media path dead, signalling alive: 17 s without UDP (the node's consent timeout is 15 s).
     * Each page must notice the node's media-failed, rejoin by itself (a new session) and decode
     * video once UDP is back, then keep playing.
     */
    @Test
    void aPageWhoseMediaPathDiesRejoinsByItselfAndDecodesAgain() {
        assertScenarioRan();
        JsonObject b = result.getJsonObject("blackout");
        assertNotNull(b, "blackout step did not run: " + result.getString("error", ""));
        Assumptions.assumeFalse(b.containsKey("skipped"), () -> "blackout step skipped: " + b.getString("skipped", ""));
        for (String page : List.of("eu", "sg")) {
            assertTrue(b.getJsonObject("rejoinedMsAfterBlackoutStart").containsKey(page), page + " page never rejoined: " + b);
            long back = b.getJsonObject("videoMsAfterUdpBack").getJsonNumber(page).longValue();
            assertTrue(back <= NEVER_MS, page + " page decoded again " + back + " ms after UDP came back: " + b);
            assertTrue(b.getJsonObject("framesDelta5s").getInt(page) >= PLAYING_FRAMES_IN_5_S, page + " page frames in 5 s after recovery: " + b);
        }
        assertTrue(b.getInt("udpDropped") > 0, "the switch dropped no UDP: " + b);
    }

    @Test
    void aScreenSharedOnOneNodeShowsLargeOnThePageOnTheOtherAndGoesWhenSharingStops() {
        assertScenarioRan();
        JsonObject screen = result.getJsonObject("screen");
        assertNotNull(screen, "the screen-sharing step did not complete: " + result.getString("error", ""));
        assertTrue(screen.getBoolean("ok"), "the sg page did not decode the eu page's screen, large, through the relay: " + screen);
        assertTrue(screen.containsKey("stoppedMs"), "the screen tile did not leave when sharing stopped: " + screen);
    }

    private static void assertScenarioRan() {
        assertNotNull(result, "scenario produced no result; logs in " + SCENARIO.logs());
        if (result.containsKey("error") && !result.isNull("error")) {
            System.out.println("regions scenario error: " + result.getString("error"));
        }
    }

    private static void assertWithin(JsonObject f, String key, long limitMs, String what) {
        assertTrue(f.containsKey(key) && !f.isNull(key), what + ": never happened (" + f + ")");
        long ms = f.getJsonNumber(key).longValue();
        assertTrue(ms <= limitMs, what + " took " + ms + " ms (limit " + limitMs + ")");
    }
}
