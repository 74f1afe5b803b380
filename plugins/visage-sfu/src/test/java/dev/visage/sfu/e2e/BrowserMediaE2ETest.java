package dev.visage.sfu.e2e;

import dev.visage.sfu.harness.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real media through the SFU, proven by Chromium's own getStats: three headless Chromium pages
 * in a private network namespace (unshare -n) publish fake camera + microphone through an
 * in-process SfuEngine (test harness signalling over HTTP) and each must decode the others.
 * Then page 0 mutes its audio (page 1 must hear of it) and the last page leaves (page 0 must see
 * its tracks removed, and keep decoding the remaining page after the renegotiation); then a new
 * page joins: everyone decodes it, it decodes everyone, and page 0's subscribe SDP keeps its
 * number of m-sections (the leaver's inactive ones are recycled). Finally the late page's browser is
 * closed without a leave: the SFU must report {type:"media-failed"} to it (consent expiry).
 * Skipped with a message when chromium, node, tests/browser/node_modules or unshare are missing.
 * Set VISAGE_E2E_PAGES / VISAGE_E2E_SECONDS to change the load.
 */
@Tag("browser")
class BrowserMediaE2ETest {

    /**
     * Video "plays" at >= 3 fps on average (tests/browser/sfu-e2e.mjs says the same): the fake
     * camera sends 30, a busy 2-core machine makes Chromium encode fewer, a frozen stream decodes
     * none. How well it plays is a benchmark's figure, not a test's limit.
     */
    private static final int PLAYING_FPS = 3;

    @Test
    void threeChromiumPagesDecodeEachOthersAudioAndVideo() throws Exception {
        Path repo = findRepoRoot();
        Path browserDir = repo.resolve("tests/browser");
        assumeBrowserEnvironment(browserDir);

        int pages = Integer.parseInt(System.getenv().getOrDefault("VISAGE_E2E_PAGES", "3"));
        int seconds = Integer.parseInt(System.getenv().getOrDefault("VISAGE_E2E_SECONDS", "10"));
        Path logs = Files.createDirectories(repo.resolve("plugins/visage-sfu/target/e2e-logs"));
        ProcessBuilder pb = new ProcessBuilder("unshare", "-n", "bash", browserDir.resolve("run-sfu-e2e.sh").toString(),
                System.getProperty("java.class.path"),
                repo.resolve("modules/visage-web/src/main/webapp/js/media.js").toString(),
                String.valueOf(pages), String.valueOf(seconds));
        pb.environment().put("VISAGE_E2E_LOGDIR", logs.toString());
        pb.redirectError(logs.resolve("script.err").toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "e2e script timed out");
        String json = new String(out, StandardCharsets.UTF_8).trim();
        Files.writeString(logs.resolve("result.json"), json);
        System.out.println("e2e result: " + json);
        String last = json.substring(json.lastIndexOf("\n{") + 1);
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) Json.parse(last);
        assertEquals(null, result.get("error"), "e2e script error; logs in " + logs);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> perPage = (List<Map<String, Object>>) result.get("perPage");
        assertEquals(pages, perPage.size());
        for (Map<String, Object> page : perPage) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> inbound = (List<Map<String, Object>>) page.get("inbound");
            long videos = inbound.stream().filter(s -> "video".equals(s.get("kind"))).count();
            long audios = inbound.stream().filter(s -> "audio".equals(s.get("kind"))).count();
            assertTrue(videos >= pages - 1 && audios >= pages - 1, page.get("page") + " lacks remote streams: " + inbound);
            for (Map<String, Object> s : inbound) {
                double loss = ((Number) s.get("lossPct")).doubleValue();
                assertTrue(loss < 1.0, page.get("page") + " loss " + loss + "% on " + s);
                if ("video".equals(s.get("kind"))) {
                    assertTrue(((Number) s.get("framesDecodedDelta")).longValue() >= PLAYING_FPS * seconds,
                            page.get("page") + " video not playing (want >= " + PLAYING_FPS + " fps on average): " + s);
                    assertTrue(((Number) s.get("frameWidth")).longValue() > 0, page.get("page") + " no frame size: " + s);
                } else {
                    assertTrue(((Number) s.get("packetsReceivedDelta")).longValue() > 0, page.get("page") + " no audio: " + s);
                }
            }
        }
        // Issue 3, forwarding: a publisher's reconnect (lost connection, then a new session of the
        // same user) continues the stream the others receive: same mid, SSRC and receiver track,
        // no sequence jump (loss < 1 %), decoding again, the tile under the new session
        @SuppressWarnings("unchecked")
        Map<String, Object> reconnect = (Map<String, Object>) result.get("reconnect");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> watchers = (List<Map<String, Object>>) reconnect.get("perWatcher");
        for (Map<String, Object> w : watchers) {
            System.out.println("[figure] publisher reconnect seen by " + w.get("page") + ": first frame of the continued stream "
                    + w.get("resumedAfterDropMs") + " ms after the drop, then " + w.get("framesIn5s") + " frames in 5 s; video lost "
                    + w.get("videoLostDuring") + " of " + w.get("videoReceivedDuring") + ", audio lost " + w.get("audioLostDuring")
                    + " of " + w.get("audioReceivedDuring") + "; same mid/SSRC/receiver track " + w.get("sameMid") + "/"
                    + w.get("sameSsrc") + "/" + w.get("sameReceiverTrack") + "; m-lines " + w.get("mLinesBefore") + " -> "
                    + w.get("mLinesAfter") + "; tiles " + w.get("tilesAfter"));
            assertEquals(Boolean.TRUE, w.get("ok"), "a publisher's reconnect broke the stream: " + w);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> sig = (Map<String, Object>) result.get("signalling");
        assertEquals(Boolean.TRUE, sig.get("muteSeen"), "mute did not reach the other page");
        assertEquals(Boolean.TRUE, sig.get("leaveSeen"), "a leaving page's tracks were not removed");
        if (pages >= 3) {
            assertTrue(((Number) sig.get("framesAfterLeave")).longValue() >= PLAYING_FPS * 3, "media stopped after a leave: " + sig);
        }
        assertTrue(((Number) sig.get("lateDecoded")).longValue() >= 30, "a page joining after the leave was not decoded: " + sig);
        assertTrue(((Number) sig.get("lateSeesOthers")).longValue() >= pages - 1, "the late page does not see everyone: " + sig);
        assertEquals(((Number) sig.get("mLinesBeforeJoin")).longValue(), ((Number) sig.get("mLinesAfterJoin")).longValue(),
                "inactive m-sections were not recycled: " + sig);
        // Acceptance 2 (issue 3): key-frame request on a late join, and a leave reaching the grids
        System.out.println("[figure] late page first decoded frame, max over its " + sig.get("lateFirstFrameRemotes")
                + " remote videos: " + sig.get("lateFirstFrameMaxAfterSubscribeConnectedMs")
                + " ms after its subscribe PeerConnection connected (" + sig.get("lateFirstFrameMaxAfterJoinMs")
                + " ms after its join; subscribe connected " + sig.get("lateSubscribeConnectedAfterJoinMs")
                + " ms after join; getStats polled every 100 ms) per remote: " + sig.get("lateFirstFrame"));
        System.out.println("[figure] leaver's tile gone from the other pages' grids: max " + sig.get("tileGoneMaxMs")
                + " ms after the leave request, per page: " + sig.get("tileGone"));
        assertTrue(((Number) sig.get("lateFirstFrameRemotes")).longValue() >= pages - 1,
                "the late page did not decode every remote video: " + sig.get("lateFirstFrame"));
        assertTrue(sig.get("lateFirstFrameMaxAfterSubscribeConnectedMs") instanceof Number,
                "the late page's subscribe PeerConnection never reported connected: " + sig);
        // how fast the late page decodes and the leaver's tile goes is ./visage bench join's figure
        assertTrue(sig.get("tileGoneMaxMs") instanceof Number && ((Number) sig.get("tileGoneMaxMs")).longValue() >= 0,
                "the leaver's tile never disappeared: " + sig.get("tileGone"));
        @SuppressWarnings("unchecked")
        Map<String, Object> metrics = (Map<String, Object>) result.get("metrics");
        if (metrics != null) {
            System.out.println("[figure] SFU: forwarded " + metrics.get("visage_sfu_rtp_forwarded_total")
                    + ", retransmissions " + metrics.get("visage_sfu_retransmissions_total")
                    + ", suppressed " + metrics.get("visage_sfu_retransmissions_suppressed_total")
                    + " (rtt " + metrics.get("visage_sfu_retransmissions_suppressed_rtt_total")
                    + ", count " + metrics.get("visage_sfu_retransmissions_suppressed_count_total")
                    + ", budget " + metrics.get("visage_sfu_retransmissions_suppressed_budget_total") + ")");
        }
        assertTrue(((Number) sig.get("vanishedDetectedMs")).longValue() >= 0,
                "a browser closed without a leave was never reported as media-failed: " + sig);
        assertEquals(Boolean.TRUE, result.get("ok"));
    }

    /**
     * Issue 3, acceptance 3: 5 % packet loss on the link between the browsers and the SFU, both
     * directions. This kernel has no sch_netem, so `tc netem` cannot impose it; instead
     * run-sfu-e2e.sh (VISAGE_E2E_SCENARIO=loss) puts the SFU harness and the browsers in two child
     * namespaces joined through tests/netns/delay-switch.py, a user-space Ethernet switch whose
     * link rule `browsers <> sfu 0 0 5` drops each frame (RTP, RTCP, STUN, signalling TCP) with
     * probability 5 % in each direction, as netem would. (The SFU's test-only
     * visage.sfu.debug.drop-rtp-percent knob is not used: it cannot drop RTCP/STUN nor model a link.)
     * Two pages publish to each other for 4 x 5 s. Asserted: every subscriber keeps decoding (frames
     * in every 5 s slice, under 2.5 s of freezes in all: one unrecovered packet stalls Chromium ~3 s
     * until its key-frame request, see sfu-loss-e2e.mjs), its Chromium sent NACKs (inbound-rtp
     * nackCount rising), the SFU answered
     * NACKs (retransmissions > 0), the publishers answered the SFU's NACKs (outbound-rtp
     * retransmittedPacketsSent rising), and the switch really dropped ~5 % each way.
     * VISAGE_E2E_LOSS changes the percentage.
     */
    @Test
    void fivePercentLossKeepsVideoDecodingAndNacksAreAnswered() throws Exception {
        Path repo = findRepoRoot();
        Path browserDir = repo.resolve("tests/browser");
        assumeBrowserEnvironment(browserDir);
        Assumptions.assumeTrue(onPath("python3"), "python3 (for tests/netns/delay-switch.py) not on PATH");
        Assumptions.assumeTrue(onPath("ip") && run(List.of("unshare", "-n", "bash", "-c",
                "ip netns add vse$$p && ip netns del vse$$p")) == 0, "cannot create named network namespaces (ip netns)");
        Path logs = Files.createDirectories(repo.resolve("plugins/visage-sfu/target/e2e-logs"));
        Files.deleteIfExists(logs.resolve("switch-stats.json"));
        ProcessBuilder pb = new ProcessBuilder("unshare", "-n", "bash", browserDir.resolve("run-sfu-e2e.sh").toString(),
                System.getProperty("java.class.path"),
                repo.resolve("modules/visage-web/src/main/webapp/js/media.js").toString(), "2", "4:5");
        pb.environment().put("VISAGE_E2E_LOGDIR", logs.toString());
        pb.environment().put("VISAGE_E2E_SCENARIO", "loss");
        pb.redirectError(logs.resolve("loss-script.err").toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "loss e2e script timed out");
        String json = new String(out, StandardCharsets.UTF_8).trim();
        Files.writeString(logs.resolve("loss-result.json"), json);
        System.out.println("loss e2e result: " + json);
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) Json.parse(json.substring(json.lastIndexOf("\n{") + 1));
        assertEquals(null, result.get("error"), "loss e2e script error; logs in " + logs);
        @SuppressWarnings("unchecked")
        Map<String, Object> sfu = (Map<String, Object>) result.get("sfu");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> perPage = (List<Map<String, Object>>) result.get("perPage");
        Path statsFile = logs.resolve("switch-stats.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> sw = Files.exists(statsFile) ? (Map<String, Object>) Json.parse(Files.readString(statsFile)) : Map.of();
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> pairs = (Map<String, Map<String, Object>>) sw.getOrDefault("pairs", Map.of());
        for (Map.Entry<String, Map<String, Object>> e : pairs.entrySet()) {
            long frames = ((Number) e.getValue().get("frames")).longValue();
            long lost = ((Number) e.getValue().get("lost")).longValue();
            System.out.printf("[figure] loss switch %s: %d frames dropped of %d (%.2f %%)%n", e.getKey(), lost, frames + lost,
                    100.0 * lost / Math.max(1, frames + lost));
        }
        long publisherRtx = 0;
        for (Map<String, Object> page : perPage) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> videos = (List<Map<String, Object>>) page.get("video");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> outs = (List<Map<String, Object>>) page.get("outboundVideo");
            for (Map<String, Object> v : videos) {
                System.out.println("[figure] loss " + page.get("page") + " receives video: framesDecoded +" + v.get("framesDecodedDelta")
                        + " in 20 s (per 5 s: " + v.get("framesDecodedPerSlice") + "), inbound-rtp nackCount +" + v.get("nackCountDelta")
                        + ", retransmittedPacketsReceived +" + v.get("retransmittedPacketsReceivedDelta")
                        + ", packetsLost +" + v.get("packetsLostDelta") + " vs " + v.get("packetsReceivedDelta")
                        + " packetsReceived on the media SSRC (" + String.format("%.1f", ((Number) v.get("residualLossPct")).doubleValue())
                        + " %; RTX-recovered packets are not subtracted there), freezes +" + v.get("freezeCountDelta")
                        + " (" + v.get("freezesSeconds") + " s), PLIs +" + v.get("pliCountDelta")
                        + ", key frames decoded +" + v.get("keyFramesDecodedDelta"));
            }
            for (Map<String, Object> o : outs) {
                publisherRtx += ((Number) o.get("retransmittedPacketsSentDelta")).longValue();
                System.out.println("[figure] loss " + page.get("page") + " publishes video: outbound-rtp retransmittedPacketsSent +"
                        + o.get("retransmittedPacketsSentDelta") + " (nackCount +" + o.get("nackCountDelta") + ") of "
                        + o.get("packetsSentDelta") + " packets sent");
            }
        }
        System.out.println("[figure] loss SFU in 20 s: forwarded " + sfu.get("rtpForwarded") + ", NACKed packets "
                + sfu.get("nackRequestedPackets") + ", retransmissions " + sfu.get("retransmissions") + ", not in cache "
                + sfu.get("retransmissionsMissing") + ", suppressed " + sfu.get("suppressed") + " (rtt " + sfu.get("suppressedRtt")
                + ", count " + sfu.get("suppressedCount") + ", budget " + sfu.get("suppressedBudget") + "), NACKs to publishers "
                + sfu.get("nacksSentToPublishers") + ", recovered from publishers " + sfu.get("recoveredFromPublishers")
                + " (gap to recovery mean " + sfu.get("recoveryMeanMs") + " ms, max " + sfu.get("recoveryMaxMs") + " ms; given up "
                + sfu.get("gaveUpOnPublishers") + "), RTX dropped (padding probes, duplicates, late) " + sfu.get("droppedRtx"));
        assertEquals(2, pairs.size(), "the delay switch saw no traffic both ways: " + sw);
        for (Map.Entry<String, Map<String, Object>> e : pairs.entrySet()) {
            long frames = ((Number) e.getValue().get("frames")).longValue();
            long lost = ((Number) e.getValue().get("lost")).longValue();
            double pct = 100.0 * lost / Math.max(1, frames + lost);
            assertTrue(pct > 2.5 && pct < 8, "the switch did not drop ~5 % on " + e.getKey() + ": " + e.getValue());
        }
        assertEquals(2, perPage.size());
        for (Map<String, Object> page : perPage) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> videos = (List<Map<String, Object>>) page.get("video");
            assertEquals(1, videos.size(), page.get("page") + " lacks the remote video: " + page);
            for (Map<String, Object> v : videos) {
                @SuppressWarnings("unchecked")
                List<Number> slices = (List<Number>) v.get("framesDecodedPerSlice");
                assertTrue(slices.stream().allMatch(n -> n.longValue() > 0), page.get("page") + " stopped decoding under loss: " + v);
                assertTrue(((Number) v.get("freezesSeconds")).doubleValue() < 2.5, page.get("page") + " froze under loss: " + v);
                assertTrue(((Number) v.get("nackCountDelta")).longValue() > 0, page.get("page") + " sent no NACKs under loss: " + v);
            }
        }
        assertTrue(((Number) sfu.get("retransmissions")).longValue() > 0, "the SFU answered no NACK: " + sfu);
        assertTrue(((Number) sfu.get("nacksSentToPublishers")).longValue() > 0, "the SFU NACKed no publisher loss: " + sfu);
        assertTrue(publisherRtx > 0, "no publisher answered the SFU's NACKs (retransmittedPacketsSent): " + perPage);
        assertEquals(Boolean.TRUE, result.get("ok"));
    }

    private static void assumeBrowserEnvironment(Path browserDir) {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        Assumptions.assumeTrue(new File(chromium).canExecute(), "chromium not installed at " + chromium + " (apt-get install chromium)");
        Assumptions.assumeTrue(onPath("node"), "node not on PATH");
        Assumptions.assumeTrue(Files.isDirectory(browserDir.resolve("node_modules/playwright-core")),
                "run `npm install` in tests/browser first");
        Assumptions.assumeTrue(onPath("unshare") && run(List.of("unshare", "-n", "true")) == 0,
                "cannot create a network namespace (unshare -n)");
    }

    private static Path findRepoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("tests/browser"))) {
            p = p.getParent();
        }
        Assumptions.assumeTrue(p != null, "repository root (with tests/browser) not found");
        return p;
    }

    private static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, exe).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static int run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (Exception e) {
            return -1;
        }
    }
}
