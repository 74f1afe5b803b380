package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.codec.Vp8Descriptor;
import dev.visage.sfu.codec.Vp8DescriptorTest;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.sdp.TrackInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A consumer of a three-layer VP8 simulcast track: one layer at a time, switching only at a key
 * frame of the layer the subscriber's size calls for, one continuous stream on the track's SSRC.
 */
class SimulcastConsumerTest {
    static final int SSRC = 0x5EED0001;
    static final int[] LAYER_SSRCS = {0x100, 0x200, 0x300};
    static final int[][] SIZES = {{320, 180}, {640, 360}, {1280, 720}};
    private PublishedTrack track;
    private Subscription consumer;
    private final long t0 = 5_000_000_000L;
    // each layer's own numbering, as three encoders would have it
    private final int[] seq = {1000, 20000, 65530};
    private final int[] ts = {90_000, 7_000_000, -1000};
    private final int[] pid = {5, 0x7FFE, 300};
    private final int[] tl0 = {250, 3, 77};

    @BeforeEach
    void track() {
        TrackInfo info = new TrackInfo("video", "1", SSRC, SSRC + 1, "VP8", 96, 97, 90000, null, Map.of(), "cam", null,
                List.of("q", "h", "f"));
        track = new PublishedTrack(new Participant("r", "s1", "alice", "Alice"), info, 64, null);
        for (int i = 0; i < 3; i++) {
            ReceiveStream l = track.layers[i];
            l.ssrc = LAYER_SSRCS[i];
            l.keyFrameSize = SIZES[i][0] << 16 | SIZES[i][1];
            l.onReceived(seq[i], t0);
        }
        consumer = new Subscription(track, "0", null);
    }

    /** The next packet of a layer (a key frame's first packet, or part of a delta frame) at `now`. */
    private byte[] next(int layer, boolean keyFrame, boolean newFrame, long now) {
        if (newFrame) {
            pid[layer]++;
            tl0[layer]++;
            ts[layer] += 3000;
        }
        seq[layer] = (seq[layer] + 1) & 0xFFFF;
        track.layers[layer].onReceived(seq[layer], now);
        return Vp8DescriptorTest.rtp(LAYER_SSRCS[layer], seq[layer], ts[layer], pid[layer] & 0x7FFF, tl0[layer] & 0xFF,
                keyFrame, SIZES[layer][0], SIZES[layer][1]);
    }

    /** Offers a packet to the consumer as the forwarding loop does; the subscriber's copy, or null. */
    private byte[] forward(int layer, byte[] p, long now) {
        boolean key = Vp8Descriptor.isKeyFrameStart(p, 12, p.length - 12);
        if (!consumer.accepts(layer, RtpPacket.sequence(p, 0), key)) {
            return null;
        }
        consumer.rewriteRtp(p, 0, p.length, now);
        return p;
    }

    private static int pictureId(byte[] p) {
        return Vp8Descriptor.pictureId(p, 14);
    }

