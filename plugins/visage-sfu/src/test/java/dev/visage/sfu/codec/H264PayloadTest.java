package dev.visage.sfu.codec;

import dev.visage.sfu.rtp.RtpPacket;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * H.264 payloads as libwebrtc packetizes them (packetization-mode 1): key frames, frame starts and
 * the frame size in the SPS, on SPSs from a real encoder (x264, emulation-prevention bytes and
 * cropping included) and on hand-built ones for the rarer syntax; malformed payloads give "no".
 */
public class H264PayloadTest {
    /** SPS NAL units (header byte 0x67 included) written by x264 for these frame sizes. */
    public static final String BASELINE_320X180 = "6742c00dd901419f9f0110000003001000000303c0f142a480";
    public static final String BASELINE_640X360 = "6742c01ed900a02ff970110000030001000003003c0f162e48";
    public static final String BASELINE_1280X720 = "6742c01fd9005005bb0110000003001000000303c0f1832480";
    static final String BASELINE_636X358 = "6742c01ed900a02fee6c0440000003004000000f03c58b92";
    static final String HIGH_320X180 = "6764000dacd941419f9f0110000003001000000303c0f1429960";
    static final String HIGH_636X358 = "6764001eacd940a02fee6c0440000003004000000f03c58b6580";
    static final byte[] PPS = {0x68, (byte) 0xce, 0x3c, (byte) 0x80};
    /** An IDR slice's NAL header and first slice-header byte (first_mb_in_slice 0: its first bit set). */
    public static final byte[] IDR_SLICE = {0x65, (byte) 0x88, (byte) 0x84, 0x00, 0x33, 0x11};
    public static final byte[] DELTA_SLICE = {0x41, (byte) 0x9a, 0x24, 0x6c, 0x42};

    private final RbspBitReader reader = new RbspBitReader();

