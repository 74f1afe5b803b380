package dev.visage.sfu.sdp;

import java.util.ArrayList;
import java.util.List;

/**
 * A lenient-but-safe SDP parser (RFC 8866 subset for WebRTC, JSEP). Unknown lines are ignored;
 * structurally broken input (no v= line, bad m= line, numbers that do not parse, attributes
 * before any m= line that need one) raises IllegalArgumentException with a client-safe message.
 */
public final class SessionDescription {
    public static final int MAX_LENGTH = 256 * 1024;

    public String iceUfrag;
    public String icePwd;
    public String fingerprintAlgorithm;
    public String fingerprint;
    public String setup;
    public final List<String> bundle = new ArrayList<>();
    public final List<MediaSection> media = new ArrayList<>();

    public static SessionDescription parse(String sdp) {
        if (sdp == null || sdp.isBlank()) {
            throw new IllegalArgumentException("sdp is empty");
        }
        if (sdp.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("sdp is too large");
        }
        SessionDescription d = new SessionDescription();
        String[] lines = sdp.split("\r?\n");
        if (!lines[0].startsWith("v=0")) {
            throw new IllegalArgumentException("sdp must start with v=0");
        }
        MediaSection m = null;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.length() < 2 || line.charAt(1) != '=') {
                if (line.isEmpty()) {
                    continue;
                }
                throw new IllegalArgumentException("malformed sdp line");
            }
            char t = line.charAt(0);
            String v = line.substring(2);
            try {
                if (t == 'm') {
                    m = parseMediaLine(v);
                    d.media.add(m);
                } else if (t == 'a') {
                    parseAttribute(d, m, v);
                }
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("malformed sdp line: " + abbreviate(line));
            }
        }
        for (MediaSection s : d.media) {
            if (s.iceUfrag == null) {
                s.iceUfrag = d.iceUfrag;
            }
            if (s.icePwd == null) {
                s.icePwd = d.icePwd;
            }
            if (s.fingerprint == null) {
                s.fingerprint = d.fingerprint;
                s.fingerprintAlgorithm = d.fingerprintAlgorithm;
            }
            if (s.setup == null) {
                s.setup = d.setup;
            }
        }
        return d;
    }

    private static String abbreviate(String line) {
        String s = line.length() > 60 ? line.substring(0, 60) + "..." : line;
        return s.replaceAll("[^\\x20-\\x7E]", "?");
    }

    private static MediaSection parseMediaLine(String v) {
        String[] p = v.split(" ");
        if (p.length < 3) {
            throw new IllegalArgumentException("malformed m= line");
        }
        MediaSection m = new MediaSection();
        m.kind = p[0];
        String port = p[1];
        int slash = port.indexOf('/');
        m.port = Integer.parseInt(slash < 0 ? port : port.substring(0, slash));
        if (m.port < 0 || m.port > 65535) {
            throw new IllegalArgumentException("bad port in m= line");
        }
        m.proto = p[2];
        if (m.proto.contains("RTP")) {
            for (int i = 3; i < p.length; i++) {
                int pt = Integer.parseInt(p[i]);
                if (pt < 0 || pt > 127) {
                    throw new IllegalArgumentException("bad payload type in m= line");
                }
                m.formats.add(pt);
            }
        }
        return m;
    }

    private static void parseAttribute(SessionDescription d, MediaSection m, String a) {
        int colon = a.indexOf(':');
        String name = colon < 0 ? a : a.substring(0, colon);
        String value = colon < 0 ? "" : a.substring(colon + 1);
        switch (name) {
            case "group" -> {
                if (value.startsWith("BUNDLE")) {
                    for (String mid : value.substring(6).trim().split(" ")) {
                        if (!mid.isEmpty()) {
                            d.bundle.add(mid);
                        }
                    }
                }
            }
            case "ice-ufrag" -> {
                if (m == null) {
                    d.iceUfrag = value;
                } else {
                    m.iceUfrag = value;
                }
            }
            case "ice-pwd" -> {
                if (m == null) {
                    d.icePwd = value;
                } else {
                    m.icePwd = value;
                }
            }
            case "fingerprint" -> {
                String[] p = value.trim().split(" ");
                if (p.length != 2) {
                    throw new IllegalArgumentException("malformed fingerprint");
                }
                if (m == null) {
                    d.fingerprintAlgorithm = p[0].toLowerCase(java.util.Locale.ROOT);
                    d.fingerprint = p[1].toUpperCase(java.util.Locale.ROOT);
                } else {
                    m.fingerprintAlgorithm = p[0].toLowerCase(java.util.Locale.ROOT);
                    m.fingerprint = p[1].toUpperCase(java.util.Locale.ROOT);
                }
            }
            case "setup" -> {
                if (m == null) {
                    d.setup = value;
                } else {
                    m.setup = value;
                }
            }
            default -> {
                if (m != null) {
                    parseMediaAttribute(m, name, value);
                }
            }
        }
    }

    private static void parseMediaAttribute(MediaSection m, String name, String value) {
        switch (name) {
            case "mid" -> m.mid = value;
            case "sendrecv", "sendonly", "recvonly", "inactive" -> m.direction = name;
            case "rtcp-mux" -> m.rtcpMux = true;
            case "bundle-only" -> m.bundleOnly = true;
            case "rtpmap" -> {
                int sp = value.indexOf(' ');
                m.rtpmap.put(pt(value.substring(0, sp)), value.substring(sp + 1).trim());
            }
            case "fmtp" -> {
                int sp = value.indexOf(' ');
                m.fmtp.put(pt(value.substring(0, sp)), value.substring(sp + 1).trim());
            }
            case "rtcp-fb" -> {
                int sp = value.indexOf(' ');
                String k = value.substring(0, sp);
                int p = k.equals("*") ? -1 : pt(k);
                m.rtcpFb.computeIfAbsent(p, x -> new ArrayList<>()).add(value.substring(sp + 1).trim());
            }
            case "extmap" -> {
                int sp = value.indexOf(' ');
                String idPart = value.substring(0, sp);
                int slash = idPart.indexOf('/');
                int id = Integer.parseInt(slash < 0 ? idPart : idPart.substring(0, slash));
                if (id < 1 || id > 255) {
                    throw new IllegalArgumentException("bad extmap id");
                }
                String rest = value.substring(sp + 1).trim();
                int sp2 = rest.indexOf(' ');
                m.extmap.put(id, sp2 < 0 ? rest : rest.substring(0, sp2));
            }
            case "ssrc" -> {
                int sp = value.indexOf(' ');
                long ssrc = Long.parseLong(sp < 0 ? value : value.substring(0, sp));
                if (ssrc < 0 || ssrc > 0xFFFFFFFFL) {
                    throw new IllegalArgumentException("bad ssrc");
                }
                if (!m.ssrcs.contains(ssrc)) {
                    m.ssrcs.add(ssrc);
                }
            }
            case "ssrc-group" -> {
                String[] p = value.trim().split(" ");
                if (p[0].equals("FID") && p.length == 3) {
                    m.fidGroups.put(Long.parseLong(p[1]), Long.parseLong(p[2]));
                }
            }
            case "msid" -> {
                String[] p = value.trim().split(" ");
                m.msidStream = p[0];
                m.msidTrack = p.length > 1 ? p[1] : null;
            }
            case "candidate" -> m.candidates.add("candidate:" + value);
            case "rid" -> {
                String[] p = value.trim().split(" ");
                if (p.length >= 2 && p[1].equals("send") && validRid(p[0]) && m.sendRids.size() < MAX_RIDS) {
                    m.sendRids.add(p[0]);
                }
            }
            case "simulcast" -> parseSimulcast(m, value.trim());
            default -> {
            }
        }
    }

    /** At most this many simulcast encodings per section are read (browsers send three). */
    static final int MAX_RIDS = 4;

    /** RFC 8851 rid-id: alphanumerics, '-' and '_'; short (it travels in a header extension). */
    private static boolean validRid(String rid) {
        return !rid.isEmpty() && rid.length() <= 16 && rid.chars().allMatch(c -> c < 128
                && (Character.isLetterOrDigit(c) || c == '-' || c == '_'));
    }

    /**
     * {@code a=simulcast:send q;h;f} (RFC 8853): ';' separates streams, ',' alternatives (the first
     * is taken), '~' marks a stream paused at first (still a layer).
     */
    private static void parseSimulcast(MediaSection m, String value) {
        String[] p = value.split(" ");
        for (int i = 0; i + 1 < p.length; i += 2) {
            if (!p[i].equals("send")) {
                continue;
            }
            for (String stream : p[i + 1].split(";")) {
                String rid = stream.split(",")[0];
                rid = rid.startsWith("~") ? rid.substring(1) : rid;
                if (validRid(rid) && !m.simulcastRids.contains(rid) && m.simulcastRids.size() < MAX_RIDS) {
                    m.simulcastRids.add(rid);
                }
            }
        }
    }

    private static int pt(String s) {
        int pt = Integer.parseInt(s.trim());
        if (pt < 0 || pt > 127) {
            throw new IllegalArgumentException("bad payload type");
        }
        return pt;
    }
}