    @Test
    void aLargeTileGetsTheTopLayerAndAThumbnailTheLowOneAfterItsKeyFrame() {
        consumer.requestSize(1280, 720);
        assertEquals(2, consumer.updateTargetLayer(t0), "waits for a key frame of the top layer");
        assertEquals(LayerSelector.ANY, consumer.updateTargetLayer(t0 + 100_000_000L), "asked once, not on every tick");
        assertEquals(2, consumer.updateTargetLayer(t0 + Subscription.KEY_FRAME_RETRY_NANOS), "asked again a second later");
        assertEquals(null, forward(0, next(0, true, true, t0), t0), "another layer's key frame is not the one awaited");
        assertEquals(null, forward(2, next(2, false, true, t0), t0), "no start in the middle of a delta frame");
        byte[] first = forward(2, next(2, true, true, t0 + 1), t0 + 1);
        assertTrue(first != null);
        assertEquals(SSRC, RtpPacket.ssrc(first, 0), "the subscriber's SSRC, not the layer's");
        assertEquals(2, consumer.currentLayer());
        assertEquals(LayerSelector.ANY, consumer.updateTargetLayer(t0 + 2), "nothing to wait for");
        int seqOut = RtpPacket.sequence(first, 0);
        long tsOut = RtpPacket.timestamp(first, 0);
        int pidOut = pictureId(first);
        for (int k = 1; k <= 3; k++) {
            byte[] p = forward(2, next(2, false, true, t0 + k * 33_000_000L), t0 + k * 33_000_000L);
            assertEquals((seqOut + k) & 0xFFFF, RtpPacket.sequence(p, 0));
            assertEquals((tsOut + 3000L * k) & 0xFFFFFFFFL, RtpPacket.timestamp(p, 0));
            assertEquals((pidOut + k) & 0x7FFF, pictureId(p), "the top layer's 15-bit picture id wraps as it goes");
        }
        int lastSeq = (seqOut + 3) & 0xFFFF;
        int lastPid = (pidOut + 3) & 0x7FFF;

        // the tile shrinks to a thumbnail: the low layer, from its next key frame on
        consumer.requestSize(160, 90);
        long t1 = t0 + 200_000_000L;
        assertEquals(0, consumer.updateTargetLayer(t1));
        assertEquals(null, forward(0, next(0, false, true, t1), t1), "a delta frame of the low layer refers to frames never sent");
        byte[] top = forward(2, next(2, false, true, t1), t1);
        assertTrue(top != null, "the top layer goes on until the switch");
        lastSeq = (lastSeq + 1) & 0xFFFF;
        lastPid = (lastPid + 1) & 0x7FFF;
        long t2 = t1 + 100_000_000L;
        byte[] low = forward(0, next(0, true, true, t2), t2);
        assertTrue(low != null);
        assertEquals(0, consumer.currentLayer());
        assertEquals(SSRC, RtpPacket.ssrc(low, 0));
        assertEquals((lastSeq + 1) & 0xFFFF, RtpPacket.sequence(low, 0), "no gap the subscriber would count as loss");
        assertEquals((lastPid + 1) & 0x7FFF, pictureId(low), "picture ids continue across the switch");
        assertEquals((RtpPacket.timestamp(top, 0) + 9000) & 0xFFFFFFFFL, RtpPacket.timestamp(low, 0),
                "the timestamp moves on by the 100 ms between them");
        assertEquals(null, forward(2, next(2, false, true, t2), t2), "the top layer stops");
        byte[] lowNext = forward(0, next(0, false, false, t2), t2);
        assertEquals((lastSeq + 2) & 0xFFFF, RtpPacket.sequence(lowNext, 0));
        assertEquals(pictureId(low), pictureId(lowNext), "the same frame");
    }

    /** {@link #forward} with the frame boundary the forwarding loop knows (a frame's first packet). */
    private byte[] forwardFrame(int layer, byte[] p, boolean frameStart, long now) {
        boolean key = Vp8Descriptor.isKeyFrameStart(p, 12, p.length - 12);
        if (!consumer.accepts(layer, RtpPacket.sequence(p, 0), key, Vp8Descriptor.NONE, frameStart)) {
            return null;
        }
        consumer.rewriteRtp(p, 0, p.length, now);
        return p;
    }

