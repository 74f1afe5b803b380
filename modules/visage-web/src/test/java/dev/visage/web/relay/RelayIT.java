package dev.visage.web.relay;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The media relay between two nodes over real network namespaces (tests/relay/relay-scenario.sh):
 * node a and node b in one Hazelcast cluster, alice's Chromium page on node a, bob's and three
 * receive-only viewers' pages on node b, one room. One scenario run serves every test; its JSON
 * verdict is kept in target/relay-logs/result.json and its {@code [figure]} lines are printed.
 * Skipped (Assumptions) only when not root or when chromium or ip is missing.
 */
class RelayIT {
    private static final Path ROOT = Path.of(System.getProperty("visage.root", "../..")).toAbsolutePath().normalize();
    private static final String RUN = "yt" + Long.toString(System.nanoTime() % 46656, 36);
    private static JsonObject result;
    private static Path logs;

    @BeforeAll
    static void runScenario() throws Exception {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        Assumptions.assumeTrue("0".equals(output("id", "-u")), "needs root to create network namespaces");
        Assumptions.assumeTrue(new File(chromium).canExecute(), "chromium not installed at " + chromium);
        Assumptions.assumeTrue(onPath("ip"), "ip (iproute2) not on PATH");
        assertTrue(onPath("node"), "node not on PATH (needed to drive Chromium)");
        assertTrue(Files.isDirectory(ROOT.resolve("tests/browser/node_modules/playwright-core")),
                "npm playwright-core missing: run `npm install` in tests/browser (see .ci/run)");
        logs = Path.of("target/relay-logs").toAbsolutePath();
        Files.createDirectories(logs);
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("tests/relay/relay-scenario.sh").toString(),
                logs.toString());
        pb.environment().put("VISAGE_RELAY_RUN", RUN);
        Process p = pb.start();
        Thread errors = new Thread(() -> copyProgress(p, logs.resolve("script.err")), "relay-stderr");
        errors.setDaemon(true);
        errors.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(420, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("relay scenario did not finish in 420 s; logs in " + logs);
        }
        errors.join(5000);
        String text = new String(out, StandardCharsets.UTF_8).trim();
        Files.writeString(logs.resolve("result.json"), text);
        assertTrue(text.startsWith("{") || text.contains("\n{"), "no JSON from the scenario; logs in " + logs + ":\n" + text);
        result = Json.createReader(new StringReader(text.substring(text.lastIndexOf('\n') + 1))).readObject();
        if (result.containsKey("figures")) {
            result.getJsonArray("figures").getValuesAs(JsonString.class)
                    .forEach(line -> System.out.println("[figure] " + line.getString()));
        }
    }

    @AfterAll
    static void teardownNamespaces() throws Exception {
        // the script tears down on its own; this is the backstop if it was killed
        new ProcessBuilder(ROOT.resolve("tests/netns/netns.sh").toString(), "down", RUN)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
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
    void legIsClosedWhenTheFarSideHasLeft() {
        assertCheck("legClosedWhenFarSideLeft");
    }

    private static void copyProgress(Process p, Path file) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(file))) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                if (line.startsWith("[figure]") || line.startsWith("[relay]")) {
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
