package dev.visage.fuzz;

import org.junit.jupiter.api.DynamicTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Replays the stored inputs of fuzz targets as JUnit tests, runs quick random mutations of them in
 * this JVM ({@link #mutate}), and fuzzes targets with Jazzer for a set time ({@link #campaign}), one
 * JVM per target (libFuzzer runs once per process).
 *
 * <p>A campaign keeps its corpus under {@code target/fuzz/<name>/corpus} (it grows from run to run
 * while {@code target/} lives) and starts from the stored inputs. Every input that crashed is written
 * to {@code target/fuzz/<name>/}; with {@code keep} it is also copied into
 * {@code src/test/resources/fuzz/<name>/}, where the normal suite replays it from then on.
 */
public final class Fuzzing {

    /** An input that never returns within this time is a hang (libFuzzer's -timeout, and replay's). */
    static final Duration INPUT_TIMEOUT = Duration.ofSeconds(20);
    /**
     * Jazzer's bug detectors (SQL, LDAP, OS command injection, ...) look for what these parsers never
     * do and cost seconds of start-up; a crash here is an exception, a hang or a failed property.
     */
    private static final String[] DETECTORS = {"ClojureLangHooks", "Deserialization", "ExpressionLanguageInjection",
            "LdapInjection", "NamingContextLookup", "OsCommandInjection", "ReflectiveCall", "RegexInjection",
            "RegexRoadblocks", "ScriptEngineInjection", "ServerSideRequestForgery", "SqlInjection", "XPathInjection"};
    private static final int SHOWN_CRASHES = 5;
    private static final Pattern DONE = Pattern.compile("^Done (\\d+) runs in (\\d+) second");
    private static final Pattern FINAL_STATS = Pattern.compile("^#(\\d+)\\s+DONE\\s+cov: (\\d+).*corp: (\\d+)/");
    private static final Pattern FINDING = Pattern.compile("^(?:== Java Exception: |==\\d+== ERROR: libFuzzer: )(.*)$");
    private static final Pattern WRITTEN = Pattern.compile("Test unit written to (\\S+)");

    private Fuzzing() {
    }

    /** The targets that crashed, for an assertion message (each result was printed already). */
    public static String crashed(List<Result> results) {
        return "crashes in " + results.stream().filter(r -> !r.clean()).map(Result::target).toList()
                + " (inputs under target/fuzz/<target>/, see the lines printed above)";
    }

    /** What one campaign of one target did. */
    public record Result(String target, long inputs, long seconds, int coverage, int corpus, List<String> crashes,
                         int exitCode, Path log) {
        public boolean clean() {
            return crashes.isEmpty() && exitCode == 0;
        }

        @Override
        public String toString() {
            String line = String.format(Locale.ROOT, "fuzz %-10s %,12d inputs in %3d s, %d crash%s", target, inputs,
                    seconds, crashes.size(), crashes.size() == 1 ? "" : "es");
            if (log != null) {
                line += String.format(Locale.ROOT, ", coverage %d, corpus %d", coverage, corpus);
            }
            if (exitCode != 0 && crashes.isEmpty()) {
                line += " (jazzer exited with " + exitCode + ", see " + log + ")";
            }
            StringBuilder b = new StringBuilder(line);
            crashes.stream().limit(SHOWN_CRASHES).forEach(c -> b.append("\n    ").append(c));
            if (crashes.size() > SHOWN_CRASHES) {
                b.append("\n    ... and ").append(crashes.size() - SHOWN_CRASHES).append(" more");
            }
            return b.toString();
        }
    }

    /** Seconds per target of a campaign: {@code -Dvisage.fuzz.seconds}, what {@code ./visage fuzz N} sets. */
    public static Duration secondsPerTarget() {
        return Duration.ofSeconds(Long.getLong("visage.fuzz.seconds", 10));
    }

    /** {@code -Dvisage.fuzz.keep=true}: copy crashing inputs into the module's test resources. */
    public static boolean keepCrashes() {
        return Boolean.getBoolean("visage.fuzz.keep");
    }

    /** One dynamic test per stored input of each target (classpath {@code fuzz/<name>/}). */
    public static Stream<DynamicTest> replay(List<FuzzTarget> targets) {
        return targets.stream().flatMap(t -> storedInputs(t).stream().map(input -> DynamicTest.dynamicTest(
                t.name() + "/" + input.getFileName(), () -> {
                    byte[] bytes = Files.readAllBytes(input);
                    assertTimeoutPreemptively(INPUT_TIMEOUT, () -> {
                        t.run(bytes);
                        return null;
                    }, () -> t.name() + "/" + input.getFileName() + " hangs");
                })));
    }

    /**
     * The quick run of the normal test suite: for {@code perTarget} each, mutations of the stored
     * inputs (see {@link Mutator}) run in this JVM, where the targets are already initialized by the
     * replay. Not coverage-guided: a Jazzer campaign ({@link #campaign}) costs a JVM start per target.
     * Prints one line per target; a crashing input is written to {@code target/fuzz/<name>/}.
     */
    public static List<Result> mutate(List<FuzzTarget> targets, Duration perTarget, long seed) {
        List<Result> results = new ArrayList<>();
        for (FuzzTarget t : targets) {
            Result r = mutate(t, perTarget, new Mutator(seed, storedInputs(t).stream().map(Fuzzing::read).toList(),
                    t.maxLength()));
            System.out.println(r + " (mutations, seed " + seed + ")");
            results.add(r);
        }
        return results;
    }

    private static Result mutate(FuzzTarget t, Duration time, Mutator mutator) {
        long start = System.nanoTime();
        long deadline = start + time.toNanos();
        long inputs = 0;
        List<String> crashes = new ArrayList<>();
        while (System.nanoTime() < deadline && crashes.size() < 10) {
            byte[] input = mutator.next();
            inputs++;
            try {
                t.run(input);
            } catch (Throwable failure) {
                crashes.add(save(t, input) + ": " + failure);
            }
        }
        return new Result(t.name(), inputs, (System.nanoTime() - start) / 1_000_000_000L, 0, 0, crashes, 0, null);
    }

    private static Path save(FuzzTarget t, byte[] input) {
        try {
            Path dir = Files.createDirectories(Path.of("target", "fuzz", t.name()));
            String sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(input));
            return Files.write(dir.resolve("crash-" + sha1), input).toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> storedInputs(FuzzTarget t) {
        Path dir = inputsDirectory(t);
        if (dir == null) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path inputsDirectory(FuzzTarget t) {
        URL url = t.targetClass().getResource("/fuzz/" + t.name());
        if (url == null) {
            return null;
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Fuzzes each target for {@code perTarget}, one after the other, and prints one line per target.
     * {@code keep}: copy crashing inputs into {@code src/test/resources/fuzz/<name>/} (run from the
     * module's directory, as Maven's test runner does).
     */
    public static List<Result> campaign(List<FuzzTarget> targets, Duration perTarget, boolean keep) {
        List<Result> results = new ArrayList<>();
        for (FuzzTarget t : targets) {
            Result r = fuzz(t, perTarget, keep);
            System.out.println(r);
            results.add(r);
        }
        return results;
    }

    static Result fuzz(FuzzTarget t, Duration time, boolean keep) {
        try {
            Path work = Path.of("target", "fuzz", t.name()).toAbsolutePath();
            Path corpus = work.resolve("corpus");
            Files.createDirectories(corpus);
            try (Stream<Path> old = Files.list(work)) {
                for (Path p : old.filter(Fuzzing::isFinding).toList()) {
                    Files.delete(p);
                }
            }
            Path log = work.resolve("jazzer.log");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "-XX:+UseParallelGC", "-XX:-OmitStackTraceInFastThrow",
                    "-cp", classPath(),
                    "com.code_intelligence.jazzer.Jazzer",
                    "--target_class=" + t.targetClass().getName(),
                    "--instrumentation_includes=" + String.join(":", instrumented(t)),
                    // comparison hooks only where coverage is measured: hooking every loaded class
                    // (Typesafe config, BouncyCastle's ASN.1, ...) costs tens of seconds of start-up
                    "--custom_hook_includes=" + String.join(":", instrumented(t)),
                    "--disabled_hooks=" + disabledDetectors(),
                    "--keep_going=100",
                    "--reproducer_path=" + work,
                    "-max_total_time=" + Math.max(1, time.toSeconds()),
                    "-timeout=" + INPUT_TIMEOUT.toSeconds(),
                    "-rss_limit_mb=3072",
                    "-max_len=" + t.maxLength(),
                    "-print_final_stats=1",
                    "-artifact_prefix=" + work + "/",
                    corpus.toString()));
            Path seeds = inputsDirectory(t);
            if (seeds != null) {
                command.add(seeds.toString());
            }
            Process p = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            // generous: start-up, the run, the final merge; a hang inside one input is libFuzzer's to report
            if (!p.waitFor(time.toSeconds() + 300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("jazzer for " + t.name() + " did not stop; see " + log);
            }
            return result(t, work, log, p.exitValue(), keep);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Result result(FuzzTarget t, Path work, Path log, int exit, boolean keep) throws IOException {
        long inputs = 0;
        long seconds = 0;
        int coverage = 0;
        int corpus = 0;
        Map<String, String> found = new HashMap<>();
        String lastFinding = "?";
        for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
            Matcher m;
            if ((m = DONE.matcher(line)).find()) {
                inputs = Long.parseLong(m.group(1));
                seconds = Long.parseLong(m.group(2));
            } else if ((m = FINAL_STATS.matcher(line)).find()) {
                coverage = Integer.parseInt(m.group(2));
                corpus = Integer.parseInt(m.group(3));
            } else if ((m = FINDING.matcher(line)).find()) {
                lastFinding = m.group(1);
            } else if ((m = WRITTEN.matcher(line)).find()) {
                found.put(Path.of(m.group(1)).getFileName().toString(), lastFinding);
            }
        }
        List<String> crashes = new ArrayList<>();
        try (Stream<Path> files = Files.list(work)) {
            List<Path> findings = files.filter(Fuzzing::isFinding).sorted().toList();
            for (Path f : findings) {
                String what = found.getOrDefault(f.getFileName().toString(), "?");
                Path shown = f;
                if (keep) {
                    Path dir = Files.createDirectories(Path.of("src", "test", "resources", "fuzz", t.name()));
                    shown = Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING).toAbsolutePath();
                }
                crashes.add(shown + ": " + what);
            }
        }
        return new Result(t.name(), inputs, seconds, coverage, corpus, crashes, exit, log);
    }

    private static boolean isFinding(Path p) {
        String n = p.getFileName().toString();
        return Files.isRegularFile(p) && (n.startsWith("crash-") || n.startsWith("timeout-") || n.startsWith("oom-"));
    }

    private static List<String> instrumented(FuzzTarget t) {
        List<String> globs = new ArrayList<>();
        globs.add("dev.visage.**");
        globs.addAll(t.coverage());
        return globs;
    }

    private static String disabledDetectors() {
        StringBuilder b = new StringBuilder();
        for (String d : DETECTORS) {
            b.append(b.isEmpty() ? "" : ":").append("com.code_intelligence.jazzer.sanitizers.").append(d);
        }
        return b.toString();
    }

    /** The test class path: Surefire's own list when it runs us through a manifest-only jar. */
    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }
}