    /**
     * Under a sudden cap the top layer, waiting for the low one's key frame, would only fill the
     * bottleneck's queue: paused, it finishes the frame it is in and sends nothing more; the low
     * layer's key frame then continues the stream with no gap in numbers or picture ids.
     */
    @Test
    void aLayerPausedForItsSwitchFinishesItsFrameAndTheKeyFrameContinuesWithoutAGap() {
        consumer.updateTargetLayer(t0);
        byte[] first = forwardFrame(2, next(2, true, true, t0), true, t0);
        assertEquals(2, consumer.currentLayer());
        consumer.pauseUntilSwitch();
        assertEquals(2, consumer.currentLayer(), "no switch pending: nothing to pause for");
        assertTrue(forwardFrame(2, next(2, false, true, t0 + 1), true, t0 + 1) != null);

        long t1 = t0 + 100_000_000L;
        assertEquals(0, consumer.retarget(0, t1), "the low layer's key frame is asked for");
        consumer.pauseUntilSwitch();
        byte[] tail = forwardFrame(2, next(2, false, false, t1), false, t1);
        assertTrue(tail != null, "the frame under way is finished");
        assertEquals(null, forwardFrame(2, next(2, false, true, t1 + 1), true, t1 + 1), "the next frame is not sent");
        assertEquals(null, forwardFrame(2, next(2, false, false, t1 + 2), false, t1 + 2));
        assertEquals(LayerSelector.ANY, consumer.currentLayer());
        assertEquals(1, consumer.switchPauses);
        assertEquals(-1, consumer.resendSource(RtpPacket.sequence(tail, 0)), "a paused layer's packets are abandoned");
        assertEquals(null, forwardFrame(0, next(0, false, true, t1 + 3), true, t1 + 3), "a delta frame cannot start it");
        long t2 = t1 + 300_000_000L;
        byte[] low = forwardFrame(0, next(0, true, true, t2), true, t2);
        assertTrue(low != null);
        assertEquals(0, consumer.currentLayer());
        assertEquals((RtpPacket.sequence(first, 0) + 3) & 0xFFFF, RtpPacket.sequence(low, 0), "no gap the subscriber would count as loss");
        assertEquals((pictureId(first) + 2) & 0x7FFF, pictureId(low), "picture ids continue");
    }

    /** A cap lifted before the key frame came: the target is the paused layer again, and it waits for its own key frame. */
    @Test
    void aPausedLayerTargetedAgainResumesAtItsOwnKeyFrame() {
        consumer.updateTargetLayer(t0);
        forwardFrame(2, next(2, true, true, t0), true, t0);
        consumer.retarget(0, t0 + 1);
        consumer.pauseUntilSwitch();
        assertEquals(null, forwardFrame(2, next(2, false, true, t0 + 2), true, t0 + 2));
        assertEquals(2, consumer.retarget(2, t0 + 3), "paused, the top layer needs a key frame of its own");
        assertEquals(null, forwardFrame(2, next(2, false, true, t0 + 4), true, t0 + 4));
        assertTrue(forwardFrame(2, next(2, true, true, t0 + 5), true, t0 + 5) != null);
        assertEquals(2, consumer.currentLayer());
    }

    @Test
    void tl0PicIdxContinuesAcrossASwitch() {
        consumer.requestSize(640, 360);
        consumer.updateTargetLayer(t0);
        byte[] mid = forward(1, next(1, true, true, t0), t0);
        assertEquals(1, consumer.currentLayer());
        int tl0 = mid[16] & 0xFF;
        consumer.requestSize(1280, 720);
        consumer.updateTargetLayer(t0);
        byte[] top = forward(2, next(2, true, true, t0 + 33_000_000L), t0 + 33_000_000L);
        assertEquals((tl0 + 1) & 0xFF, top[16] & 0xFF);
        assertEquals(2, consumer.layerSwitches, "two starts: the first layer and one switch");
    }

    @Test
    void aPacketOfTheNewLayerOlderThanItsKeyFrameIsNotSent() {
        consumer.updateTargetLayer(t0);
        assertTrue(forward(2, next(2, true, true, t0), t0) != null);
        byte[] late = Vp8DescriptorTest.rtp(LAYER_SSRCS[2], (seq[2] - 2) & 0xFFFF, ts[2] - 3000, pid[2] - 1, tl0[2], false, 0, 0);
        assertFalse(consumer.accepts(2, RtpPacket.sequence(late, 0), false));
    }

    /**
     * A consumer that stays on one layer for longer than half the sequence space (seven minutes of
     * a 640-wide layer) keeps forwarding it and answering NACKs from it: at first every packet
     * after 32,768 looked older than the key frame it switched on, and the video stopped.
     */
    @Test
    void aLayerKeptPastHalfTheSequenceSpaceKeepsFlowing() {
        consumer.updateTargetLayer(t0);
        assertTrue(forward(2, next(2, true, true, t0), t0) != null);
        for (int i = 0; i < 70_000; i++) {
            byte[] p = next(2, false, i % 10 == 0, t0);
            assertTrue(forward(2, p, t0) != null, "packet " + i + " after the switch forwarded");
        }
        assertTrue(consumer.resendSource(consumer.newestSeqOut()) >= 0, "the newest packet can be resent");
    }

