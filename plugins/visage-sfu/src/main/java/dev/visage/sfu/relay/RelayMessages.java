package dev.visage.sfu.relay;

import dev.visage.api.media.Participant;
import dev.visage.sfu.sdp.Codecs;
import dev.visage.sfu.sdp.TrackInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The relay's server-to-server messages on the {@link dev.visage.api.relay.RelayBus} (JSON-shaped
 * maps; never sent to a client). SSRCs travel as unsigned numbers.
 * <pre>
 * leg (one per node pair)
 *   relay-offer   {leg, address, port, profile, nonce}   offerer's relay socket and the nonce of its sending key
 *   relay-answer  {leg, address, port, profile, nonce}   answerer's socket and nonce; answerer may now decrypt
 *   relay-ready   {leg}                                  offerer has both keys; both sides may now send
 *   relay-close   {leg}                                  leg no longer needed (or its offer failed)
 * room interest (per room and node pair)
 *   relay-subscribe   {room, reply}    "I have members in room: send me your local publishers' tracks";
 *                                      a node that already subscribes to the sender subscribes again
 *                                      (reply=true: not answered in turn), in case its first subscribe
 *                                      arrived before the sender had members
 *   relay-tracks      {room, tracks}   the sender's local tracks of room (answer to subscribe, and again
 *                                      on every change): [{ssrc, rtxSsrc, kind, codec, clockRate, fmtp,
 *                                      trackId, sessionId, userId, displayName, muted, layers?}];
 *                                      layers [{rid, ssrc}] for a track sent as rids (simulcast),
 *                                      smallest first as the publisher listed them: the SSRC each
 *                                      stream crosses the leg under
 *   relay-unsubscribe {room}           "no members left in room"
 *   relay-layers      {room, tracks}   the subscriber's demand: [{ssrc, layers}], per simulcast track of
 *                                      the room (by its announced ssrc) the layers its consumers may
 *                                      need (bit k: the k-th of its announced layers); the sender
 *                                      relays only those. Sent on change and every 5 s; a track not
 *                                      named gets all its layers
 * </pre>
 * Offers and answers are resent every second until answered (at most {@link #MAX_ATTEMPTS}
 * times); a subscribe is resent until its first relay-tracks arrives. A lost ready is repaired by
 * the answer's retransmission (the offerer answers a repeated answer with ready again).
 */
public final class RelayMessages {
    public static final String OFFER = "relay-offer";
    public static final String ANSWER = "relay-answer";
    public static final String READY = "relay-ready";
    public static final String CLOSE = "relay-close";
    public static final String SUBSCRIBE = "relay-subscribe";
    public static final String TRACKS = "relay-tracks";
    public static final String UNSUBSCRIBE = "relay-unsubscribe";
    public static final String LAYERS = "relay-layers";
    public static final int MAX_ATTEMPTS = 5;

    private RelayMessages() {
    }

    /**
     * A remote track as announced in relay-tracks: with, per rid of its info (its simulcast
     * layers), the SSRC that stream crosses the leg under; else its one stream is the info's SSRC.
     */
    public record RemoteTrack(Participant publisher, TrackInfo info, boolean muted, int[] streamSsrcs) {
        public RemoteTrack {
            streamSsrcs = streamSsrcs.length == 0 ? new int[]{info.ssrc()} : streamSsrcs.clone();
        }
    }

    public static Map<String, Object> leg(String type, String legId, String address, int port, int profile,
                                          String nonce) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("leg", legId);
        m.put("address", address);
        m.put("port", port);
        m.put("profile", profile);
        m.put("nonce", nonce);
        return m;
    }

    public static Map<String, Object> simple(String type, String key, String value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put(key, value);
        return m;
    }

    public static Map<String, Object> tracks(String roomId, List<RemoteTrack> tracks) {
        List<Object> list = new ArrayList<>();
        for (RemoteTrack t : tracks) {
            TrackInfo i = t.info();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ssrc", i.ssrc() & 0xFFFFFFFFL);
            m.put("rtxSsrc", i.rtxSsrc() & 0xFFFFFFFFL);
            m.put("kind", i.kind());
            m.put("codec", i.codec());
            m.put("clockRate", i.clockRate());
            m.put("fmtp", i.fmtp() == null ? "" : i.fmtp());
            m.put("trackId", i.trackId());
            m.put("source", i.source());
            m.put("sessionId", t.publisher().sessionId());
            m.put("userId", t.publisher().userId() == null ? "" : t.publisher().userId());
            m.put("displayName", t.publisher().displayName() == null ? "" : t.publisher().displayName());
            m.put("muted", t.muted());
            if (!i.rids().isEmpty()) {
                List<Object> layers = new ArrayList<>();
                for (int k = 0; k < i.rids().size(); k++) {
                    layers.add(Map.of("rid", i.rids().get(k), "ssrc", t.streamSsrcs()[k] & 0xFFFFFFFFL));
                }
                m.put("layers", layers);
            }
            list.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TRACKS);
        m.put("room", roomId);
        m.put("tracks", list);
        return m;
    }

    /**
     * Parses relay-tracks. The TrackInfo uses the canonical payload types (the sending node has
     * already rewritten them) and no header extension map (ids are canonical too).
     *
     * @throws IllegalArgumentException on a malformed entry
     */
    public static List<RemoteTrack> parseTracks(String roomId, Map<String, Object> msg) {
        Object v = msg.get("tracks");
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException("relay-tracks without tracks");
        }
        List<RemoteTrack> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> e)) {
                throw new IllegalArgumentException("bad track entry");
            }
            String kind = str(e, "kind");
            String codec = str(e, "codec");
            if (!kind.equals("audio") && !kind.equals("video") || Codecs.canonicalPt(codec) < 0) {
                throw new IllegalArgumentException("bad track kind or codec");
            }
            int ssrc = (int) num(e, "ssrc");
            int rtxSsrc = (int) num(e, "rtxSsrc");
            List<String> rids = new ArrayList<>();
            int[] streamSsrcs = new int[0];
            if (e.get("layers") instanceof List<?> layers) {
                if (layers.isEmpty() || layers.size() > 4 || !Codecs.simulcastCapable(codec) && layers.size() > 1) {
                    throw new IllegalArgumentException("bad track layers");
                }
                streamSsrcs = new int[layers.size()];
                for (Object l : layers) {
                    if (!(l instanceof Map<?, ?> layer)) {
                        throw new IllegalArgumentException("bad layer entry");
                    }
                    streamSsrcs[rids.size()] = (int) num(layer, "ssrc");
                    rids.add(str(layer, "rid"));
                }
            }
            TrackInfo info = new TrackInfo(kind, "relay", ssrc, rtxSsrc, codec, Codecs.canonicalPt(codec),
                    Codecs.canonicalRtxPt(codec), (int) num(e, "clockRate"), str(e, "fmtp"), Map.of(), str(e, "trackId"),
                    e.get("source") instanceof String s ? s : null, rids);
            Participant p = new Participant(roomId, str(e, "sessionId"), str(e, "userId"), str(e, "displayName"));
            out.add(new RemoteTrack(p, info, Boolean.TRUE.equals(e.get("muted")), streamSsrcs));
        }
        return out;
    }

    /** relay-layers: per simulcast track (by its announced SSRC) the layers wanted, bit k for layer k. */
    public static Map<String, Object> layers(String roomId, Map<Integer, Integer> demand) {
        List<Object> list = new ArrayList<>();
        for (Map.Entry<Integer, Integer> e : demand.entrySet()) {
            list.add(Map.of("ssrc", e.getKey() & 0xFFFFFFFFL, "layers", e.getValue()));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", LAYERS);
        m.put("room", roomId);
        m.put("tracks", list);
        return m;
    }

    /**
     * Parses relay-layers into track SSRC -> layers wanted.
     *
     * @throws IllegalArgumentException on a malformed entry
     */
    public static Map<Integer, Integer> parseLayers(Map<String, Object> msg) {
        if (!(msg.get("tracks") instanceof List<?> list)) {
            throw new IllegalArgumentException("relay-layers without tracks");
        }
        Map<Integer, Integer> out = new LinkedHashMap<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> e)) {
                throw new IllegalArgumentException("bad layers entry");
            }
            long layers = num(e, "layers");
            if (layers <= 0 || layers > 0xF) {
                throw new IllegalArgumentException("bad layers mask");
            }
            out.put((int) num(e, "ssrc"), (int) layers);
        }
        return out;
    }

    public static String str(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("missing '" + key + "'");
        }
        return s;
    }

    public static long num(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("missing '" + key + "'");
        }
        return n.longValue();
    }
}
