package dev.visage.sfu.codec;

/**
 * Static flyweight over an H.264 RTP payload (RFC 6184, packetization-mode 0 and 1) at {@code at}
 * (the first byte after the RTP header): what its NAL units say about the frame, without
 * depacketizing. A payload is one NAL unit (types 1-23), an aggregation of several (STAP-A,
 * type 24: a 16-bit size before each) or a fragment of one (FU-A, type 28: an FU header with
 * start bit and the NAL unit's type). Nothing here allocates; malformed payloads give "no".
 *
 * <p>H.264 has no payload descriptor: a key frame is a packet carrying (or starting) an IDR slice
 * or a sequence parameter set, which libwebrtc sends in a STAP-A with the picture parameter set
 * before every IDR; its SPS holds the frame size (ITU-T H.264 7.3.2.1.1).
 */
public final class H264Payload {
    static final int SLICE = 1;
    static final int IDR = 5;
    static final int SEI = 6;
    static final int SPS = 7;
    static final int PPS = 8;
    static final int ACCESS_UNIT_DELIMITER = 9;
    static final int STAP_A = 24;
    static final int FU_A = 28;
    /** Frame sizes beyond this are taken for a misread SPS. */
    private static final int MAX_SIDE = 16384;

    private H264Payload() {
    }

    /** True for a packet that carries an SPS or IDR slice, or starts one (the first packet of a key frame). */
    public static boolean isKeyFrameStart(byte[] b, int at, int payloadLen) {
        if (payloadLen < 1) {
            return false;
        }
        int type = b[at] & 0x1F;
        if (type == STAP_A) {
            for (int p = at + 1; p + 2 < at + payloadLen; p += 2 + aggregatedSize(b, p)) {
                int size = aggregatedSize(b, p);
                if (size == 0 || p + 2 + size > at + payloadLen) {
                    return false;
                }
                if (startsKeyFrame(b[p + 2] & 0x1F)) {
                    return true;
                }
            }
            return false;
        }
        if (type == FU_A) {
            return payloadLen >= 2 && (b[at + 1] & 0x80) != 0 && startsKeyFrame(b[at + 1] & 0x1F);
        }
        return startsKeyFrame(type);
    }

    /**
     * True for a packet that begins a frame: its first NAL unit (or the one its FU-A fragment
     * starts) is an access unit delimiter, SEI, SPS or PPS, or the first slice of a picture
     * (first_mb_in_slice 0, i.e. the slice header's first bit set). The SPS/PPS packet and the IDR
     * slice after it both count; so would every NAL unit before a picture's first slice.
     */
    public static boolean isFrameStart(byte[] b, int at, int payloadLen) {
        if (payloadLen < 1) {
            return false;
        }
        int type = b[at] & 0x1F;
        int nal = at;
        int nalLen = payloadLen;
        if (type == STAP_A) {
            int size = payloadLen >= 3 ? aggregatedSize(b, at + 1) : 0;
            if (size == 0 || 3 + size > payloadLen) {
                return false;
            }
            nal = at + 3;
            nalLen = size;
            type = b[nal] & 0x1F;
        } else if (type == FU_A) {
            if (payloadLen < 2 || (b[at + 1] & 0x80) == 0) {
                return false;
            }
            type = b[at + 1] & 0x1F;
            nal = at + 1; // the FU header stands where the NAL header was; the slice header follows
            nalLen = payloadLen - 1;
        }
        return switch (type) {
            case ACCESS_UNIT_DELIMITER, SEI, SPS, PPS -> true;
            case SLICE, IDR -> nalLen >= 2 && (b[nal + 1] & 0x80) != 0;
            default -> false;
        };
    }

    /**
     * Width and height of the frame an SPS in this packet describes, after cropping, as
     * {@code width << 16 | height}, or 0 if the packet has no complete, sane SPS. {@code reader}
     * is the caller's, reused.
     */
    public static int keyFrameSize(byte[] b, int at, int payloadLen, RbspBitReader reader) {
        if (payloadLen < 2) {
            return 0;
        }
        int type = b[at] & 0x1F;
        if (type == SPS) {
            reader.reset(b, at + 1, at + payloadLen);
            return spsSize(reader);
        }
        if (type == FU_A) {
            if ((b[at + 1] & 0x80) == 0 || (b[at + 1] & 0x1F) != SPS) {
                return 0;
            }
            reader.reset(b, at + 2, at + payloadLen); // the SPS's first fragment: complete enough, or overrun
            return spsSize(reader);
        }
        if (type != STAP_A) {
            return 0;
        }
        for (int p = at + 1; p + 2 < at + payloadLen; p += 2 + aggregatedSize(b, p)) {
            int size = aggregatedSize(b, p);
            if (size == 0 || p + 2 + size > at + payloadLen) {
                return 0;
            }
            if ((b[p + 2] & 0x1F) == SPS) {
                reader.reset(b, p + 3, p + 2 + size);
                return spsSize(reader);
            }
        }
        return 0;
    }