    @Test
    void aNackedPacketIsResentInTheSubscribersNumbering() {
        consumer.updateTargetLayer(t0);
        byte[] sent = forward(2, next(2, true, true, t0), t0).clone();
        byte[] again = Vp8DescriptorTest.rtp(LAYER_SSRCS[2], seq[2], ts[2], pid[2] & 0x7FFF, tl0[2], true, 1280, 720);
        assertEquals(2 << 16 | seq[2], consumer.resendSource(RtpPacket.sequence(sent, 0)));
        consumer.translateResent(again, 0, again.length, RtpPacket.sequence(sent, 0));
        assertEquals(java.util.HexFormat.of().formatHex(sent), java.util.HexFormat.of().formatHex(again));
    }

    /** A packet of layer 0's frame of temporal layer tid (VP8 descriptor TID), the frame's first or not. */
    private byte[] temporal(int tid, boolean newFrame, long now) {
        byte[] p = next(0, false, newFrame, now);
        p[12] = (byte) (newFrame ? 0x90 : 0x80); // S on a frame's first packet, partition 0
        p[17] = (byte) (tid << 6 | 0x20);
        return p;
    }

    @Test
    void thinnedTemporalLayersLeaveNoGapInNumbersOrPictureIdsAndResendsStayAsSent() {
        consumer.requestSize(0, 0);
        consumer.updateTargetLayer(t0);
        byte[] key = forward(0, next(0, true, true, t0), t0).clone();
        consumer.limitTemporalLayer(0);
        int[] pattern = {2, 1, 2, 0, 2, 1, 2, 0};
        List<byte[]> sent = new java.util.ArrayList<>();
        for (int f = 0; f < pattern.length; f++) {
            for (int k = 0; k < 2; k++) {
                byte[] p = temporal(pattern[f], k == 0, t0 + f);
                boolean tid = Vp8Descriptor.temporalLayer(p, 12, p.length - 12) == pattern[f];
                assertTrue(tid, "test packet carries its TID");
                boolean startsFrame = k == 0;
                if (consumer.accepts(0, RtpPacket.sequence(p, 0), false, pattern[f], startsFrame)) {
                    consumer.rewriteRtp(p, 0, p.length, t0 + f);
                    sent.add(p);
                }
            }
        }
        assertEquals(4, sent.size(), "only the two base-layer frames (two packets each)");
        int seq = RtpPacket.sequence(key, 0);
        int pictureId = pictureId(key);
        for (int i = 0; i < sent.size(); i++) {
            assertEquals((seq + 1 + i) & 0xFFFF, RtpPacket.sequence(sent.get(i), 0), "no gap in sequence numbers");
            assertEquals(pictureId + 1 + i / 2, pictureId(sent.get(i)), "no gap in picture ids");
        }
        assertEquals(6, consumer.framesThinned);
        // a NACK of the key frame: found, and resent exactly as it was sent though the shifts moved on
        int keySeqOut = RtpPacket.sequence(key, 0);
        assertEquals(seq - 0, keySeqOut);
        int source = Subscription.sequenceOf(consumer.resendSource(keySeqOut));
        byte[] again = Vp8DescriptorTest.rtp(LAYER_SSRCS[0], source, ts[0] - 8 * 3000, (pid[0] - 8) & 0x7FFF, tl0[0] - 8, true, 320, 180);
        consumer.translateResent(again, 0, again.length, keySeqOut);
        assertEquals(java.util.HexFormat.of().formatHex(key), java.util.HexFormat.of().formatHex(again));
    }

