package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import dev.visage.sfu.codec.H264PayloadTest;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.sdp.TrackInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A consumer of a three-layer H.264 simulcast track, fed through the inspect step as the fan-out
 * does: the layers' sizes come from their key frames' SPSs, the consumer switches only at a key
 * frame (libwebrtc's STAP-A with SPS and PPS) of the layer its subscriber's size calls for, and
 * the subscriber sees one stream: its SSRC, no gap in sequence numbers, timestamps moving on by
 * the wall clock, and payloads untouched (H.264 has no picture id to rewrite).
 */
class H264SimulcastConsumerTest {
    static final int SSRC = 0x26400001;
    static final int[] LAYER_SSRCS = {0x100, 0x200, 0x300};
    static final String[] SPS = {H264PayloadTest.BASELINE_320X180, H264PayloadTest.BASELINE_640X360,
            H264PayloadTest.BASELINE_1280X720};
    private PublishedTrack track;
    private Subscription consumer;
    private final long t0 = 5_000_000_000L;
    private final int[] seq = {1000, 20000, 65530};
    private final int[] ts = {90_000, 7_000_000, -1000};

    @BeforeEach
    void track() {
        TrackInfo info = new TrackInfo("video", "1", SSRC, SSRC + 1, "H264", 102, 103, 90000,
                "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", Map.of(), "cam", null,
                List.of("q", "h", "f"));
        track = new PublishedTrack(new Participant("r", "s1", "alice", "Alice"), info, 64, null);
        for (int i = 0; i < 3; i++) {
            track.layers[i].ssrc = LAYER_SSRCS[i];
        }
        consumer = new Subscription(track, "0", null);
    }

    private enum Part { KEY_FRAME_START, IDR_FIRST_FRAGMENT, IDR_LAST_FRAGMENT, DELTA_FRAME }

    /** The next packet of a layer at `now`: a key frame is a STAP-A (SPS, PPS) and an IDR in two FU-As. */
    private byte[] next(int layer, Part part) {
        if (part == Part.KEY_FRAME_START || part == Part.DELTA_FRAME) {
            ts[layer] += 3000;
        }
        seq[layer] = (seq[layer] + 1) & 0xFFFF;
        byte[] idr = H264PayloadTest.IDR_SLICE;
        byte[] payload = switch (part) {
            case KEY_FRAME_START -> H264PayloadTest.keyFrameStart(SPS[layer]);
            case IDR_FIRST_FRAGMENT -> H264PayloadTest.fuA(idr, 1, 3);
            case IDR_LAST_FRAGMENT -> H264PayloadTest.fuA(idr, 3, idr.length);
            case DELTA_FRAME -> H264PayloadTest.DELTA_SLICE;
        };
        return H264PayloadTest.rtp(LAYER_SSRCS[layer], seq[layer], ts[layer], payload);
    }

    /** The fan-out's steps for one consumer: receive, inspect, accept, rewrite; the subscriber's copy or null. */
    private byte[] forward(int layer, byte[] p, long now) {
        ReceiveStream stream = track.layers[layer];
        stream.onPacket(RtpPacket.sequence(p, 0), p.length, now);
        int facts = stream.inspect(p, 0, p.length);
        if (!consumer.accepts(layer, RtpPacket.sequence(p, 0), (facts & ReceiveStream.KEY_FRAME_START) != 0,
                ReceiveStream.temporalLayer(facts), (facts & ReceiveStream.FRAME_START) != 0)) {
            return null;
        }
        byte[] copy = p.clone();
        consumer.rewriteRtp(copy, 0, copy.length, now);
        return copy;
    }

    private void sendKeyFrames(long now) {
        for (int layer = 0; layer < 3; layer++) {
            forward(layer, next(layer, Part.KEY_FRAME_START), now);
        }
    }

    @Test
    void eachLayersSizeIsReadFromItsKeyFramesSps() {
        sendKeyFrames(t0);
        assertEquals(320 << 16 | 180, track.layers[0].keyFrameSize);
        assertEquals(640 << 16 | 360, track.layers[1].keyFrameSize);
        assertEquals(1280 << 16 | 720, track.layers[2].keyFrameSize);
        forward(2, next(2, Part.IDR_FIRST_FRAGMENT), t0);
        assertEquals(1280 << 16 | 720, track.layers[2].keyFrameSize, "an IDR without SPS keeps the size");
    }

    @Test
    void switchesOnlyAtAKeyFrameOfTheLayerTheTileNeedsAndKeepsOneStream() {
        sendKeyFrames(t0); // sizes known; no layer chosen yet, so the first key frame starts the stream
        consumer.requestSize(1280, 720);
        assertEquals(2, consumer.updateTargetLayer(t0 + 1), "asks for a key frame of the top layer");
        long now = t0 + 10_000_000L;
        assertNull(forward(1, next(1, Part.KEY_FRAME_START), now), "another layer's key frame is not the one awaited");
        assertNull(forward(2, next(2, Part.DELTA_FRAME), now), "no start at a delta frame");
        assertNull(forward(2, next(2, Part.IDR_LAST_FRAGMENT), now), "nor in the middle of an IDR");
        byte[] first = forward(2, next(2, Part.KEY_FRAME_START), now);
        assertTrue(first != null, "the SPS/PPS packet starts the layer");
        assertEquals(2, consumer.currentLayer());
        assertEquals(SSRC, RtpPacket.ssrc(first, 0), "the subscriber's SSRC, not the layer's");
        int seqOut = RtpPacket.sequence(first, 0);
        long tsOut = RtpPacket.timestamp(first, 0);
        byte[] fragment = forward(2, next(2, Part.IDR_FIRST_FRAGMENT), now);
        assertEquals((seqOut + 1) & 0xFFFF, RtpPacket.sequence(fragment, 0));
        assertEquals(tsOut, RtpPacket.timestamp(fragment, 0), "the same frame");
        assertEquals(2, consumer.currentLayer(), "the IDR's own start is no second switch");
        forward(2, next(2, Part.IDR_LAST_FRAGMENT), now);
        byte[] delta = forward(2, next(2, Part.DELTA_FRAME), now + 33_000_000L);
        assertEquals((seqOut + 3) & 0xFFFF, RtpPacket.sequence(delta, 0));
        assertEquals((tsOut + 3000) & 0xFFFFFFFFL, RtpPacket.timestamp(delta, 0));

        // the tile shrinks to a thumbnail: the low layer from its next key frame on
        consumer.requestSize(160, 90);
        long later = now + 100_000_000L;
        assertEquals(0, consumer.updateTargetLayer(later));
        assertNull(forward(0, next(0, Part.DELTA_FRAME), later), "a low-layer delta frame refers to frames never sent");
        byte[] top = forward(2, next(2, Part.DELTA_FRAME), later);
        assertTrue(top != null, "the top layer goes on until the switch");
        byte[] lowKey = next(0, Part.KEY_FRAME_START);
        byte[] low = forward(0, lowKey, later + 100_000_000L);
        assertEquals(0, consumer.currentLayer());
        assertEquals(SSRC, RtpPacket.ssrc(low, 0));
        assertEquals((RtpPacket.sequence(top, 0) + 1) & 0xFFFF, RtpPacket.sequence(low, 0), "no gap counted as loss");
        assertEquals((RtpPacket.timestamp(top, 0) + 9000) & 0xFFFFFFFFL, RtpPacket.timestamp(low, 0),
                "the timestamp moves on by the 100 ms between them");
        assertArrayEquals(Arrays.copyOfRange(lowKey, 12, lowKey.length), Arrays.copyOfRange(low, 12, low.length),
                "the payload is forwarded as it came");
        assertNull(forward(2, next(2, Part.DELTA_FRAME), later + 100_000_000L), "the top layer stops");
        assertEquals(3, consumer.layerSwitches, "the first layer and two switches");
    }

    /** Inspecting, choosing and rewriting H.264 packets, switches included, allocates nothing per packet. */
    @Test
    void inspectingAndSwitchingH264LayersAllocateNothing() {
        byte[][] keyFrames = new byte[3][];
        byte[][] deltas = new byte[3][];
        for (int l = 0; l < 3; l++) {
            keyFrames[l] = next(l, Part.KEY_FRAME_START);
            deltas[l] = next(l, Part.DELTA_FRAME);
        }
        byte[] copy = new byte[1500];
        SimulcastConsumerTest.assertForwardingAllocatesNothing(consumer, t0, (i, l, now) -> {
            byte[] p = i % 30 < 3 ? keyFrames[l] : deltas[l];
            seq[l] = (seq[l] + 1) & 0xFFFF;
            RtpPacket.setSequence(p, 0, seq[l]);
            ReceiveStream stream = track.layers[l];
            stream.onPacket(seq[l], p.length, now);
            int facts = stream.inspect(p, 0, p.length);
            if (consumer.accepts(l, seq[l], (facts & ReceiveStream.KEY_FRAME_START) != 0, ReceiveStream.temporalLayer(facts),
                    (facts & ReceiveStream.FRAME_START) != 0)) {
                System.arraycopy(p, 0, copy, 0, p.length);
                consumer.rewriteRtp(copy, 0, p.length, now);
            }
        });
    }
}