    private static boolean startsKeyFrame(int nalType) {
        return nalType == IDR || nalType == SPS;
    }

    /** The size field before an aggregated NAL unit of a STAP-A at {@code p}. */
    private static int aggregatedSize(byte[] b, int p) {
        return (b[p] & 0xFF) << 8 | (b[p + 1] & 0xFF);
    }

    /** seq_parameter_set_data() up to the frame cropping (7.3.2.1.1, 7.4.2.1.1), as {@link #keyFrameSize}. */
    static int spsSize(RbspBitReader r) {
        int profile = r.bits(8);
        r.bits(16); // constraint flags, level
        r.ue(); // seq_parameter_set_id
        int chromaFormat = 1;
        boolean separateColourPlanes = false;
        if (hasChromaInfo(profile)) {
            chromaFormat = r.ue();
            if (chromaFormat > 3) {
                return 0;
            }
            if (chromaFormat == 3) {
                separateColourPlanes = r.bit() == 1;
            }
            r.ue(); // bit depths, luma and chroma
            r.ue();
            r.bit(); // qpprime_y_zero_transform_bypass_flag
            if (r.bit() == 1) { // seq_scaling_matrix_present_flag
                int lists = chromaFormat != 3 ? 8 : 12;
                for (int i = 0; i < lists && !r.overrun(); i++) {
                    if (r.bit() == 1) {
                        skipScalingList(r, i < 6 ? 16 : 64);
                    }
                }
            }
        }
        r.ue(); // log2_max_frame_num_minus4
        int pocType = r.ue();
        if (pocType == 0) {
            r.ue(); // log2_max_pic_order_cnt_lsb_minus4
        } else if (pocType == 1) {
            r.bit(); // delta_pic_order_always_zero_flag
            r.se(); // offset_for_non_ref_pic
            r.se(); // offset_for_top_to_bottom_field
            int cycle = r.ue();
            if (cycle > 255) {
                return 0;
            }
            for (int i = 0; i < cycle && !r.overrun(); i++) {
                r.se();
            }
        } else if (pocType != 2) {
            return 0;
        }
        r.ue(); // max_num_ref_frames
        r.bit(); // gaps_in_frame_num_value_allowed_flag
        long widthMbs = r.ue() + 1L;
        long heightMapUnits = r.ue() + 1L;
        int frameMbsOnly = r.bit();
        if (frameMbsOnly == 0) {
            r.bit(); // mb_adaptive_frame_field_flag
        }
        r.bit(); // direct_8x8_inference_flag
        long cropLeft = 0;
        long cropRight = 0;
        long cropTop = 0;
        long cropBottom = 0;
        if (r.bit() == 1) {
            cropLeft = r.ue();
            cropRight = r.ue();
            cropTop = r.ue();
            cropBottom = r.ue();
        }
        if (r.overrun()) {
            return 0;
        }
        int chromaArrayType = separateColourPlanes ? 0 : chromaFormat;
        int cropUnitX = chromaArrayType == 1 || chromaArrayType == 2 ? 2 : 1;
        int cropUnitY = (chromaArrayType == 1 ? 2 : 1) * (2 - frameMbsOnly);
        long width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
        long height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
        if (width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE) {
            return 0;
        }
        return (int) width << 16 | (int) height;
    }

    /** The profiles whose SPS carries chroma format, bit depths and scaling matrices. */
    private static boolean hasChromaInfo(int profile) {
        return switch (profile) {
            case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135 -> true;
            default -> false;
        };
    }

    /** scaling_list() (7.3.2.1.1.1): read only to get past it. */
    private static void skipScalingList(RbspBitReader r, int size) {
        int last = 8;
        int next = 8;
        for (int j = 0; j < size && !r.overrun(); j++) {
            if (next != 0) {
                next = (last + r.se() + 256) % 256;
            }
            last = next == 0 ? last : next;
        }
    }
}
