package dev.visage.web.scenario;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import org.junit.jupiter.api.Assumptions;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A browser scenario in network namespaces (tests/&lt;name&gt;/*-scenario.sh), run the way the
 * media ITs need it: skipped only when the machine cannot make namespaces or has no Chromium,
 * progress and {@code [figure]} lines echoed, the one-line JSON verdict on stdout returned, and the
 * run's namespaces torn down even if the script was killed.
 */
public final class ScenarioScript {

    public static final Path ROOT =
            Path.of(System.getProperty("visage.root", "../..")).toAbsolutePath().normalize();

    private final Path script;
    private final String runVariable;
    private final String run;
    private final Path logs;
    private final Duration timeout;
    private final Map<String, String> environment = new HashMap<>();

    /**
     * @param script      path of the script from the repository root
     * @param runVariable environment variable through which the script takes its run id
     * @param runPrefix   two letters that make this IT's namespaces recognisable
     * @param logsDir     where logs and result.json go, relative to the module
     */
    public ScenarioScript(String script, String runVariable, String runPrefix, String logsDir, Duration timeout) {
        this.script = ROOT.resolve(script);
        this.runVariable = runVariable;
        this.run = runPrefix + Long.toString(System.nanoTime() % 46656, 36);
        this.logs = Path.of(logsDir).toAbsolutePath();
        this.timeout = timeout;
    }

    /** Sets an environment variable of the script (a scenario's variant). */
    public ScenarioScript with(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public Path logs() {
        return logs;
    }

    /** Skips when not root or a tool is missing; fails when the Node side was not installed. */
    public void assumeRunnable(String... tools) {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        Assumptions.assumeTrue("0".equals(output("id", "-u")), "needs root to create network namespaces");
        Assumptions.assumeTrue(new File(chromium).canExecute(), "chromium not installed at " + chromium);
        for (String tool : tools) {
            Assumptions.assumeTrue(onPath(tool), tool + " not on PATH");
        }
        assertTrue(onPath("node"), "node not on PATH (needed to drive Chromium)");
        assertTrue(Files.isDirectory(ROOT.resolve("tests/browser/node_modules/playwright-core")),
                "npm playwright-core missing: run `npm install` in tests/browser (see .ci/run)");
    }

    /** Runs the scenario and returns its verdict; its figures are printed as {@code [figure]} lines. */
    public JsonObject run() throws Exception {
        Files.createDirectories(logs);
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), logs.toString());
        builder.environment().putAll(environment);
        builder.environment().put(runVariable, run);
        Process process = builder.start();
        Thread progress = new Thread(() -> copyProgress(process, logs.resolve("script.err")), "scenario-stderr");
        progress.setDaemon(true);
        progress.start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(script.getFileName() + " did not finish in " + timeout + "; logs in " + logs);
        }
        progress.join(5000);
        String text = new String(out, StandardCharsets.UTF_8).trim();
        Files.writeString(logs.resolve("result.json"), text);
        assertTrue(text.startsWith("{") || text.contains("\n{"), "no JSON from the scenario; logs in " + logs + ":\n" + text);
        JsonObject result = Json.createReader(new StringReader(text.substring(text.lastIndexOf('\n') + 1))).readObject();
        if (result.containsKey("figures")) {
            result.getJsonArray("figures").getValuesAs(JsonString.class)
                    .forEach(line -> System.out.println("[figure] " + line.getString()));
        }
        return result;
    }

    /** Backstop: the script tears its namespaces down itself unless it was killed. */
    public void tearDown() throws Exception {
        new ProcessBuilder(ROOT.resolve("tests/netns/netns.sh").toString(), "down", run)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                .waitFor(60, TimeUnit.SECONDS);
    }

    private static void copyProgress(Process process, Path file) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(file))) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                if (line.startsWith("[")) {
                    System.out.println(line);
                }
            }
        } catch (IOException ended) {
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
