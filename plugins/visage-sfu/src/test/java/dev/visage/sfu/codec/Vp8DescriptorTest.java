package dev.visage.sfu.codec;

import dev.visage.sfu.rtp.RtpPacket;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The VP8 payload descriptor and key-frame header, on packets shaped as Chromium sends them. */
public class Vp8DescriptorTest {
    /**
     * An RTP packet (12-byte header) with a Chromium-style VP8 payload: descriptor X, I (15-bit
     * picture id), L (TL0PICIDX), T (TID 0, Y); then the first bytes of a frame: a key frame's
     * frame tag, start code and size, or a delta frame's tag.
     */
    public static byte[] rtp(int ssrc, int seq, int ts, int pictureId, int tl0, boolean keyFrame, int width, int height) {
        byte[] p = new byte[12 + 6 + 20];
        p[0] = (byte) 0x80;
        p[1] = 96;
        RtpPacket.setSequence(p, 0, seq);
        RtpPacket.w32(p, 4, ts);
        RtpPacket.setSsrc(p, 0, ssrc);
        int d = 12;
        p[d] = (byte) (0x80 | (keyFrame ? 0x10 : 0x00)); // X, S on a key frame's first packet, partition 0
        p[d + 1] = (byte) 0xE0; // I L T
        p[d + 2] = (byte) (0x80 | (pictureId >> 8));
        p[d + 3] = (byte) pictureId;
        p[d + 4] = (byte) tl0;
        p[d + 5] = (byte) 0x20; // TID 0, Y
        int h = d + 6;
        p[h] = (byte) (keyFrame ? 0x10 : 0x11); // frame tag: P bit clear on a key frame, show_frame
        if (keyFrame) {
            p[h + 3] = (byte) 0x9d;
            p[h + 4] = 0x01;
            p[h + 5] = 0x2a;
            p[h + 6] = (byte) width;
            p[h + 7] = (byte) (width >> 8);
            p[h + 8] = (byte) height;
            p[h + 9] = (byte) (height >> 8);
        }
        return p;
    }

    @Test
    void readsAChromiumKeyFramesSizeAndIds() {
        byte[] p = rtp(1, 1, 1, 0x1234, 200, true, 1280, 720);
        int len = p.length - 12;
        assertEquals(6, Vp8Descriptor.length(p, 12, len));
        assertTrue(Vp8Descriptor.isKeyFrameStart(p, 12, len));
        assertEquals(1280 << 16 | 720, Vp8Descriptor.keyFrameSize(p, 12, len));
        int pid = Vp8Descriptor.pictureIdOffset(p, 12, len);
        assertEquals(14, pid);
        assertTrue(Vp8Descriptor.longPictureId(p, pid));
        assertEquals(0x1234, Vp8Descriptor.pictureId(p, pid));
        assertEquals(16, Vp8Descriptor.tl0PicIdxOffset(p, 12, len));
    }

    @Test
    void aDeltaFrameOrALaterPacketIsNoKeyFrameStart() {
        byte[] delta = rtp(1, 1, 1, 7, 0, false, 0, 0);
        assertFalse(Vp8Descriptor.isKeyFrameStart(delta, 12, delta.length - 12));
        byte[] later = rtp(1, 1, 1, 7, 0, true, 640, 360);
        later[12] &= (byte) ~0x10; // not the start of the partition
        assertFalse(Vp8Descriptor.isKeyFrameStart(later, 12, later.length - 12));
    }

    @Test
    void aShortPictureIdStaysSevenBitsAndATruncatedDescriptorIsRefused() {
        byte[] p = {(byte) 0x90, (byte) 0x80, 0x7F, 0x00};
        int pid = Vp8Descriptor.pictureIdOffset(p, 0, p.length);
        assertFalse(Vp8Descriptor.longPictureId(p, pid));
        assertEquals(127, Vp8Descriptor.pictureId(p, pid));
        Vp8Descriptor.setPictureId(p, pid, 128);
        assertEquals(0, Vp8Descriptor.pictureId(p, pid));
        assertEquals(-1, Vp8Descriptor.length(new byte[]{(byte) 0x80, (byte) 0x80}, 0, 2));
        assertEquals(Vp8Descriptor.NONE, Vp8Descriptor.tl0PicIdxOffset(p, 0, p.length));
        assertEquals(0, Vp8Descriptor.keyFrameSize(p, 0, p.length), "no room for a key-frame header");
    }

    @Test
    void theRewriterShiftsANewSourceToFollowTheLastIdsAndWrapsAt15Bits() {
        Vp8PictureIdRewriter r = new Vp8PictureIdRewriter();
        byte[] a = rtp(1, 1, 1, 0x7FFF, 255, true, 640, 360);
        r.rewrite(a, 12, a.length - 12);
        assertEquals(0x7FFF, Vp8Descriptor.pictureId(a, 14), "the first source keeps its ids");
        r.switchSource();
        byte[] b = rtp(2, 1, 1, 42, 9, true, 320, 180);
        r.rewrite(b, 12, b.length - 12);
        assertEquals(0, Vp8Descriptor.pictureId(b, 14));
        assertEquals(0, b[16] & 0xFF);
        byte[] c = rtp(2, 2, 1, 43, 9, false, 0, 0);
        r.rewrite(c, 12, c.length - 12);
        assertEquals(1, Vp8Descriptor.pictureId(c, 14));
        assertEquals(0, c[16] & 0xFF);
    }
}
