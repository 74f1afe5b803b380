package dev.visage.sfu.sdp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Answers a publisher's offer (we are DTLS server, ICE controlled, receive only). Audio: Opus.
 * Video: the offer's first codec that the SFU accepts ({@code visage.sfu.video-codecs}: VP8,
 * H264 packetization-mode=1, VP9 profile 0, AV1 by default) plus its RTX. The publisher's order
 * decides, as with LiveKit and mediasoup: a client publishes H.264 by putting it first
 * ({@code RTCRtpTransceiver.setCodecPreferences}); browsers list VP8 first by default. Header extensions from {@link Codecs#PUBLISH_EXTENSIONS}
 * keep the offer's ids. Feedback: nack, nack pli, ccm fir, goog-remb, and transport-cc when the
 * offer has the transport-wide sequence extension. Other m-sections
 * (data channels, unsupported codecs, anything beyond {@link #MAX_TRACKS}) are rejected with
 * port 0, which also bounds what one client can make the SFU allocate (a packet cache per video).
 *
 * <p>Simulcast (RFC 8853) is accepted for VP8 and H.264 ({@link Codecs#simulcastCapable}) when
 * the offer lists its send rids and has the mid and rid header extensions: the answer receives
 * every rid ({@code a=rid:<id> recv}, {@code a=simulcast:recv}), and the track gets SSRCs of the
 * SFU's own for its subscribers. Consumers must find key frames to switch layers and, for VP8,
 * rewrite picture ids, which is why other codecs get one layer: the answer receives only the last rid (the largest, as the web client and most others list their
 * encodings smallest first; the offer's SSRCs are still unknown, so the stream is found by its
 * rid as a layer's is).
 */
public final class PublishAnswer {
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    public final String sdp;
    public final List<TrackInfo> tracks;

    private PublishAnswer(String sdp, List<TrackInfo> tracks) {
        this.sdp = sdp;
        this.tracks = tracks;
    }

    /** At most this many media sections of one publisher are accepted; the rest are rejected (port 0). */
    public static final int MAX_TRACKS = 4;

    public static PublishAnswer build(SessionDescription offer, TransportParams transport, List<String> videoPreference,
                                      long sessionId, long version) {
        if (offer.media.isEmpty()) {
            throw new IllegalArgumentException("offer has no media sections");
        }
        List<String> bundled = new ArrayList<>();
        List<String> sections = new ArrayList<>();
        List<TrackInfo> tracks = new ArrayList<>();
        for (MediaSection m : offer.media) {
            if (m.mid == null) {
                throw new IllegalArgumentException("offer media section lacks a=mid");
            }
            SdpBuilder s = new SdpBuilder();
            int[] chosen = m.rejected() || bundled.size() >= MAX_TRACKS ? null : choose(m, videoPreference);
            if (chosen == null) {
                s.line("m=" + m.kind + " 0 " + m.proto + (m.formats.isEmpty() ? " 0" : " " + m.formats.get(0)));
                s.line("c=IN IP4 0.0.0.0");
                s.line("a=mid:" + m.mid);
                s.line("a=inactive");
                sections.add(s.toString());
                continue;
            }
            int pt = chosen[0];
            int rtxPt = chosen[1];
            bundled.add(m.mid);
            String codec = m.codecName(pt);
            s.line("m=" + m.kind + " 9 UDP/TLS/RTP/SAVPF " + pt + (rtxPt >= 0 ? " " + rtxPt : ""));
            s.transport(transport, "passive");
            s.line("a=mid:" + m.mid);
            Map<String, Integer> extIds = new LinkedHashMap<>();
            for (Map.Entry<Integer, String> e : m.extmap.entrySet()) {
                if (Codecs.PUBLISH_EXTENSIONS.contains(e.getValue()) && e.getKey() < 15) {
                    s.line("a=extmap:" + e.getKey() + " " + e.getValue());
                    extIds.put(e.getValue(), e.getKey());
                }
            }
            boolean sends = m.sends();
            s.line(sends ? "a=recvonly" : "a=inactive");
            s.line("a=rtcp-mux");
            s.line("a=rtcp-rsize");
            s.line("a=rtpmap:" + pt + " " + m.rtpmap.get(pt));
            List<String> rids = simulcastRids(m, codec, extIds);
            for (String rid : rids) {
                s.line("a=rid:" + rid + " recv");
            }
            if (!rids.isEmpty()) {
                s.line("a=simulcast:recv " + String.join(";", rids));
            }
            if (extIds.containsKey(Codecs.EXT_TRANSPORT_CC)) {
                s.line("a=rtcp-fb:" + pt + " transport-cc");
            }
            if (m.kind.equals("video")) {
                s.line("a=rtcp-fb:" + pt + " goog-remb");
                s.line("a=rtcp-fb:" + pt + " ccm fir");
                s.line("a=rtcp-fb:" + pt + " nack");
                s.line("a=rtcp-fb:" + pt + " nack pli");
            }
            String fmtp = "OPUS".equals(codec) ? Codecs.withOpusDtx(m.fmtp.get(pt)) : m.fmtp.get(pt);
            if (fmtp != null) {
                s.line("a=fmtp:" + pt + " " + fmtp);
            }
            if (rtxPt >= 0) {
                s.line("a=rtpmap:" + rtxPt + " " + m.rtpmap.get(rtxPt));
                s.line("a=fmtp:" + rtxPt + " apt=" + pt);
            }
            sections.add(s.toString());
            if (sends && !rids.isEmpty()) {
                tracks.add(new TrackInfo(m.kind, m.mid, randomSsrc(), rtxPt >= 0 ? randomSsrc() : 0, codec, pt, rtxPt,
                        m.clockRate(pt), fmtp, extIds, m.msidTrack != null ? m.msidTrack : m.kind + "-" + m.mid, null, rids));
            } else if (sends && !m.ssrcs.isEmpty()) {
                long primary = m.ssrcs.get(0);
                long rtx = 0;
                if (!m.fidGroups.isEmpty()) {
                    Map.Entry<Long, Long> g = m.fidGroups.entrySet().iterator().next();
                    primary = g.getKey();
                    rtx = g.getValue();
                }
                tracks.add(new TrackInfo(m.kind, m.mid, (int) primary, rtxPt >= 0 ? (int) rtx : 0, codec, pt, rtxPt,
                        m.clockRate(pt), fmtp, extIds, m.msidTrack != null ? m.msidTrack : m.kind + "-" + m.mid));
            }
        }
        SdpBuilder out = new SdpBuilder();
        out.session(sessionId, version, bundled);
        StringBuilder sb = new StringBuilder(out.toString());
        for (String s : sections) {
            sb.append(s);
        }
        return new PublishAnswer(sb.toString(), tracks);
    }

    /** The rids received of a simulcast offer (see the class comment), or none. */
    static List<String> simulcastRids(MediaSection m, String codec, Map<String, Integer> extIds) {
        boolean acceptable = !m.simulcastRids.isEmpty() && m.sendRids.containsAll(m.simulcastRids)
                && extIds.containsKey(Codecs.EXT_MID) && extIds.containsKey(Codecs.EXT_RID);
        if (!acceptable) {
            return List.of();
        }
        return Codecs.simulcastCapable(codec) ? List.copyOf(m.simulcastRids) : List.of(m.simulcastRids.get(m.simulcastRids.size() - 1));
    }

    private static int randomSsrc() {
        return RANDOM.nextInt() | 1;
    }

    /** {pt, rtxPt or -1}, or null if nothing acceptable. */
    static int[] choose(MediaSection m, List<String> videoPreference) {
        if (!m.proto.contains("SAVPF")) {
            return null;
        }
        if (m.kind.equals("audio")) {
            for (int pt : m.formats) {
                if ("OPUS".equals(m.codecName(pt)) && m.clockRate(pt) == 48000) {
                    return new int[]{pt, -1};
                }
            }
            return null;
        }
        if (!m.kind.equals("video")) {
            return null;
        }
        for (int offered : m.formats) {
            String codec = m.codecName(offered);
            if (codec == null || !videoPreference.contains(codec)) {
                continue;
            }
            int best = acceptablePt(m, codec);
            if (best >= 0) {
                int rtx = -1;
                for (int pt : m.formats) {
                    if ("RTX".equals(m.codecName(pt)) && String.valueOf(best).equals(m.fmtpParam(pt, "apt"))) {
                        rtx = pt;
                        break;
                    }
                }
                return new int[]{best, rtx};
            }
        }
        return null;
    }

    /**
     * The payload type to receive {@code codec} with, or -1: H264 needs packetization-mode=1
     * (constrained baseline, profile-level-id 42e0.., preferred: every browser decodes it), VP9
     * profile 0; other codecs their first payload type.
     */
    private static int acceptablePt(MediaSection m, String codec) {
        int best = -1;
        for (int pt : m.formats) {
            if (!codec.equals(m.codecName(pt))) {
                continue;
            }
            if (codec.equals("H264")) {
                if (!"1".equals(m.fmtpParam(pt, "packetization-mode"))) {
                    continue;
                }
                String plid = m.fmtpParam(pt, "profile-level-id");
                boolean baseline = plid != null && plid.toLowerCase(Locale.ROOT).startsWith("42e0");
                if (best < 0 || baseline) {
                    best = pt;
                }
                if (baseline) {
                    return pt;
                }
            } else if (codec.equals("VP9")) {
                String profile = m.fmtpParam(pt, "profile-id");
                if (profile == null || profile.equals("0")) {
                    return pt;
                }
            } else {
                return pt;
            }
        }
        return best;
    }
}
