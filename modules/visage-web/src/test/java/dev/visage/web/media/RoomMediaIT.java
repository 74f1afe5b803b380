package dev.visage.web.media;

import jakarta.json.JsonObject;
import dev.visage.web.scenario.ScenarioScript;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 3, acceptance 1, through the real web client (tests/media/room-scenario.sh): one Visage
 * node ({@code ./visage run}) in its own network namespace, three headless Chromium pages with the
 * fake camera and microphone in a client namespace, one room. For each page and each of the two
 * others, the page's own getStats over 10 s must show inbound video playing (>= 3 fps on average: the
 * fake camera sends 30, a busy 2-core machine makes Chromium encode fewer, a frozen stream decodes
 * none) with a frame width > 0, inbound audio packets rising and under 1 % of packets lost.
 * Acceptance 2, same client: a 4th page joining late decodes the first frame of each of the three
 * others (key-frame requests work), and a page that clicks Leave is gone from the other grids.
 * How fast (targets 1 s) is measured by {@code ./visage bench join}, not asserted here: the
 * scenario waits up to a minute, which means "it never happened". Forwarding: a page whose client rejoins after a media failure (a new session of the
 * same user) keeps its stream on the others' pages: same SSRC, in its tile, decoding again, no
 * sequence jump. Screen sharing: a page clicks Share (Chromium's fake screen); the others show it
 * in a large screen tile and decode it while her camera keeps playing, and it leaves their pages
 * when the captured track ends (the browser's own "stop sharing"). Simulcast: the same camera shown
 * large on one page and as a thumbnail on another arrives at >= 640 and <= 320 wide (getStats). Firefox: a headless Firefox ESR page (puppeteer-core over WebDriver BiDi, fake
 * camera and microphone) joins the Chromium pages; each side must decode and hear the other. Bandwidth
 * estimation: a page whose downlink is capped at 300 kbit/s gets the low layers, the others keep the
 * large ones, and it climbs back once the cap is lifted. H.264: a page opened with ?codec=h264
 * sends H.264 simulcast, decoded large and as a thumbnail in the layer each needs, and the Firefox
 * page, which cannot decode it, still hears him and says why his camera is not shown. The room is
 * made in the home page's form under a picked link, /r/weekly-sync, which the others open (issue 10); the
 * home page and the 4-person room are photographed into target/room-media-logs/screenshots. The JSON verdict is
 * kept in target/room-media-logs/result.json; its {@code [figure]} lines are printed.
 * Skipped (Assumptions) only when not root or when chromium or ip is missing.
 */
class RoomMediaIT {
    private static final ScenarioScript SCENARIO = new ScenarioScript("tests/media/room-scenario.sh", "VISAGE_ROOM_RUN", "mt",
            "target/room-media-logs", Duration.ofSeconds(540));
    /** Video plays: >= 3 fps on average, as tests/netns/scenario-lib.mjs's plays() says. */
    private static final int PLAYING_FRAMES_IN_10_S = 30;
    private static JsonObject result;

    @BeforeAll
    static void runScenario() throws Exception {
        SCENARIO.assumeRunnable("ip");
        result = SCENARIO.run();
    }

    @AfterAll
    static void teardownNamespaces() throws Exception {
        SCENARIO.tearDown();
    }

    @Test
    void everyPageDecodesAndHearsBothOthersThroughTheWebClient() {
        assertNotNull(result, "scenario did not run");
        assertTrue(result.containsKey("pairs") && !result.getJsonArray("pairs").isEmpty(),
                "scenario failed before measuring: " + result.getString("error", result.toString()));
        List<String> failures = new ArrayList<>();
        for (JsonObject s : result.getJsonArray("pairs").getValuesAs(JsonObject.class)) {
            String pair = s.getString("page") + " <- " + s.getString("from");
            if (s.getInt("videoStreams") != 1 || s.getInt("audioStreams") != 1) {
                failures.add(pair + ": " + s.getInt("videoStreams") + " video / " + s.getInt("audioStreams") + " audio inbound streams, want 1/1");
            }
            if (s.getInt("framesDecodedDelta") < PLAYING_FRAMES_IN_10_S) {
                failures.add(pair + ": framesDecoded +" + s.getInt("framesDecodedDelta") + " in 10 s, want >= "
                        + PLAYING_FRAMES_IN_10_S + " (video playing)");
            }
            if (s.getInt("frameWidth") <= 0) {
                failures.add(pair + ": frameWidth " + s.getInt("frameWidth") + ", want > 0");
            }
            if (s.getInt("audioPacketsDelta") <= 0) {
                failures.add(pair + ": audio packetsReceived +" + s.getInt("audioPacketsDelta") + ", want rising");
            }
            double loss = s.getJsonNumber("lossPct").doubleValue();
            if (loss >= 1.0) {
                failures.add(pair + String.format(Locale.ROOT, ": %.2f %% packets lost (%d), want < 1 %%", loss, s.getInt("packetsLostDelta")));
            }
        }
        assertEquals(6, result.getJsonArray("pairs").size(), "want 3 pages x 2 remotes: " + result.getJsonArray("pairs"));
        assertTrue(failures.isEmpty(), "per-page, per-remote media checks failed:\n  " + String.join("\n  ", failures));
        assertTrue(result.getBoolean("ok"), "scenario verdict not ok (pages on the wrong node?): " + result.get("nodes"));
    }

    /**
     * The node's Prometheus counter of forwarded RTP packets, read just before and after the pages'
     * 10 s getStats window, matches the packets the three pages received in it within 5 %.
     */
    @Test
    void theNodesForwardedPacketCounterMatchesWhatThePagesReceived() {
        JsonObject metrics = step("metrics", "/metrics against getStats");
        long forwarded = metrics.getJsonNumber("forwarded").longValue();
        long received = metrics.getJsonNumber("received").longValue();
        assertTrue(received > 0, "the pages received nothing: " + metrics);
        assertTrue(Math.abs((double) forwarded / received - 1) <= 0.05, "visage_sfu_rtp_forwarded_total +" + forwarded
                + " against the pages' packetsReceived +" + received + " (want within 5 %)");
    }

    /** A step's verdict; fails with the scenario's error when the step never completed. */
    private static JsonObject step(String name, String what) {
        assertNotNull(result, "scenario did not run");
        JsonObject step = result.getJsonObject(name);
        assertNotNull(step, "the " + what + " step did not complete: " + result.getString("error", result.toString()));
        return step;
    }

    /**
     * Issue 10, acceptance 6: alice picks the room's link in the home page's form, bob (and carol)
     * open that link and they decode and hear each other (the pairs above, checked here for alice
     * and bob); the same name again is 409 room_taken with a free variant, and the form says so.
     */
    @Test
    void aRoomCreatedUnderAPickedLinkIsWhereTheOthersTalkAndTheSameLinkAgainIsTaken() {
        JsonObject named = step("namedRoom", "named-room");
        assertEquals(201, named.getInt("createdStatus"), named.toString());
        assertEquals("weekly-sync", named.getString("roomId"));
        assertTrue(named.getString("link").endsWith("/r/weekly-sync"), named.toString());
        for (String page : List.of("alice", "bob", "carol")) {
            assertEquals("/r/weekly-sync", named.getJsonObject("pagePaths").getString(page), page + "'s page: " + named);
        }
        assertEquals(409, named.getInt("takenStatus"), named.toString());
        assertEquals("room_taken", named.getJsonObject("taken").getString("code"));
        assertEquals("weekly-sync-2", named.getJsonObject("taken").getString("suggestion"));
        assertTrue(named.getString("formMessage").contains("already taken"), "the form said: " + named.getString("formMessage"));
        assertEquals("Use /r/weekly-sync-2", named.getString("offered"));
        for (String[] pair : new String[][]{{"alice", "bob"}, {"bob", "alice"}}) {
            JsonObject stats = result.getJsonArray("pairs").getValuesAs(JsonObject.class).stream()
                    .filter(p -> p.getString("page").equals(pair[0]) && p.getString("from").equals(pair[1]))
                    .findFirst().orElseThrow(() -> new AssertionError("no media figures for " + pair[0] + " <- " + pair[1]));
            assertTrue(stats.getBoolean("ok"), pair[0] + " decodes and hears " + pair[1] + ": " + stats);
        }
    }

    @Test
    void aLatePageSeesEveryoneALeaverVanishesAndARejoinerKeepsItsStream() {
        JsonObject late = step("lateJoin", "late-join");
        assertEquals(3, late.getJsonObject("joinToFirstFrameMs").size(), "late page decoded " + late);
        JsonObject leave = step("leave", "leave");
        assertEquals(3, leave.getJsonObject("tileGoneMs").size(), "watchers: " + leave);
        JsonObject reconnect = step("reconnect", "reconnect");
        assertTrue(reconnect.getBoolean("ok"), "a publisher's rejoin did not continue the stream the others receive: " + reconnect);
    }

    @Test
    void aSharedScreenShowsLargeOnTheOtherPagesAndGoesWhenSharingStops() {
        JsonObject screen = step("screen", "screen-sharing");
        assertEquals(2, screen.getJsonObject("viewers").size(), "viewers: " + screen);
        assertTrue(screen.getBoolean("ok"), "the screen was not decoded in a large tile beside a playing camera: " + screen);
        assertTrue(screen.containsKey("stoppedMs"), "the screen tile did not leave when sharing stopped: " + screen);
    }

    /**
     * Simulcast by tile size (the scenario's getStats figures): a large tile gets >= 640 wide; a
     * thumbnail drops to <= 320 and keeps playing; grown again, it climbs back to >= 640 (the
     * scenario waits up to a minute for each width).
     */
    @Test
    void aThumbnailGetsTheLowSimulcastLayerAndALargeTileAHighOne() {
        JsonObject simulcast = step("simulcast", "simulcast");
        assertTrue(simulcast.getJsonObject("large").getInt("frameWidthMeanwhile") >= 640, "large tile: " + simulcast);
        assertTrue(simulcast.getJsonObject("thumbnail").getInt("frameWidthAfter5s") <= 320, "thumbnail: " + simulcast);
        assertTrue(simulcast.getJsonObject("thumbnail").getInt("framesIn5s") >= 15, "thumbnail playing (>= 3 fps): " + simulcast);
        assertTrue(simulcast.getJsonObject("grown").getInt("frameWidth") >= 640, "grown again: " + simulcast);
        assertTrue(simulcast.getJsonObject("grown").getInt("keyFramesAtSwitch") > 0, "grown again from a key frame: " + simulcast);
        assertTrue(simulcast.getBoolean("ok"), "simulcast: " + simulcast);
    }

    /**
     * Issue 12, acceptance 1 (bandwidth estimation towards each subscriber), with three pages:
     * dave's client namespace has its downlink capped at 300 kbit/s by the scenario. From his
     * page's getStats: every camera he receives drops to <= 320 wide (the SFU's estimate of his
     * downlink chose the low layer) and stays there in at least 80 % of 10 s and at its end, in which his decoded frames rise for
     * every camera in every 2 s window and under 10 % of his packets are lost (the share of samples
     * in which the other pages receive >= 640 wide meanwhile is a figure); the cap lifted, every
     * camera climbs back to >= 640 on every page (the scenario waits up to a minute for each change). How fast is the benchmark's business (./visage bench bwe).
     */
    @Test
    void aPageWhoseDownlinkIsCappedGetsTheLowLayersAndClimbsBackOnceTheCapIsLifted() {
        JsonObject capped = step("cappedDownlink", "capped-downlink");
        JsonObject round = capped.getJsonArray("rounds").getJsonObject(0);
        // Most of the window at the low layer, and there at its end: on a busy machine a probe can
        // overshoot and lift a camera to 640 for a moment (seen once in CI beside a busy loop)
        assertTrue(round.getJsonNumber("cappedLowShare").doubleValue() >= 0.8,
                "dave at <= 320 from every camera in most of the capped window: " + round);
        for (var width : round.getJsonArray("cappedFrameWidths").getValuesAs(jakarta.json.JsonNumber.class)) {
            assertTrue(width.intValue() > 0 && width.intValue() <= 320, "dave at <= 320 at the end of the capped window: " + round);
        }
        for (var window : round.getJsonArray("framesPer2sWindow").getValuesAs(jakarta.json.JsonArray.class)) {
            for (int i = 0; i < window.size(); i++) {
                assertTrue(window.getInt(i) > 0, "dave decodes every camera in every 2 s window under the cap: "
                        + round.getJsonArray("framesPer2sWindow"));
            }
        }
        assertTrue(round.getJsonNumber("cappedLossPct").doubleValue() < 10, "dave's packet loss under the cap: " + round);
        // the others' share of samples at >= 640 under the cap is a figure (their estimates sag at
        // times on a busy 2-core machine: CI and a helper's run saw one page at 320 from one camera)
        for (String page : round.getJsonObject("othersLiftedWidths").keySet()) {
            for (var width : round.getJsonObject("othersLiftedWidths").getJsonArray(page).getValuesAs(jakarta.json.JsonNumber.class)) {
                assertTrue(width.intValue() >= 640, page + " back at >= 640 wide after the step: " + round.getJsonObject("othersLiftedWidths"));
            }
        }
        for (var width : round.getJsonArray("liftedWidths").getValuesAs(jakarta.json.JsonNumber.class)) {
            assertTrue(width.intValue() >= 640, "dave back to >= 640 once the cap is lifted: " + round);
        }
    }

    /**
     * H.264 simulcast: a page opened with {@code ?codec=h264} sends its camera as H.264 in every
     * layer (its outbound-rtp), and the others decode it (inbound codec video/H264): a large tile
     * reaches >= 640 wide, a thumbnail then gets <= 320 with its frames rising, grown again it
     * climbs back to >= 640. (Whether the large tile holds >= 640 meanwhile depends on the
     * publisher's encoder, which on a loaded 2-core box pauses its upper H.264 layers at times.)
     */
    @Test
    void aCameraPublishedAsH264IsDecodedInTheLayerEachTileNeeds() {
        JsonObject h264 = step("h264", "H.264 simulcast");
        for (JsonObject layer : h264.getJsonArray("sent").getValuesAs(JsonObject.class)) {
            assertEquals("video/H264", layer.getString("codec", ""), "henry's layers: " + h264.getJsonArray("sent"));
        }
        assertTrue(h264.getJsonArray("sent").size() >= 2, "henry sends simulcast: " + h264.getJsonArray("sent"));
        for (String page : h264.getJsonObject("received").keySet()) {
            assertEquals("video/H264", h264.getJsonObject("received").getString(page, ""), page + " decodes: " + h264);
        }
        JsonObject layers = h264.getJsonObject("layers");
        assertTrue(layers.getJsonObject("large").getInt("frameWidth") >= 640, "large tile: " + layers);
        assertTrue(layers.getJsonObject("thumbnail").getInt("frameWidthAfter5s") <= 320, "thumbnail: " + layers);
        assertTrue(layers.getJsonObject("thumbnail").getInt("framesIn5s") >= 15, "thumbnail playing (>= 3 fps): " + layers);
        assertTrue(layers.getJsonObject("grown").getInt("frameWidth") >= 640, "grown again: " + layers);
        assertTrue(h264.getBoolean("ok"), "H.264 simulcast: " + h264);
    }

    /**
     * Firefox with the Chromium pages, and with the H.264 publisher in the room: Firefox here has
     * no H.264 decoder (its OpenH264 plugin is a download), so it must hear him and either decode
     * his camera or say on his tile why it is not shown, while the pairs with the VP8 pages play.
     */
    @Test
    void aFirefoxPageAndTheChromiumPagesDecodeAndHearEachOther() {
        JsonObject firefox = step("firefox", "Firefox");
        // 3 Chromium pages are in the room then (alice, bob, the late dave): 3 pairs each way
        assertEquals(6, firefox.getJsonArray("pairs").size(), "pairs: " + firefox);
        assertTrue(firefox.getBoolean("ok"), "Firefox <-> Chromium media (video playing, audio rising): " + firefox.getJsonArray("pairs"));
        JsonObject h264 = firefox.getJsonObject("h264");
        assertNotNull(h264, "no check of the H.264 publisher on the Firefox page: " + firefox);
        assertTrue(h264.getInt("audioPackets") > 0, "Firefox hears the H.264 publisher: " + h264);
        assertTrue(h264.getString("videoShown").equals("decoded") || h264.getString("note").contains("H264"),
                "Firefox decodes the H.264 camera or its tile says why not: " + h264);
    }
}
