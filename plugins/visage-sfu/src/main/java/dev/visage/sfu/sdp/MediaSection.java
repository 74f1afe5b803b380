package dev.visage.sfu.sdp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One parsed {@code m=} section of an SDP (only what the SFU needs). */
public final class MediaSection {
    public String kind;            // audio | video | application | ...
    public int port;
    /** a=bundle-only (RFC 8843): port 0 in an offer then means "in the bundle", not "rejected". */
    public boolean bundleOnly;
    public String proto;
    public final List<Integer> formats = new ArrayList<>();
    public String mid;
    public String direction = "sendrecv";
    public String iceUfrag;
    public String icePwd;
    public String fingerprintAlgorithm;
    public String fingerprint;
    public String setup;
    public boolean rtcpMux;
    public final Map<Integer, String> rtpmap = new LinkedHashMap<>();   // pt -> "VP8/90000"
    public final Map<Integer, String> fmtp = new LinkedHashMap<>();     // pt -> params
    public final Map<Integer, List<String>> rtcpFb = new LinkedHashMap<>();
    public final Map<Integer, String> extmap = new LinkedHashMap<>();   // id -> uri
    public final List<Long> ssrcs = new ArrayList<>();
    public final Map<Long, Long> fidGroups = new LinkedHashMap<>();     // primary -> rtx
    /** Send rids (RFC 8851) in the order of {@code a=simulcast:send}, paused ones included; empty if none. */
    public final List<String> simulcastRids = new ArrayList<>();
    /** Rids declared with {@code a=rid:<id> send}. */
    public final List<String> sendRids = new ArrayList<>();
    public String msidStream;
    public String msidTrack;
    public final List<String> candidates = new ArrayList<>();

    /** Codec name (upper case) of a payload type, or null. */
    public String codecName(int pt) {
        String m = rtpmap.get(pt);
        if (m == null) {
            return null;
        }
        int slash = m.indexOf('/');
        return (slash < 0 ? m : m.substring(0, slash)).toUpperCase(java.util.Locale.ROOT);
    }

    public int clockRate(int pt) {
        String m = rtpmap.get(pt);
        if (m == null) {
            return 0;
        }
        String[] p = m.split("/");
        try {
            return p.length > 1 ? Integer.parseInt(p[1]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Value of a key in a fmtp line ("apt", "profile-level-id"), or null. */
    public String fmtpParam(int pt, String key) {
        String f = fmtp.get(pt);
        if (f == null) {
            return null;
        }
        for (String kv : f.split(";")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).trim().equalsIgnoreCase(key)) {
                return kv.substring(eq + 1).trim();
            }
        }
        return null;
    }

    /** The extmap id of a URI in this section, or 0. */
    public int extensionId(String uri) {
        for (Map.Entry<Integer, String> e : extmap.entrySet()) {
            if (e.getValue().equals(uri)) {
                return e.getKey();
            }
        }
        return 0;
    }

    /**
     * Port 0 rejects a section, except a bundle-only one: Firefox offers every m-section after the
     * first that way under the max-bundle policy, so reading its port 0 as a rejection drops its video.
     */
    public boolean rejected() {
        return port == 0 && !bundleOnly;
    }

    public boolean sends() {
        return direction.equals("sendrecv") || direction.equals("sendonly");
    }
}
