package dev.visage.sfu.sdp;

import java.util.List;

/** Shared pieces of the SDPs we write. */
final class SdpBuilder {
    private final StringBuilder sb = new StringBuilder(2048);

    SdpBuilder line(String s) {
        sb.append(s).append("\r\n");
        return this;
    }

    void session(long sessionId, long version, List<String> mids) {
        line("v=0");
        line("o=- " + sessionId + " " + version + " IN IP4 0.0.0.0");
        line("s=visage");
        line("t=0 0");
        if (!mids.isEmpty()) {
            line("a=group:BUNDLE " + String.join(" ", mids));
        }
        line("a=msid-semantic: WMS *");
    }

    void transport(TransportParams t, String setup) {
        line("c=IN IP4 0.0.0.0");
        line("a=rtcp:9 IN IP4 0.0.0.0");
        line("a=ice-ufrag:" + t.ufrag());
        line("a=ice-pwd:" + t.password());
        line("a=fingerprint:sha-256 " + t.fingerprint());
        line("a=setup:" + setup);
        for (String c : t.candidates()) {
            line("a=" + c);
        }
        line("a=end-of-candidates");
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