    /** Offers a packet of temporal layer tid of the thinned low layer; the subscriber's number, or -1. */
    private int offerThinned(byte[] p, int tid, boolean startsFrame, long now) {
        if (!consumer.accepts(0, RtpPacket.sequence(p, 0), false, tid, startsFrame)) {
            return -1;
        }
        consumer.rewriteRtp(p, 0, p.length, now);
        return RtpPacket.sequence(p, 0);
    }

    /**
     * Packets that come late (reordered, or recovered from the publisher by a NACK) while frames
     * are thinned: one whose place is before a thinned frame would be numbered with today's shift
     * and take a number already sent, so it is not sent; one after every thinned frame fills its
     * own gap; a late packet of a thinned layer shifts nothing.
     */
    @Test
    void aLatePacketIsSentOnlyWhereItsNumberIsStillItsOwn() {
        consumer.requestSize(0, 0);
        consumer.updateTargetLayer(t0);
        int key = RtpPacket.sequence(forward(0, next(0, true, true, t0), t0), 0);
        consumer.limitTemporalLayer(0);
        assertEquals(-1, offerThinned(temporal(2, true, t0 + 1), 2, true, t0 + 1), "a thinned frame");
        byte[] c0 = temporal(0, true, t0 + 2);
        byte[] c1 = temporal(0, false, t0 + 2); // lost for now
        assertEquals((key + 1) & 0xFFFF, offerThinned(c0, 0, true, t0 + 2));
        assertEquals((key + 3) & 0xFFFF, offerThinned(temporal(0, true, t0 + 3), 0, true, t0 + 3), "a gap where c1 goes");
        assertEquals((key + 2) & 0xFFFF, offerThinned(c1, 0, false, t0 + 4), "late, after every thinned frame: its own number");

        byte[] e0 = temporal(0, true, t0 + 5); // lost for now
        int e1 = offerThinned(temporal(0, false, t0 + 5), 0, false, t0 + 5);
        assertEquals((key + 5) & 0xFFFF, e1, "a gap where e0 goes");
        byte[] thinnedLate = temporal(2, true, t0 + 6); // this thinned frame's first packet comes late
        assertEquals(-1, offerThinned(temporal(2, false, t0 + 6), 2, false, t0 + 6));
        int g0 = offerThinned(temporal(0, true, t0 + 7), 0, true, t0 + 7);
        assertEquals((key + 7) & 0xFFFF, g0, "the thinned frame's missing first packet leaves a gap: no one knew to close it up");
        assertEquals(-1, offerThinned(e0, 0, true, t0 + 8), "late, before a thinned frame: its number would be g0's");
        assertEquals(-1, offerThinned(thinnedLate, 2, true, t0 + 8), "a late packet of a thinned layer");
        assertEquals((g0 + 1) & 0xFFFF, offerThinned(temporal(0, false, t0 + 9), 0, false, t0 + 9), "no shift from the late ones");
    }

    /**
     * A downlink that congests drops the last packets of the layer it is switched down from; the
     * subscriber's NACKs of them come after the switch. They are not resent: those frames are
     * abandoned, and resending them would hold back the new layer's key frame on the same
     * congested link. Nor is a layer's earlier stint, once it is switched back to.
     */
    @Test
    void packetsFromBeforeTheCurrentLayersKeyFrameAreNotResent() {
        consumer.updateTargetLayer(t0);
        int firstTop = RtpPacket.sequence(forward(2, next(2, true, true, t0), t0), 0);
        consumer.requestSize(0, 0);
        consumer.updateTargetLayer(t0);
        int fromLow = RtpPacket.sequence(forward(0, next(0, true, true, t0 + 1), t0 + 1), 0);
        assertEquals(0 << 16 | seq[0], consumer.resendSource(fromLow));
        assertEquals(-1, consumer.resendSource(firstTop), "the top layer's frames are abandoned");

        consumer.requestSize(1280, 720);
        consumer.updateTargetLayer(t0 + 2);
        int secondTop = RtpPacket.sequence(forward(2, next(2, true, true, t0 + 2), t0 + 2), 0);
        assertEquals(2 << 16 | seq[2], consumer.resendSource(secondTop));
        assertEquals(-1, consumer.resendSource(firstTop), "nor is the top layer's first stint, switched back to");
        assertEquals(-1, consumer.resendSource(fromLow));
    }

