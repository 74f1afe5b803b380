package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.codec.Vp8Descriptor;
import dev.visage.sfu.sdp.TrackInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two simulcast cameras (q 150, h 350, f 730 kbit/s, as Chromium's fake camera sends them) and
 * one audio stream (40 kbit/s) into one subscriber: the layers follow its downlink's estimate, down
 * at once, up only after the higher layers have fit with margin for a while.
 */
class LayerAllocatorTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long[] BITRATES = {150_000, 350_000, 730_000};
    private static final int[][] SIZES = {{320, 180}, {640, 360}, {1280, 720}};
    private final Subscription[] subs = new Subscription[3];
    private long now = 100 * SECOND;

    private static PublishedTrack camera(String user) {
        TrackInfo info = new TrackInfo("video", "1", 0x5EED0000 + user.hashCode(), 0x5EED1000 + user.hashCode(), "VP8", 96, 97,
                90000, null, Map.of(), "cam-" + user, null, List.of("q", "h", "f"));
        PublishedTrack t = new PublishedTrack(new Participant("r", "s-" + user, user, user), info, 64, null);
        for (int i = 0; i < 3; i++) {
            ReceiveStream l = t.layers[i];
            l.ssrc = 0x100 * (i + 1) + user.hashCode();
            l.keyFrameSize = SIZES[i][0] << 16 | SIZES[i][1];
            l.wireBitrateBps = BITRATES[i];
        }
        // the low layer's three VP8 temporal layers: 60 kbit/s for the base (7.5 fps), 90 with the middle one
        t.layers[0].highestTemporalLayer = 2;
        t.layers[0].temporalBitrateBps[0] = 60_000;
        t.layers[0].temporalBitrateBps[1] = 90_000;
        t.layers[0].temporalBitrateBps[2] = 150_000;
        return t;
    }

    @BeforeEach
    void subscriber() {
        subs[0] = new Subscription(camera("alice"), "0", null);
        subs[1] = new Subscription(camera("bob"), "1", null);
        TrackInfo mic = new TrackInfo("audio", "2", 0xA0D10, 0, "OPUS", 111, -1, 48000, null, Map.of(), "mic", null, List.of());
        PublishedTrack audio = new PublishedTrack(new Participant("r", "s-carol", "carol", "carol"), mic, 64, null);
        audio.layers[0].wireBitrateBps = 40_000;
        subs[2] = new Subscription(audio, "2", null);
    }

    /** Runs the 100 ms timer for a while at one estimate; the layers (0 q, 1 h, 2 f) the cameras get. */
    private int[] at(long estimateBps, long durationNanos) {
        return at(estimateBps, false, durationNanos);
    }

    private int[] at(long estimateBps, boolean queueStands, long durationNanos) {
        long end = now + durationNanos;
        while (now < end) {
            for (Subscription s : subs) {
                for (ReceiveStream l : s.track.layers) {
                    l.onReceived(1, now); // every layer keeps sending
                }
            }
            LayerAllocator.allocate(subs, estimateBps, queueStands, now);
            now += SECOND / 10;
        }
        return new int[]{subs[0].bandwidthRung >> 4, subs[1].bandwidthRung >> 4};
    }

    @Test
    void aRoomyEstimateGivesTheLargeLayersAtOnce() {
        assertEquals(List.of(2, 2), List.of(box(at(2_500_000, SECOND / 10))));
    }

    @Test
    void aLowEstimateDropsBothToTheLowLayerAtOnceAndTheySplitAMiddleOneFairly() {
        at(2_500_000, SECOND);
        assertEquals(List.of(0, 0), List.of(box(at(300_000, SECOND / 10))), "300 kbit/s: both on q (even if q+q+audio is more)");
        // 1 Mbit/s minus audio fits h + h (700) with margin, not f + h (1080): both rise to h, not one to f
        assertEquals(List.of(1, 1), List.of(box(at(1_000_000, 3 * SECOND))));
    }

    @Test
    void whenEvenTheLowLayersDoNotFitTheirFrameRatesAreThinned() {
        at(2_500_000, SECOND);
        // 220 kbit/s - 40 audio = 180: q base + middle temporal layers (90) for both, no more
        at(220_000, SECOND / 10);
        assertEquals(List.of(1, 1), List.of(subs[0].maxTemporalLayer(), subs[1].maxTemporalLayer()));
        // 130 - 40 = 90: the base layers (60 each) are the floor, sent whatever the estimate
        at(130_000, SECOND / 10);
        assertEquals(List.of(0, 0), List.of(subs[0].maxTemporalLayer(), subs[1].maxTemporalLayer()));
        assertEquals(List.of(0, 0), List.of(box(at(130_000, SECOND))));
        // room again: all frames of q (after the hold), then h
        at(2_000_000, 2_500_000_000L);
        assertEquals(List.of(Subscription.ALL_TEMPORAL_LAYERS, Subscription.ALL_TEMPORAL_LAYERS),
                List.of(subs[0].maxTemporalLayer(), subs[1].maxTemporalLayer()));
    }

    @Test
    void risingWaitsForTheEstimateToHoldWithMargin() {
        at(300_000, SECOND);
        // 600 kbit/s: h + q + audio = 540 fits, but not with the 15 % margin: stays on q for good
        assertEquals(List.of(0, 0), List.of(box(at(600_000, 10 * SECOND))));
        // 2 Mbit/s: not before the hold time, one layer at a time after it
        int[] early = at(2_000_000, SECOND);
        assertEquals(List.of(0, 0), List.of(box(early)), "no rise within a second");
        assertEquals(List.of(2, 2), List.of(box(at(2_000_000, 1_500_000_000L))), "up after ~2 s, as far as fits with margin");
    }

    @Test
    void nothingRisesWhileAQueueStandsAndTheHoldStartsOverOnceItDrained() {
        at(300_000, SECOND);
        assertEquals(List.of(0, 0), List.of(box(at(2_000_000, true, 5 * SECOND))), "a queue stands: no rise");
        assertEquals(List.of(0, 0), List.of(box(at(2_000_000, SECOND))), "drained: the 2 s hold starts now");
        assertEquals(List.of(2, 2), List.of(box(at(2_000_000, 1_500_000_000L))));
        // and a cut is still followed at once
        assertEquals(List.of(0, 0), List.of(box(at(300_000, true, SECOND / 10))));
    }

    @Test
    void aRiseThatDidNotFitMakesTheNextWaitLonger() {
        at(300_000, SECOND);
        at(1_000_000, 2_500_000_000L); // risen to h
        assertEquals(1, subs[0].bandwidthRung >> 4);
        at(300_000, SECOND / 10);      // and down again at once: the rise failed
        assertEquals(0, subs[0].bandwidthRung >> 4);
        assertEquals(List.of(0, 0), List.of(box(at(1_000_000, 3 * SECOND))), "now it waits 4 s, not 2");
        assertEquals(List.of(1, 1), List.of(box(at(1_000_000, 1_500_000_000L))));
    }

    @Test
    void aProbeThatFoundRoomForgetsTheFailedRises() {
        at(300_000, SECOND);
        at(1_000_000, 2_500_000_000L); // risen to h
        at(300_000, SECOND / 10);      // and down again at once: the rise failed, the next waits 4 s
        LayerAllocator.forgetFailedRises(subs);
        assertEquals(List.of(1, 1), List.of(box(at(1_000_000, 2_500_000_000L))), "back to the 2 s hold");
    }

    @Test
    void whatAProbeMustFindRoomForIsTheLayersTheSizesAskFor() {
        at(300_000, SECOND / 10);
        assertEquals(40_000 + 730_000 + 730_000, LayerAllocator.wantedBps(subs, now));
        subs[0].requestSize(640, 360);
        assertEquals(40_000 + 350_000 + 730_000, LayerAllocator.wantedBps(subs, now));
    }

    @Test
    void theSizeAskedForStillCaps() {
        subs[0].requestSize(320, 180);
        assertEquals(List.of(0, 2), List.of(box(at(5_000_000, SECOND))));
    }

    /**
     * Both cameras forward f (730 kbit/s) when the estimate falls: to 1.3 Mbit/s (a sag; f still
     * fits the whole budget) the one moved to h keeps sending f until h's key frame; to 300 kbit/s
     * (a cap: f alone is more than all of it) both stop f at its next frame.
     */
    @Test
    void aLayerCostingMoreThanTheWholeEstimateStopsBeforeItsSwitchAndASagDoesNotStopIt() {
        at(2_500_000, SECOND);
        for (Subscription s : subs) {
            if (s.track.simulcast) {
                assertTrue(s.accepts(2, 1, true, Vp8Descriptor.NONE, true), "f's key frame starts it");
            }
        }
        assertEquals(List.of(2, 1), List.of(box(at(1_300_000, SECOND / 10))), "one stays on f, one moves to h");
        assertTrue(subs[1].accepts(2, 2, false, Vp8Descriptor.NONE, true), "a sag: f goes on until h's key frame");
        assertEquals(2, subs[1].currentLayer());

        assertEquals(List.of(0, 0), List.of(box(at(300_000, SECOND / 10))));
        for (Subscription s : new Subscription[]{subs[0], subs[1]}) {
            assertFalse(s.accepts(2, 3, false, Vp8Descriptor.NONE, true), "a cap: f's next frame is not sent");
            assertEquals(LayerSelector.ANY, s.currentLayer());
            assertTrue(s.accepts(0, 1, true, Vp8Descriptor.NONE, true), "q's key frame starts it again");
        }
    }

    private static Integer[] box(int[] a) {
        return new Integer[]{a[0], a[1]};
    }
}
