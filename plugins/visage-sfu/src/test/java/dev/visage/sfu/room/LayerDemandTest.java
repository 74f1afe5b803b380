package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.sdp.TrackInfo;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a far node's consumer asks the origin to relay of a simulcast camera (q 320x180, h 640x360,
 * f 1280x720): every layer up to the one its tile's size calls for, whatever its downlink allows
 * now, so its allocator can climb back without waiting for a layer to start crossing.
 */
class LayerDemandTest {
    private static final int[][] SIZES = {{320, 180}, {640, 360}, {1280, 720}};

    private static PublishedTrack relayedCamera(boolean sizesKnown) {
        TrackInfo info = new TrackInfo("video", "relay", 0x5EED, 0x5EEE, "VP8", 96, 97, 90000, "", Map.of(), "cam", null,
                List.of("q", "h", "f"));
        PublishedTrack t = new PublishedTrack(new Participant("r", "s-a", "a", "a"), info, new int[]{11, 12, 13}, 64, null);
        for (int i = 0; i < 3; i++) {
            t.layers[i].keyFrameSize = sizesKnown || i < 2 ? SIZES[i][0] << 16 | SIZES[i][1] : 0;
        }
        return t;
    }

    @Test
    void theRelayedTracksStreamsAreKnownByTheAnnouncedSsrcs() {
        PublishedTrack t = relayedCamera(true);
        assertEquals(List.of(11, 12, 13), java.util.Arrays.stream(t.layers).map(l -> l.ssrc).toList());
        assertEquals(List.of("q", "h", "f"), java.util.Arrays.stream(t.layers).map(l -> l.rid).toList());
    }

    /** The far node's receive steps (count, cache, inspect, fan out) learn each layer's size and allocate nothing. */
    @Test
    void relayedLayersAreCountedAndSizedWithoutAllocating() {
        PublishedTrack t = relayedCamera(false);
        Room room = new Room("r", new dev.visage.sfu.SfuMetrics());
        byte[][] packets = new byte[3][];
        for (int l = 0; l < 3; l++) {
            packets[l] = dev.visage.sfu.codec.Vp8DescriptorTest.rtp(11 + l, 0, 0, 1, 1, true, SIZES[l][0], SIZES[l][1]);
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = 0;
        for (int i = 0; i < 150_000; i++) {
            if (i == 30_000) {
                before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            }
            byte[] p = packets[i % 3];
            dev.visage.sfu.rtp.RtpPacket.setSequence(p, 0, (i / 3) & 0xFFFF);
            room.forwardRelayedRtp(t, i % 3, p, 0, p.length);
        }
        long bytes = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertEquals(1280 << 16 | 720, t.layers[2].keyFrameSize, "f's size from its key frame");
        assertEquals(50_000, t.layers[1].packetsReceived);
        org.junit.jupiter.api.Assertions.assertTrue(bytes < 16 * 1024, bytes + " bytes allocated over 120000 packets");
    }

    @Test
    void aConsumerWantsEveryLayerUpToWhatItsSizeCallsFor() {
        Subscription s = new Subscription(relayedCamera(true), "0", null);
        assertEquals(0b111, s.layerDemand(), "no size asked for: as large as there is");
        s.requestSize(160, 90);
        assertEquals(0b001, s.layerDemand(), "a thumbnail: only q");
        s.requestSize(600, 338);
        assertEquals(0b011, s.layerDemand(), "a middle tile: q and h (the allocator may drop to q)");
        s.requestSize(1920, 1080);
        assertEquals(0b111, s.layerDemand(), "larger than any layer: all");
        s.requestSize(0, 0);
        assertEquals(0b001, s.layerDemand(), "hidden: the smallest");
    }

    @Test
    void theLayerForwardedOrAwaitedStaysWantedUntilTheSwitch() {
        Subscription s = new Subscription(relayedCamera(true), "0", null);
        assertEquals(true, s.accepts(2, 100, true), "f's key frame starts the stream");
        s.requestSize(160, 90);
        assertEquals(0b101, s.layerDemand(), "q for the tile, f until q's key frame switches it");
        s.retarget(1, 0);
        assertEquals(0b111, s.layerDemand());
    }

    @Test
    void aLayerOfUnknownSizeMakesEveryLayerWanted() {
        Subscription s = new Subscription(relayedCamera(false), "0", null);
        s.requestSize(160, 90);
        assertEquals(0b111, s.layerDemand(), "f has sent no key frame here yet: it must cross to be known");
    }

    @Test
    void aTrackWithoutLayersIsAlwaysWantedWhole() {
        TrackInfo mic = new TrackInfo("audio", "relay", 42, 0, "OPUS", 111, -1, 48000, "", Map.of(), "mic");
        Subscription s = new Subscription(new PublishedTrack(new Participant("r", "s-a", "a", "a"), mic, 64, null), "1", null);
        s.requestSize(0, 0);
        assertEquals(0b1, s.layerDemand());
        assertEquals(1, new Room("r", new dev.visage.sfu.SfuMetrics()).layerDemand(s.track), "no subscriber here: the first layer");
    }
}
