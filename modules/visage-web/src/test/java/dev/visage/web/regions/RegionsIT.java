package dev.visage.web.regions;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Regions over real network namespaces: two nodes started with {@code ./visage run} in the "eu"
 * and "sg" namespaces (one-way delay 40 ms between the regions, ~0 inside one), Chromium pages
 * in client namespaces of each region (tests/netns/regions-scenario.sh). One run of the scenario
 * serves both tests; its JSON verdict is kept in target/regions-logs/result.json and its
 * {@code [figure]} lines are printed.
 * Skipped when not root or when chromium, ip or tc is missing (CI runs as root with them).
 */
class RegionsIT {

    private static final Path ROOT = Path.of(System.getProperty("visage.root", "../..")).toAbsolutePath().normalize();
    private static final String RUN = "it" + Long.toString(System.nanoTime() % 46656, 36);
    private static JsonObject result;
    private static Path logs;

    @BeforeAll
    static void runScenario() throws Exception {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        Assumptions.assumeTrue("0".equals(output("id", "-u")), "needs root to create network namespaces");
        Assumptions.assumeTrue(new File(chromium).canExecute(), "chromium not installed at " + chromium);
        Assumptions.assumeTrue(onPath("ip"), "ip (iproute2) not on PATH");
        Assumptions.assumeTrue(onPath("tc"), "tc (iproute2) not on PATH");
        assertTrue(onPath("node"), "node not on PATH (needed to drive Chromium)");
        assertTrue(Files.isDirectory(ROOT.resolve("tests/netns/node_modules/playwright-core"))
                        || Files.isDirectory(ROOT.resolve("tests/browser/node_modules/playwright-core")),
                "npm playwright-core missing: run `npm install` in tests/browser (see .ci/run)");

        logs = Path.of("target/regions-logs").toAbsolutePath();
        Files.createDirectories(logs);
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("tests/netns/regions-scenario.sh").toString(),
                logs.toString());
        pb.environment().put("VISAGE_REGIONS_RUN", RUN);
        long started = System.nanoTime();
        Process p = pb.start();
        Thread errors = new Thread(() -> copyProgress(p, logs.resolve("script.err")), "regions-stderr");
        errors.setDaemon(true);
        errors.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("regions scenario did not finish in 300 s; logs in " + logs);
        }
        errors.join(5000);
        String text = new String(out, StandardCharsets.UTF_8).trim();
        Files.writeString(logs.resolve("result.json"), text);
        assertTrue(text.startsWith("{") || text.contains("\n{"), "no JSON from the scenario; logs in " + logs + ":\n" + text);
        result = Json.createReader(new StringReader(text.substring(text.lastIndexOf('\n') + 1))).readObject();
        result.getJsonArray("figures").getValuesAs(jakarta.json.JsonString.class)
                .forEach(line -> System.out.println("[figure] " + line.getString()));
        System.out.printf("[figure] regions scenario: %d s in all, delay mode %s (%s), nodes up and clustered in %d ms%n",
                (System.nanoTime() - started) / 1_000_000_000L, result.getString("mode", "?"),
                result.getString("delays", "?"), result.getInt("startupMs", -1));
    }

    @AfterAll
    static void teardownNamespaces() throws Exception {
        // the script tears down on its own; this is the backstop if it was killed
        new ProcessBuilder(ROOT.resolve("tests/netns/netns.sh").toString(), "down", RUN)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
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
        assertWithin(f, "cleanMs", 15_000, "survivor free of the dead node's sessions");
        assertWithin(f, "movedMs", 15_000, "sg page back in the room on node-eu");
        assertWithin(f, "videoMs", 15_000, "sg page decoding video again");
        assertTrue(f.getInt("sgPageFramesDelta5s") >= 50, "sg page framesDecoded over 5 s: " + f.getInt("sgPageFramesDelta5s"));
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

    private static void assertScenarioRan() {
        assertNotNull(result, "scenario produced no result; logs in " + logs);
        if (result.containsKey("error") && !result.isNull("error")) {
            System.out.println("regions scenario error: " + result.getString("error"));
        }
    }

    private static void assertWithin(JsonObject f, String key, long limitMs, String what) {
        assertTrue(f.containsKey(key) && !f.isNull(key), what + ": never happened (" + f + ")");
        long ms = f.getJsonNumber(key).longValue();
        assertTrue(ms <= limitMs, what + " took " + ms + " ms (limit " + limitMs + ")");
    }

    private static void copyProgress(Process p, Path file) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(file))) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                if (line.startsWith("[figure]") || line.startsWith("[regions]")) {
                    System.out.println(line);
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    private static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(File.pathSeparator)) {
            if (new File(dir, exe).canExecute()) {
                return true;
            }
        }
        return new File("/usr/sbin/" + exe).canExecute() || new File("/sbin/" + exe).canExecute();
    }

    private static String output(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(10, TimeUnit.SECONDS) ? out : "";
        } catch (Exception e) {
            return "";
        }
    }
}