    @Test
    void noSizeAskedMeansTheLargestAndAHiddenTileTheSmallest() {
        assertEquals(2, LayerSelector.choose(track.layers, Subscription.ANY_SIZE, Subscription.ANY_SIZE, t0));
        assertEquals(0, LayerSelector.choose(track.layers, 0, 0, t0));
        assertEquals(1, LayerSelector.choose(track.layers, 400, 200, t0), "the smallest at least that large");
        assertEquals(2, LayerSelector.choose(track.layers, 1920, 1080, t0), "none large enough: the largest");
        assertEquals(1, LayerSelector.choose(track.layers, 300, 300, t0), "both sides must fit");
    }

    @Test
    void aLayerThePublisherStoppedOrNeverSizedIsNotChosen() {
        long later = t0 + LayerSelector.ACTIVE_NANOS + 1;
        track.layers[0].onReceived(seq[0] + 1, later);
        track.layers[1].onReceived(seq[1] + 1, later);
        assertEquals(1, LayerSelector.choose(track.layers, 1280, 720, later), "the top layer went quiet");
        track.layers[1].keyFrameSize = 0;
        assertEquals(0, LayerSelector.choose(track.layers, 1280, 720, later));
        track.layers[0].keyFrameSize = 0;
        assertEquals(LayerSelector.ANY, LayerSelector.choose(track.layers, 1280, 720, later));
    }

    /** One packet of a layer at a time: {@code i} is its number in the run, {@code layer} = i % 3. */
    interface PacketStep {
        void forward(int i, int layer, long nowNanos);
    }

    /**
     * Runs 250,000 packets of three layers through {@code step} while the consumer's tile flips
     * between large and thumbnail every 10,000 (a switch each time), and asserts that the last
     * 200,000 switched layers and allocated (almost) nothing: the forwarding side allocates
     * nothing per packet.
     */
    static void assertForwardingAllocatesNothing(Subscription consumer, long startNanos, PacketStep step) {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = 0;
        long now = startNanos;
        long switchesBefore = 0;
        for (int i = 0; i < 250_000; i++) {
            if (i == 50_000) {
                before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
                switchesBefore = consumer.layerSwitches;
            }
            if (i % 10_000 == 0) {
                consumer.requestSize((i / 10_000) % 2 == 0 ? 1280 : 160, (i / 10_000) % 2 == 0 ? 720 : 90);
                consumer.updateTargetLayer(now);
            }
            now += 1_000_000L;
            step.forward(i, i % 3, now);
        }
        long bytes = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(consumer.layerSwitches - switchesBefore >= 10, "it switched layers: " + consumer.layerSwitches);
        assertTrue(bytes < 16 * 1024, "forwarding allocated " + bytes + " bytes over 200000 packets");
    }

    /** The forwarding side of a consumer (choice, switch, rewrite) allocates nothing per packet. */
    @Test
    void forwardingAndSwitchingLayersAllocateNothing() {
        byte[][] packets = new byte[3][];
        for (int l = 0; l < 3; l++) {
            packets[l] = next(l, true, true, t0);
        }
        byte[] copy = new byte[packets[0].length];
        assertForwardingAllocatesNothing(consumer, t0, (i, l, now) -> {
            byte[] p = packets[l];
            RtpPacket.setSequence(p, 0, (RtpPacket.sequence(p, 0) + 1) & 0xFFFF);
            p[12] = (byte) (i % 30 < 3 ? 0x90 : 0x80); // a key frame now and then
            p[18] = (byte) (i % 30 < 3 ? 0x10 : 0x11);
            track.layers[l].onReceived(RtpPacket.sequence(p, 0), now);
            if (consumer.accepts(l, RtpPacket.sequence(p, 0), Vp8Descriptor.isKeyFrameStart(p, 12, p.length - 12))) {
                System.arraycopy(p, 0, copy, 0, p.length);
                consumer.rewriteRtp(copy, 0, copy.length, now);
            }
        });
    }
}
