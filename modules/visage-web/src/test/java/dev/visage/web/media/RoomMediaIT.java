package dev.visage.web.media;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 3, acceptance 1, through the real web client (tests/media/room-scenario.sh): one Visage
 * node ({@code ./visage run}) in its own network namespace, three headless Chromium pages with the
 * fake camera and microphone in a client namespace, one room. For each page and each of the two
 * others, the page's own getStats over 10 s must show inbound video framesDecoded +>= 100 with a
 * frame width > 0, inbound audio packets rising and under 1 % of packets lost. The JSON verdict is
 * kept in target/room-media-logs/result.json; its {@code [figure]} lines are printed.
 * Skipped (Assumptions) only when not root or when chromium or ip is missing.
 */
class RoomMediaIT {
    private static final Path ROOT = Path.of(System.getProperty("visage.root", "../..")).toAbsolutePath().normalize();
    private static final String RUN = "mt" + Long.toString(System.nanoTime() % 46656, 36);
    private static JsonObject result;

    @BeforeAll
    static void runScenario() throws Exception {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        Assumptions.assumeTrue("0".equals(output("id", "-u")), "needs root to create network namespaces");
        Assumptions.assumeTrue(new File(chromium).canExecute(), "chromium not installed at " + chromium);
        Assumptions.assumeTrue(onPath("ip"), "ip (iproute2) not on PATH");
        assertTrue(onPath("node"), "node not on PATH (needed to drive Chromium)");
        assertTrue(Files.isDirectory(ROOT.resolve("tests/browser/node_modules/playwright-core")),
                "npm playwright-core missing: run `npm install` in tests/browser (see .ci/run)");
        Path logs = Path.of("target/room-media-logs").toAbsolutePath();
        Files.createDirectories(logs);
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("tests/media/room-scenario.sh").toString(), logs.toString());
        pb.environment().put("VISAGE_ROOM_RUN", RUN);
        Process p = pb.start();
        Thread errors = new Thread(() -> copyProgress(p, logs.resolve("script.err")), "room-stderr");
        errors.setDaemon(true);
        errors.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(420, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("room scenario did not finish in 420 s; logs in " + logs);
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
            if (s.getInt("framesDecodedDelta") < 100) {
                failures.add(pair + ": framesDecoded +" + s.getInt("framesDecodedDelta") + " in 10 s, want >= 100");
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

    private static void copyProgress(Process p, Path file) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(file))) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                if (line.startsWith("[figure]") || line.startsWith("[room]")) {
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
