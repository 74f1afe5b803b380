package dev.visage.sfu.sdp;

import java.util.List;

/**
 * Our offer for a subscriber's receive PeerConnection: one m-section per remote track (a track
 * that left stays as an inactive section, which a later track of its kind may take over: see the
 * room's SubscribeNegotiation), canonical payload types and
 * header extension ids, SSRCs and the FID group signalled so the browser demuxes by SSRC, and
 * msid "&lt;publisher sessionId&gt; &lt;trackId&gt;" so the MediaStream id is the publisher's session id;
 * transport-wide congestion control (our sequence number on every packet, the subscriber's
 * feedback driving our send-side bandwidth estimate) in every section.
 */
public final class SubscribeOffer {
    /** One m-section. {@code track} null = inactive (left). */
    public record Section(String mid, String kind, TrackInfo track, String streamId, String cname) {
    }

    private SubscribeOffer() {
    }

    public static String build(List<Section> sections, TransportParams transport, long sessionId, long version) {
        SdpBuilder s = new SdpBuilder();
        s.session(sessionId, version, sections.stream().map(Section::mid).toList());
        for (Section sec : sections) {
            TrackInfo t = sec.track();
            String codec = t != null ? t.codec() : sec.kind().equals("audio") ? "OPUS" : "VP8";
            int pt = Codecs.canonicalPt(codec);
            int rtxPt = Codecs.canonicalRtxPt(codec);
            boolean video = sec.kind().equals("video");
            s.line("m=" + sec.kind() + " 9 UDP/TLS/RTP/SAVPF " + pt + (rtxPt > 0 ? " " + rtxPt : ""));
            s.transport(transport, "actpass");
            s.line("a=mid:" + sec.mid());
            if (video) {
                s.line("a=extmap:2 " + Codecs.EXT_ABS_SEND_TIME);
                s.line("a=extmap:3 " + Codecs.EXT_VIDEO_ORIENTATION);
            } else {
                s.line("a=extmap:1 " + Codecs.EXT_AUDIO_LEVEL);
            }
            s.line("a=extmap:" + Codecs.SUBSCRIBER_TRANSPORT_CC_ID + " " + Codecs.EXT_TRANSPORT_CC);
            s.line(t != null ? "a=sendonly" : "a=inactive");
            if (t != null) {
                s.line("a=msid:" + sec.streamId() + " " + t.trackId());
            }
            s.line("a=rtcp-mux");
            s.line("a=rtcp-rsize");
            if (codec.equals("OPUS")) {
                s.line("a=rtpmap:" + pt + " opus/48000/2");
                s.line("a=rtcp-fb:" + pt + " transport-cc");
                s.line("a=fmtp:" + pt + " minptime=10;useinbandfec=1");
            } else {
                s.line("a=rtpmap:" + pt + " " + Codecs.rtpmapName(codec) + "/90000");
                s.line("a=rtcp-fb:" + pt + " ccm fir");
                s.line("a=rtcp-fb:" + pt + " nack");
                s.line("a=rtcp-fb:" + pt + " nack pli");
                s.line("a=rtcp-fb:" + pt + " transport-cc");
                String fmtp = t != null ? t.fmtp() : null;
                if (fmtp != null && !fmtp.isBlank()) {
                    s.line("a=fmtp:" + pt + " " + fmtp);
                }
                s.line("a=rtpmap:" + rtxPt + " rtx/90000");
                s.line("a=fmtp:" + rtxPt + " apt=" + pt);
            }
            if (t != null) {
                long ssrc = t.ssrc() & 0xFFFFFFFFL;
                long rtx = t.rtxSsrc() & 0xFFFFFFFFL;
                if (video && rtx != 0) {
                    s.line("a=ssrc-group:FID " + ssrc + " " + rtx);
                }
                s.line("a=ssrc:" + ssrc + " cname:" + sec.cname());
                s.line("a=ssrc:" + ssrc + " msid:" + sec.streamId() + " " + t.trackId());
                if (video && rtx != 0) {
                    s.line("a=ssrc:" + rtx + " cname:" + sec.cname());
                    s.line("a=ssrc:" + rtx + " msid:" + sec.streamId() + " " + t.trackId());
                }
            }
        }
        return s.toString();
    }
}