    static byte[] nal(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** An RTP packet (12-byte header, payload type 102) with this payload. */
    public static byte[] rtp(int ssrc, int seq, int ts, byte[] payload) {
        byte[] p = new byte[12 + payload.length];
        p[0] = (byte) 0x80;
        p[1] = 102;
        RtpPacket.setSequence(p, 0, seq);
        RtpPacket.w32(p, 4, ts);
        RtpPacket.setSsrc(p, 0, ssrc);
        System.arraycopy(payload, 0, p, 12, payload.length);
        return p;
    }

    /** A STAP-A of these NAL units, each after its 16-bit size. */
    public static byte[] stapA(byte[]... nals) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x78); // NRI 3, type 24
        for (byte[] n : nals) {
            out.write(n.length >> 8);
            out.write(n.length);
            out.write(n, 0, n.length);
        }
        return out.toByteArray();
    }

    /** An FU-A fragment of {@code nal}: bytes [from, to) of its payload (after its header byte). */
    public static byte[] fuA(byte[] nal, int from, int to) {
        byte[] p = new byte[2 + to - from];
        p[0] = (byte) (nal[0] & 0xE0 | 28);
        p[1] = (byte) ((from == 1 ? 0x80 : 0) | (to == nal.length ? 0x40 : 0) | nal[0] & 0x1F);
        System.arraycopy(nal, from, p, 2, to - from);
        return p;
    }

    /** A key frame's first packet as libwebrtc sends it: SPS and PPS in a STAP-A. */
    public static byte[] keyFrameStart(String sps) {
        return stapA(nal(sps), PPS);
    }

    private int size(byte[] payload) {
        return H264Payload.keyFrameSize(payload, 0, payload.length, reader);
    }

    private static int wh(int width, int height) {
        return width << 16 | height;
    }

    @Test
    void readsTheCroppedFrameSizeOfRealSpss() {
        assertEquals(wh(320, 180), size(nal(BASELINE_320X180)), "180 = 12 macroblocks less 12 rows cropped");
        assertEquals(wh(640, 360), size(nal(BASELINE_640X360)));
        assertEquals(wh(1280, 720), size(nal(BASELINE_1280X720)));
        assertEquals(wh(636, 358), size(nal(BASELINE_636X358)), "cropped on both sides");
        assertEquals(wh(320, 180), size(nal(HIGH_320X180)), "high profile: chroma format and bit depths first");
        assertEquals(wh(636, 358), size(nal(HIGH_636X358)));
    }

    @Test
    void findsTheSpsInAStapAAndInAnFuAStart() {
        assertEquals(wh(1280, 720), size(keyFrameStart(BASELINE_1280X720)));
        assertEquals(wh(1280, 720), size(stapA(PPS, nal(BASELINE_1280X720))), "wherever it is in the aggregate");
        byte[] sps = nal(BASELINE_1280X720);
        assertEquals(wh(1280, 720), size(fuA(sps, 1, sps.length)));
        assertEquals(0, size(fuA(sps, 1, 6)), "a first fragment cut before the size");
        assertEquals(0, size(fuA(sps, 6, sps.length)), "not the first fragment");
        assertEquals(0, size(IDR_SLICE), "an IDR alone has no size");
        assertEquals(0, size(stapA(PPS, IDR_SLICE)));
    }

    @Test
    void keyFrameStartsAreSpsOrIdrInAnyPacketization() {
        assertTrue(start(keyFrameStart(BASELINE_320X180)), "STAP-A with SPS and PPS");
        assertTrue(start(IDR_SLICE), "single IDR NAL unit");
        assertTrue(start(fuA(IDR_SLICE, 1, 3)), "FU-A start of an IDR");
        assertTrue(start(nal(BASELINE_320X180)), "single SPS");
        assertFalse(start(fuA(IDR_SLICE, 3, IDR_SLICE.length)), "FU-A continuation of an IDR");
        assertFalse(start(DELTA_SLICE), "non-IDR slice");
        assertFalse(start(fuA(DELTA_SLICE, 1, 3)));
        assertFalse(start(PPS));
        assertFalse(start(stapA(PPS, DELTA_SLICE)));
    }

    @Test
    void frameStartsAreTheFirstNalUnitsOfAPicture() {
        assertTrue(frameStart(keyFrameStart(BASELINE_320X180)));
        assertTrue(frameStart(IDR_SLICE));
        assertTrue(frameStart(DELTA_SLICE), "first_mb_in_slice 0");
        assertTrue(frameStart(fuA(DELTA_SLICE, 1, 3)));
        assertFalse(frameStart(fuA(DELTA_SLICE, 3, DELTA_SLICE.length)), "a later fragment");
        byte[] secondSlice = DELTA_SLICE.clone();
        secondSlice[1] = 0x12; // first_mb_in_slice > 0: the picture's second slice
        assertFalse(frameStart(secondSlice));
        assertTrue(frameStart(new byte[]{0x09, (byte) 0xf0}), "access unit delimiter");
        assertTrue(frameStart(new byte[]{0x06, 0x05, 0x01}), "SEI");
    }

    /** The rarer SPS syntax, written bit by bit: interlaced, POC type 1, scaling lists, 4:4:4 and 4:2:2. */
    @Test
    void readsRarerSpsSyntax() {
        // 1920x1080 interlaced (frame_mbs_only 0: height in field pairs), POC type 1 with a cycle
        SpsWriter interlaced = new SpsWriter(77).poc1(3).size(120, 34, false).crop(0, 0, 0, 2);
        assertEquals(wh(1920, 1080), size(interlaced.bytes()));
        // high profile with scaling matrices (one list with a zero delta ending it early)
        SpsWriter scaled = new SpsWriter(100).chroma(1, true).size(80, 45, true);
        assertEquals(wh(1280, 720), size(scaled.bytes()));
        // 4:4:4 crops by single pixels, 4:2:2 by 2 across and 1 down
        assertEquals(wh(639, 359), size(new SpsWriter(244).chroma(3, false).size(40, 23, true).crop(0, 1, 0, 9).bytes()));
        assertEquals(wh(638, 359), size(new SpsWriter(122).chroma(2, false).size(40, 23, true).crop(1, 0, 9, 0).bytes()));
    }

    @Test
    void insaneSpssGiveNoSize() {
        assertEquals(0, size(new SpsWriter(66).size(2000, 10, true).bytes()), "32000 wide");
        assertEquals(0, size(new SpsWriter(66).size(20, 10, true).crop(0, 200, 0, 0).bytes()), "cropped below zero");
        assertEquals(0, size(new SpsWriter(100).chroma(7, false).size(20, 10, true).bytes()), "chroma format 7");
        byte[] longCode = new byte[12];
        longCode[0] = 0x67;
        longCode[1] = 66; // then 40 zero bits where seq_parameter_set_id's code starts
        assertEquals(0, size(longCode));
    }

    /**
     * Malformed payloads: every cut of real packets, lying STAP-A sizes and random bytes, in an
     * array that ends where the payload does (a read past it would throw): no exception, no size
     * that the intact packet would not give.
     */
    @Test
    void malformedPayloadsNeverThrowNorReadPastTheirEnd() {
        byte[] sps = nal(BASELINE_1280X720);
        byte[][] packets = {keyFrameStart(BASELINE_1280X720), sps, fuA(sps, 1, sps.length), IDR_SLICE, fuA(IDR_SLICE, 1, 4),
                stapA(PPS, sps)};
        for (byte[] p : packets) {
            int whole = size(p);
            for (int cut = 0; cut <= p.length; cut++) {
                byte[] b = java.util.Arrays.copyOf(p, cut);
                int s = H264Payload.keyFrameSize(b, 0, cut, reader);
                assertTrue(s == 0 || s == whole, "a cut SPS gives its size or none: " + Integer.toHexString(s));
                H264Payload.isKeyFrameStart(b, 0, cut);
                H264Payload.isFrameStart(b, 0, cut);
            }
        }
        byte[] lying = keyFrameStart(BASELINE_1280X720);
        lying[1] = (byte) 0xFF; // the SPS's size runs past the packet
        assertEquals(0, size(lying));
        assertFalse(start(lying));
        assertFalse(frameStart(lying));
        byte[] zeroSize = {0x78, 0, 0, 0x67};
        assertEquals(0, size(zeroSize));
        assertFalse(start(zeroSize));
        Random random = new Random(264);
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[random.nextInt(40)];
            random.nextBytes(b);
            if (b.length > 0 && random.nextBoolean()) {
                b[0] = (byte) (b[0] & 0xE0 | (random.nextBoolean() ? 24 : random.nextBoolean() ? 28 : 7));
            }
            int s = H264Payload.keyFrameSize(b, 0, b.length, reader);
            assertTrue(s == 0 || (s >>> 16) <= 16384 && (s & 0xFFFF) <= 16384);
            H264Payload.isKeyFrameStart(b, 0, b.length);
            H264Payload.isFrameStart(b, 0, b.length);
        }
    }

    @Test
    void emulationPreventionBytesAreSkipped() {
        RbspBitReader r = new RbspBitReader();
        byte[] b = {0x00, 0x00, 0x03, 0x01, (byte) 0xFF};
        r.reset(b, 0, b.length);
        assertEquals(0x000001, r.bits(24), "00 00 03 01 reads as 00 00 01");
        assertEquals(0xFF, r.bits(8));
        assertFalse(r.overrun());
        r.bit();
        assertTrue(r.overrun());
    }

    private static boolean start(byte[] p) {
        return H264Payload.isKeyFrameStart(p, 0, p.length);
    }

    private static boolean frameStart(byte[] p) {
        return H264Payload.isFrameStart(p, 0, p.length);
    }

    /** Writes an SPS NAL unit field by field (no emulation prevention needed for these values). */
    static final class SpsWriter {
        private final StringBuilder bits = new StringBuilder();
        private boolean pocWritten;
        private int cropAt = -1;

        SpsWriter(int profile) {
            u(8, profile);
            u(8, 0);
            u(8, 31);
            ue(0); // seq_parameter_set_id
        }

        /** The chroma info of high profiles: chroma_format_idc, and scaling lists if asked. */
        SpsWriter chroma(int format, boolean scalingLists) {
            ue(format);
            if (format == 3) {
                u(1, 0);
            }
            ue(0);
            ue(0);
            u(1, 0);
            u(1, scalingLists ? 1 : 0);
            if (scalingLists) {
                u(1, 1); // list 0 present: one delta, then a delta to zero ends it
                se(4);
                se(-12);
                for (int i = 1; i < (format != 3 ? 8 : 12); i++) {
                    u(1, 0);
                }
            }
            return this;
        }

        SpsWriter poc1(int cycle) {
            pocWritten = true;
            ue(0); // log2_max_frame_num_minus4
            ue(1);
            u(1, 0);
            se(-2);
            se(3);
            ue(cycle);
            for (int i = 0; i < cycle; i++) {
                se(i - 1);
            }
            return this;
        }

        SpsWriter size(int widthMbs, int heightUnits, boolean frameMbsOnly) {
            if (!pocWritten) {
                ue(0); // log2_max_frame_num_minus4
                ue(2); // pic_order_cnt_type 2
            }
            ue(1); // max_num_ref_frames
            u(1, 0);
            ue(widthMbs - 1);
            ue(heightUnits - 1);
            u(1, frameMbsOnly ? 1 : 0);
            if (!frameMbsOnly) {
                u(1, 0);
            }
            u(1, 1); // direct_8x8_inference_flag
            cropAt = bits.length();
            u(1, 0); // frame_cropping_flag, set by crop()
            return this;
        }

        SpsWriter crop(int left, int right, int top, int bottom) {
            bits.setCharAt(cropAt, '1');
            ue(left);
            ue(right);
            ue(top);
            ue(bottom);
            return this;
        }

        byte[] bytes() {
            String all = bits + "1"; // rbsp_stop_one_bit
            while (all.length() % 8 != 0) {
                all += "0";
            }
            byte[] out = new byte[1 + all.length() / 8];
            out[0] = 0x67;
            for (int i = 0; i < all.length() / 8; i++) {
                out[1 + i] = (byte) Integer.parseInt(all.substring(i * 8, i * 8 + 8), 2);
            }
            return out;
        }

        private void u(int n, int v) {
            for (int i = n - 1; i >= 0; i--) {
                bits.append((v >>> i & 1) == 1 ? '1' : '0');
            }
        }

        private void ue(int v) {
            String code = Integer.toBinaryString(v + 1);
            bits.append("0".repeat(code.length() - 1)).append(code);
        }

        private void se(int v) {
            ue(v > 0 ? 2 * v - 1 : -2 * v);
        }
    }
}
