package dev.visage.sfu.room;

import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.Participant;
import dev.visage.api.media.SignalSink;
import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtcp.TransportCcGenerator;
import dev.visage.sfu.rtp.NackGenerator;
import dev.visage.sfu.rtp.PacketCache;
import dev.visage.sfu.rtp.ResendLimiter;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.rtp.Rtx;
import dev.visage.sfu.sdp.Codecs;
import dev.visage.sfu.sdp.MediaSection;
import dev.visage.sfu.sdp.PublishAnswer;
import dev.visage.sfu.sdp.SessionDescription;
import dev.visage.sfu.sdp.SubscribeOffer;
import dev.visage.sfu.sdp.TrackInfo;
import dev.visage.sfu.sdp.TransportParams;
import dev.visage.sfu.transport.PacketReceiver;
import dev.visage.sfu.transport.PeerTransport;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One participant on the SFU: a publish transport (browser -> SFU) and a subscribe transport
 * (SFU -> browser), the tracks it publishes and the remote tracks it receives.
 *
 * <h2>Signalling (JSON over the app's WebSocket; every message has a {@code type})</h2>
 * <pre>
 * client -> server
 *   {type:"offer",  pc:"publish",   sdp, sources?:{mid:"screen"|"camera"|"microphone"}}
 *                                                     publish offer (sendonly audio/video); renegotiation
 *                                                     allowed (a screen share is one more video section)
 *   {type:"answer", pc:"subscribe", sdp}              answer to the server's subscribe offer
 *   {type:"candidate", pc:"publish"|"subscribe", candidate:{candidate, sdpMid, sdpMLineIndex} | null}
 *   {type:"mute", kind:"audio"|"video", muted:bool}
 *   {type:"media-ready"}                              the client can take subscribe offers now (sent
 *                                                     before its camera opens, so watching starts in
 *                                                     parallel with publishing)
 *   {type:"video-size", trackId, width, height}       the size (device pixels, whole numbers 0..16384;
 *                                                     0 x 0 when hidden) the client shows a remote
 *                                                     video track at: a simulcast track's consumer
 *                                                     sends the smallest layer at least that large
 *                                                     (the largest one until the first message; a
 *                                                     track no longer sent is ignored)
 * server -> client
 *   {type:"answer", pc:"publish",   sdp}
 *   {type:"tracks", tracks:[{mid, sessionId, userId, displayName, kind, source, trackId, muted}]}
 *                                                     sent right before every subscribe offer: which
 *                                                     subscribe m-section (mid) carries whose track;
 *                                                     a mid whose trackId stays while its sessionId
 *                                                     changes is a stream continued after its
 *                                                     publisher reconnected (see Subscription)
 *   {type:"offer",  pc:"subscribe", sdp}              (re)offer whenever tracks come or go; the next one
 *                                                     waits for the answer to the previous one
 *   {type:"track-muted", sessionId, kind, muted}
 *   {type:"media-failed", pc, reason}                 ICE/DTLS failure or consent loss on a transport
 * </pre>
 * The server's candidates are inside its SDPs (single port, host candidates, end-of-candidates);
 * it never trickles. The first subscribe offer is sent after the client's media-ready (or its
 * publish offer), so the client's MediaClient exists when it arrives. Each remote track's
 * MediaStream id is the publisher's sessionId. Malformed input raises IllegalArgumentException
 * with a client-safe message.
 */
public final class SfuEndpoint implements MediaEndpoint {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[1700]);
    private static final ThreadLocal<byte[]> SCRATCH2 = ThreadLocal.withInitial(() -> new byte[1700]);
    private static final System.Logger LOG = System.getLogger(SfuEndpoint.class.getName());
    private static final long NACK_RETRY_NANOS = 100_000_000L;
    /** A live publisher sends audio and video many times a second, muted or not. */
    private static final long SILENT_SOURCE_NANOS = 2_000_000_000L;
    /** The largest width or height a video-size message may ask for (8K is 7680). */
    static final int MAX_VIDEO_SIZE = 16384;

    private final Room room;
    private final Participant participant;
    private final SignalSink sink;
    private final RoomServices svc;
    private final SfuMetrics metrics;
    private final int feedbackSsrc = RANDOM.nextInt() | 1;
    private final long sdpSessionId = RANDOM.nextLong() & Long.MAX_VALUE;

    private volatile PeerTransport publish;
    private volatile PeerTransport subscribe;
    private volatile PublishedTrack[] tracks = new PublishedTrack[0];
    private volatile Subscription[] subscriptions = new Subscription[0];
    /** Some subscription's source was lost and may come back (checked by the timer). */
    private volatile boolean hasOrphans;

    // signalling state, guarded by the room monitor
    private final List<SubscribeOffer.Section> sections = new ArrayList<>();
    private int nextMid;
    /** mid of an inactive section -> the subscribe offer version that first carried it inactive. */
    private final Map<String, Long> inactiveSince = new java.util.HashMap<>();
    private long answeredVersion;
    private boolean clientReady;
    private boolean awaitingAnswer;
    private boolean dirty;
    private long publishVersion;
    private long subscribeVersion;
    private boolean closed;

    // transport-wide congestion control feedback towards the publisher (guarded by tcc)
    private final TransportCcGenerator tcc = new TransportCcGenerator();
    private final byte[] tccBuffer = new byte[1500];
    private volatile int tccExtensionId;

    // timer-owned RTCP buffer
    private final byte[] reportBuffer = new byte[1600];
    private final int[] loss = new int[2];

    /** Bandwidth probes towards this endpoint as a subscriber (timer thread). */
    private final BandwidthProber prober;

    // NACK answers to this endpoint as a subscriber: per-packet RTT spacing, count cap, bandwidth cap
    private final ResendLimiter resendLimiter = ResendLimiter.standard();

    SfuEndpoint(Room room, Participant participant, SignalSink sink, RoomServices svc) {
        this.room = room;
        this.participant = participant;
        this.sink = sink;
        this.svc = svc;
        this.metrics = svc.metrics();
        this.prober = new BandwidthProber(metrics);
    }

    public static SfuEndpoint join(Room room, Participant p, SignalSink sink, RoomServices svc) {
        SfuEndpoint e = new SfuEndpoint(room, p, sink, svc);
        synchronized (room) {
            room.add(e);
            for (SfuEndpoint other : room.members()) {
                if (other != e) {
                    for (PublishedTrack t : other.tracks) {
                        e.addSubscription(t);
                    }
                }
            }
            for (PublishedTrack t : room.relayedTracks()) {
                e.addSubscription(t);
            }
        }
        return e;
    }

    @Override
    public String sessionId() {
        return participant.sessionId();
    }

    public Participant participant() {
        return participant;
    }

    /** The stream (a track's only one, or a simulcast layer) whose packets carry this SSRC. */
    ReceiveStream streamBySsrc(int ssrc) {
        for (PublishedTrack t : tracks) {
            for (ReceiveStream s : t.layers) {
                if (s.ssrc == ssrc && ssrc != 0) {
                    return s;
                }
            }
        }
        return null;
    }

    private ReceiveStream streamByRtxSsrc(int ssrc) {
        for (PublishedTrack t : tracks) {
            for (ReceiveStream s : t.layers) {
                if (s.rtxSsrc == ssrc && ssrc != 0) {
                    return s;
                }
            }
        }
        return null;
    }

    /** True if a stream of this endpoint, or one of its tracks towards subscribers, uses the SSRC. */
    private boolean usesSsrc(int ssrc) {
        for (PublishedTrack t : tracks) {
            if (t.ssrc == ssrc || t.info.rtxSsrc() == ssrc) {
                return true;
            }
        }
        return streamBySsrc(ssrc) != null || streamByRtxSsrc(ssrc) != null;
    }

    /** True if someone else in the room (a local member or a relayed track) uses the SSRC. */
    private boolean ssrcTakenInRoom(int ssrc) {
        for (SfuEndpoint other : room.members()) {
            if (other != this && other.usesSsrc(ssrc)) {
                return true;
            }
        }
        for (PublishedTrack r : room.relayedTracks()) {
            if (r.ssrc == ssrc || r.info.rtxSsrc() == ssrc) {
                return true;
            }
        }
        return false;
    }

    Subscription subscriptionFor(PublishedTrack t) {
        Subscription[] ss = subscriptions;
        for (Subscription s : ss) {
            if (s.track == t) {
                return s;
            }
        }
        return null;
    }

    /** The subscription this subscriber knows by {@code ssrc} (in its RTCP feedback). */
    private Subscription subscriptionBySsrc(int ssrc) {
        for (Subscription s : subscriptions) {
            if (s.ssrc == ssrc) {
                return s;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- signalling

    @Override
    public boolean onClientMessage(String type, Map<String, Object> msg) {
        if (type == null) {
            return false;
        }
        switch (type) {
            case "offer" -> {
                requirePc(msg, "publish");
                onPublishOffer(requireString(msg, "sdp"), sources(msg));
            }
            case "answer" -> {
                requirePc(msg, "subscribe");
                onSubscribeAnswer(requireString(msg, "sdp"));
            }
            case "candidate" -> onCandidate(msg);
            case "mute" -> onMute(msg);
            case "video-size" -> onVideoSize(msg);
            case "media-ready" -> {
                synchronized (room) {
                    clientReady = true;
                    renegotiateSubscribe();
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static String requireString(Map<String, Object> msg, String key) {
        Object v = msg == null ? null : msg.get(key);
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException("missing or invalid '" + key + "'");
        }
        return s;
    }

    private static String requirePc(Map<String, Object> msg, String expected) {
        Object pc = msg == null ? null : msg.get("pc");
        if (pc != null && !expected.equals(pc)) {
            throw new IllegalArgumentException("unexpected pc '" + pc + "' (expected " + expected + ")");
        }
        return expected;
    }

    /** The offer's optional {mid: source} map (which section is a shared screen). */
    private static Map<String, String> sources(Map<String, Object> msg) {
        Object v = msg.get("sources");
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m) || m.size() > PublishAnswer.MAX_TRACKS * 4) {
            throw new IllegalArgumentException("'sources' must be an object of mid -> source");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new IllegalArgumentException("'sources' must be an object of mid -> source");
            }
            out.put(String.valueOf(e.getKey()), s);
        }
        return out;
    }

    private void onPublishOffer(String sdp, Map<String, String> sources) {
        SessionDescription offer = SessionDescription.parse(sdp);
        MediaSection first = offer.media.stream().filter(m -> !m.rejected() && m.iceUfrag != null).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("offer has no usable media section"));
        synchronized (room) {
            if (closed) {
                return;
            }
            PeerTransport t = publish;
            if (t == null) {
                t = newTransport("pub", false, new PacketReceiver.MediaHandler() {
                    @Override
                    public void onRtp(byte[] buf, int off, int len) {
                        onPublisherRtp(buf, off, len);
                    }

                    @Override
                    public void onRtcp(byte[] buf, int off, int len) {
                        onPublisherRtcp(buf, off, len);
                    }
                });
                publish = t;
            }
            PublishAnswer answer = PublishAnswer.build(offer, params(t), svc.config().videoCodecs(), sdpSessionId,
                    publishVersion + 1);
            List<TrackInfo> infos = answer.tracks.stream().map(i -> i.withSource(sources.get(i.mid()))).toList();
            rejectForeignSsrcs(infos);
            publishVersion++;
            t.setRemote(first.iceUfrag, first.icePwd, first.fingerprintAlgorithm, first.fingerprint);
            for (MediaSection m : offer.media) {
                for (String c : m.candidates) {
                    addCandidateQuietly(t, c);
                }
            }
            updatePublishedTracks(infos);
            tccExtensionId = answer.tracks.stream().map(ti -> ti.extensionIds().get(Codecs.EXT_TRANSPORT_CC))
                    .filter(java.util.Objects::nonNull).findFirst().orElse(0);
            send(Map.of("type", "answer", "pc", "publish", "sdp", answer.sdp));
            if (!clientReady) { // an older client without media-ready
                clientReady = true;
                renegotiateSubscribe();
            }
        }
    }

    /** Subscribers demultiplex by SSRC: one already used in the room (by someone else) is refused. */
    private void rejectForeignSsrcs(List<TrackInfo> infos) {
        for (TrackInfo i : infos) {
            for (int ssrc : new int[]{i.ssrc(), i.rtxSsrc()}) {
                if (ssrc == 0) {
                    continue;
                }
                if (ssrcTakenInRoom(ssrc)) {
                    throw new IllegalArgumentException("ssrc " + Integer.toUnsignedString(ssrc) + " is already in use in this room");
                }
            }
        }
    }

    private void addCandidateQuietly(PeerTransport t, String c) {
        try {
            t.addRemoteCandidate(c);
        } catch (IllegalArgumentException ignored) {
            // a candidate we cannot use inside an otherwise fine SDP
        }
    }

    private void updatePublishedTracks(List<TrackInfo> infos) {
        List<PublishedTrack> keep = new ArrayList<>();
        List<PublishedTrack> added = new ArrayList<>();
        for (TrackInfo i : infos) {
            PublishedTrack existing = sameTrack(i);
            if (existing != null) {
                keep.add(existing);
            } else {
                PublishedTrack nt = new PublishedTrack(this, i, svc.config().nackCachePackets());
                keep.add(nt);
                added.add(nt);
            }
        }
        List<PublishedTrack> removed = new ArrayList<>(Arrays.asList(tracks));
        removed.removeAll(keep);
        tracks = keep.toArray(new PublishedTrack[0]);
        for (SfuEndpoint other : room.members()) {
            if (other == this) {
                continue;
            }
            for (PublishedTrack r : removed) {
                other.removeSubscription(r);
            }
            for (PublishedTrack a : added) {
                other.addSubscription(a);
            }
            if (!removed.isEmpty() || !added.isEmpty()) {
                other.renegotiateSubscribe();
            }
        }
        if (!removed.isEmpty() || !added.isEmpty()) {
            room.changed(); // the relay tells other nodes
        }
    }

    /**
     * The track a renegotiated offer keeps: the same SSRC, or for a track found by rids (whose
     * SSRCs in a new answer are new) the same mid and rids; and the same payload type.
     */
    private PublishedTrack sameTrack(TrackInfo i) {
        for (PublishedTrack t : tracks) {
            boolean same = i.rids().isEmpty() ? t.info.rids().isEmpty() && t.ssrc == i.ssrc()
                    : t.info.mid().equals(i.mid()) && t.info.rids().equals(i.rids());
            if (same && t.info.payloadType() == i.payloadType()) {
                return t;
            }
        }
        return null;
    }

    /** The tracks this endpoint publishes (for the relay). */
    public PublishedTrack[] publishedTracks() {
        return tracks;
    }

    /** Under the room monitor. */
    void addSubscription(PublishedTrack t) {
        if (subscriptionFor(t) != null) {
            return;
        }
        Subscription heir = subscriptionToContinue(t);
        if (heir != null) {
            LOG.log(System.Logger.Level.INFO, () -> "room=" + room.id + " session=" + sessionId() + " stream mid="
                    + heir.mid + " of user " + t.publisher.userId() + " continues from session "
                    + heir.track.publisher.sessionId() + " to " + t.publisher.sessionId());
            heir.rebind(t);
            return;
        }
        Participant owner = t.publisher;
        // Recycle an m-section of the same kind whose inactive state the browser has already
        // accepted (so the SDP does not grow with every join/leave); otherwise append one.
        int reuse = -1;
        for (int i = 0; i < sections.size() && reuse < 0; i++) {
            SubscribeOffer.Section sec = sections.get(i);
            Long inactiveAt = inactiveSince.get(sec.mid());
            if (sec.track() == null && sec.kind().equals(t.info.kind()) && inactiveAt != null
                    && inactiveAt <= answeredVersion) {
                reuse = i;
            }
        }
        String mid = reuse >= 0 ? sections.get(reuse).mid() : String.valueOf(nextMid++);
        Subscription s = new Subscription(t, mid);
        Subscription[] ss = Arrays.copyOf(subscriptions, subscriptions.length + 1);
        ss[ss.length - 1] = s;
        subscriptions = ss;
        SubscribeOffer.Section section = new SubscribeOffer.Section(mid, t.info.kind(), t.info, owner.sessionId(),
                owner.sessionId());
        if (reuse >= 0) {
            inactiveSince.remove(mid);
            sections.set(reuse, section);
        } else {
            sections.add(section);
        }
    }

    /**
     * A stream of this subscriber that {@code t} continues: the same user's stream of the same kind
     * and codec whose source is gone (its connection was lost, see {@link #close}) or silent (a
     * session whose loss the node has not noticed yet). That is a publisher reconnecting.
     */
    private Subscription subscriptionToContinue(PublishedTrack t) {
        String user = t.publisher.userId();
        if (user == null || user.isEmpty()) {
            return null;
        }
        long now = System.nanoTime();
        for (Subscription s : subscriptions) {
            PublishedTrack cur = s.track;
            boolean gone = s.orphanedAtMillis != 0 || cur.silentFor(now, SILENT_SOURCE_NANOS);
            if (gone && user.equals(cur.publisher.userId())
                    && !cur.publisher.sessionId().equals(t.publisher.sessionId()) && s.canContinueWith(t)) {
                return s;
            }
        }
        return null;
    }

    /** Under the room monitor. */
    void removeSubscription(PublishedTrack t) {
        Subscription s = subscriptionFor(t);
        if (s == null) {
            return;
        }
        List<Subscription> l = new ArrayList<>(Arrays.asList(subscriptions));
        l.remove(s);
        subscriptions = l.toArray(new Subscription[0]);
        for (int i = 0; i < sections.size(); i++) {
            SubscribeOffer.Section sec = sections.get(i);
            if (sec.mid().equals(s.mid)) {
                sections.set(i, new SubscribeOffer.Section(sec.mid(), sec.kind(), null, sec.streamId(), sec.cname()));
            }
        }
    }

    /** Under the room monitor: sends a new subscribe offer now, or after the pending answer. */
    void renegotiateSubscribe() {
        if (closed || !clientReady || sections.isEmpty()) {
            return;
        }
        if (awaitingAnswer) {
            dirty = true;
            return;
        }
        PeerTransport t = subscribe;
        if (t == null) {
            t = newTransport("sub", true, new PacketReceiver.MediaHandler() {
                @Override
                public void onRtp(byte[] buf, int off, int len) {
                    metrics.dropUnknownSsrc.incrementAndGet(); // subscribers do not send media here
                }

                @Override
                public void onRtcp(byte[] buf, int off, int len) {
                    onSubscriberRtcp(buf, off, len);
                }
            });
            if (t == null) {
                return;
            }
            subscribe = t;
        }
        String sdp = SubscribeOffer.build(sections, params(t), sdpSessionId, ++subscribeVersion);
        for (SubscribeOffer.Section sec : sections) {
            if (sec.track() == null) {
                inactiveSince.putIfAbsent(sec.mid(), subscribeVersion);
            }
        }
        awaitingAnswer = true;
        dirty = false;
        List<Object> list = new ArrayList<>();
        for (SubscribeOffer.Section sec : sections) {
            if (sec.track() == null) {
                continue;
            }
            Subscription s = findSubscriptionByMid(sec.mid());
            if (s == null) {
                continue;
            }
            // the current source's owner: after a publisher reconnect, its new session
            Participant o = s.track.publisher;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mid", sec.mid());
            m.put("sessionId", o.sessionId());
            m.put("userId", o.userId() != null ? o.userId() : "");
            m.put("displayName", o.displayName() != null ? o.displayName() : "");
            m.put("kind", sec.kind());
            m.put("source", sec.track().source());
            m.put("trackId", sec.track().trackId());
            m.put("muted", s.track.muted);
            list.add(m);
        }
        send(Map.of("type", "tracks", "tracks", list));
        send(Map.of("type", "offer", "pc", "subscribe", "sdp", sdp));
    }

    private Subscription findSubscriptionByMid(String mid) {
        for (Subscription s : subscriptions) {
            if (s.mid.equals(mid)) {
                return s;
            }
        }
        return null;
    }

    private void onSubscribeAnswer(String sdp) {
        SessionDescription answer = SessionDescription.parse(sdp);
        synchronized (room) {
            PeerTransport t = subscribe;
            if (t == null || !awaitingAnswer) {
                throw new IllegalArgumentException("no subscribe offer is pending");
            }
            MediaSection first = answer.media.stream().filter(m -> !m.rejected() && m.iceUfrag != null).findFirst()
                    .orElse(null);
            if (first != null) {
                t.setRemote(first.iceUfrag, first.icePwd, first.fingerprintAlgorithm, first.fingerprint);
                for (MediaSection m : answer.media) {
                    for (String c : m.candidates) {
                        addCandidateQuietly(t, c);
                    }
                }
            }
            if (acceptsOurTransportCc(answer)) {
                t.enableTransportCc(Codecs.SUBSCRIBER_TRANSPORT_CC_ID);
            }
            awaitingAnswer = false;
            answeredVersion = subscribeVersion;
            if (t.isConnected()) {
                requestKeyFramesForNewSubscriptions();
            }
            if (dirty) {
                renegotiateSubscribe();
            }
        }
    }

    /** The subscriber's answer keeps our transport-wide sequence number extension (under our id). */
    private static boolean acceptsOurTransportCc(SessionDescription answer) {
        for (MediaSection m : answer.media) {
            if (!m.rejected() && m.extensionId(Codecs.EXT_TRANSPORT_CC) == Codecs.SUBSCRIBER_TRANSPORT_CC_ID) {
                return true;
            }
        }
        return false;
    }

    private void requestKeyFramesForNewSubscriptions() {
        for (Subscription s : subscriptions) {
            if (s.track.video && !s.keyFrameRequested) {
                s.keyFrameRequested = true;
                s.updateTargetLayer(System.nanoTime());
                requestKeyFrame(s);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void onCandidate(Map<String, Object> msg) {
        Object pc = msg.get("pc");
        if (!"publish".equals(pc) && !"subscribe".equals(pc)) {
            throw new IllegalArgumentException("candidate needs pc 'publish' or 'subscribe'");
        }
        Object c = msg.get("candidate");
        if (c == null) {
            return; // end of candidates
        }
        String line;
        if (c instanceof Map<?, ?> m) {
            Object v = ((Map<String, Object>) m).get("candidate");
            if (v == null || "".equals(v)) {
                return;
            }
            if (!(v instanceof String)) {
                throw new IllegalArgumentException("invalid candidate");
            }
            line = (String) v;
        } else if (c instanceof String s) {
            line = s;
        } else {
            throw new IllegalArgumentException("invalid candidate");
        }
        if (line.isEmpty()) {
            return;
        }
        PeerTransport t = "publish".equals(pc) ? publish : subscribe;
        if (t == null) {
            throw new IllegalArgumentException("no " + pc + " transport yet");
        }
        t.addRemoteCandidate(line);
    }

    /**
     * {type:"video-size", trackId, width, height}: the subscriber shows that remote track at this
     * size (CSS pixels times the device pixel ratio; 0 x 0 when hidden), so its consumer forwards
     * the smallest simulcast layer at least as large. Tracks without simulcast ignore it, and so
     * does a track this session no longer receives (a report that crossed the track's end).
     */
    private void onVideoSize(Map<String, Object> msg) {
        String trackId = requireString(msg, "trackId");
        int width = requireSize(msg, "width");
        int height = requireSize(msg, "height");
        for (Subscription s : subscriptions) {
            if (s.track.info.trackId().equals(trackId) && s.track.video) {
                s.requestSize(width, height);
            }
        }
    }

    private static int requireSize(Map<String, Object> msg, String key) {
        Object v = msg.get(key);
        if (!(v instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > MAX_VIDEO_SIZE
                || n.doubleValue() != Math.floor(n.doubleValue())) {
            throw new IllegalArgumentException("'" + key + "' must be a whole number of pixels from 0 to " + MAX_VIDEO_SIZE);
        }
        return n.intValue();
    }

    private void onMute(Map<String, Object> msg) {
        Object kind = msg.get("kind");
        Object muted = msg.get("muted");
        if (!("audio".equals(kind) || "video".equals(kind)) || !(muted instanceof Boolean)) {
            throw new IllegalArgumentException("mute needs kind 'audio'|'video' and boolean muted");
        }
        boolean m = (Boolean) muted;
        boolean keyFrame = false;
        for (PublishedTrack t : tracks) {
            if (t.info.kind().equals(kind)) {
                t.muted = m;
                keyFrame |= t.video && !m;
            }
        }
        Map<String, Object> event = Map.of("type", "track-muted", "sessionId", sessionId(), "kind", kind, "muted", m);
        for (SfuEndpoint other : room.members()) {
            if (other != this) {
                other.send(event);
            }
        }
    }

    private PeerTransport newTransport(String label, boolean controlling, PacketReceiver.MediaHandler media) {
        PeerTransport t = createTransport(label, controlling, media);
        t.setDebugDropRate(svc.config().debugDropRtpPercent() / 100.0);
        return t;
    }

    private PeerTransport createTransport(String label, boolean controlling, PacketReceiver.MediaHandler media) {
        try {
            return new PeerTransport(participant.sessionId() + "-" + label, metrics, svc.harvesters(), controlling,
                    svc.certificate(), media, new PeerTransport.Listener() {
                        @Override
                        public void onConnected(PeerTransport t) {
                            onTransportConnected(t);
                        }

                        @Override
                        public void onFailed(PeerTransport t, String reason) {
                            send(Map.of("type", "media-failed", "pc", t == publish ? "publish" : "subscribe",
                                    "reason", reason));
                        }
                    }, svc.config().consentTimeoutMillis());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create media transport", e);
        }
    }

    private void onTransportConnected(PeerTransport t) {
        if (t == subscribe) {
            synchronized (room) {
                requestKeyFramesForNewSubscriptions();
            }
        } else {
            sendReceiverReports();
        }
    }

    private static TransportParams params(PeerTransport t) {
        return new TransportParams(t.localUfrag(), t.localPassword(), t.certificateFingerprint(), t.localCandidates());
    }

    /** Often under the room monitor or on the timer: fine, since the sink only queues (see SignalSink). */
    void send(Map<String, Object> msg) {
        try {
            sink.send(msg);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "signal send failed", e);
        }
    }

    // ---------------------------------------------------------------- media path

    /**
     * Publisher RTP (decrypted): unwrap RTX answers to our NACKs, note gaps (NACK them), rewrite
     * to canonical PT/extension ids, then the room's fan-out steps ({@link Room#fanOut}) and the relay.
     */
    void onPublisherRtp(byte[] buf, int off, int len) {
        int tccId = tccExtensionId;
        if (tccId != 0) {
            // every packet counts for the sender's estimator, probes and retransmissions included
            long ext = RtpPacket.findExtension(buf, off, len, tccId);
            if (ext >= 0 && (ext & 0xFF) == 2) {
                int seq = RtpPacket.u16(buf, (int) (ext >>> 8));
                PeerTransport p = publish;
                long arrival = p != null ? p.arrivalMicros() : System.currentTimeMillis() * 1000;
                synchronized (tcc) {
                    tcc.onPacket(seq, arrival);
                }
            }
        }
        int ssrc = RtpPacket.ssrc(buf, off);
        ReceiveStream stream = streamBySsrc(ssrc);
        boolean retransmission = false;
        if (stream == null) {
            stream = streamByRtxSsrc(ssrc);
            if (stream == null) {
                stream = learnSsrc(buf, off, len, ssrc);
                if (stream == null) {
                    metrics.dropUnknownSsrc.incrementAndGet();
                    return;
                }
            }
            retransmission = stream.ssrc != ssrc;
        }
        PublishedTrack t = stream.track;
        if (retransmission) {
            if (RtpPacket.payloadType(buf, off) != t.info.rtxPayloadType()) {
                metrics.dropRtx.incrementAndGet();
                return;
            }
            len = Rtx.unwrap(buf, off, len, stream.ssrc, t.info.payloadType());
            if (len < 0) {
                metrics.dropRtx.incrementAndGet(); // padding-only probe
                return;
            }
        } else if (RtpPacket.payloadType(buf, off) != t.info.payloadType()) {
            metrics.dropUnknownSsrc.incrementAndGet();
            return;
        }
        int seq = RtpPacket.sequence(buf, off);
        long arrivalNanos = System.nanoTime();
        if (stream.nacks != null) {
            int nackLen;
            synchronized (stream.nacks) {
                int arrival = stream.nacks.onPacket(seq);
                if (retransmission && arrival == NackGenerator.DUPLICATE) {
                    metrics.dropRtx.incrementAndGet(); // a copy of a packet we already forwarded
                    return;
                }
                if (arrival == NackGenerator.RECOVERED) {
                    metrics.recovered.incrementAndGet();
                }
                nackLen = stream.nacks.missingCount() == 0 ? 0
                        : stream.nacks.writeNack(stream.nackBuffer, 0, feedbackSsrc, stream.ssrc, System.nanoTime(), NACK_RETRY_NANOS);
                if (nackLen > 0) {
                    sendNack(stream, nackLen);
                }
            }
        } else if (retransmission) {
            metrics.dropRtx.incrementAndGet();
            return;
        }
        // counted only now: a duplicate (the publisher's congestion control probes with RTX copies
        // of packets already sent) would make its layer look dearer to every consumer's allocator
        stream.onPacket(seq, len, arrivalNanos);
        RtpPacket.setPayloadType(buf, off, t.canonicalPt);
        if (!RtpPacket.remapExtensions(buf, off, len, t.extensionMap)) {
            metrics.dropMalformedRtp.incrementAndGet();
            return;
        }
        room.fanOut(stream, seq, arrivalNanos, buf, off, len, this);
        PublishedTrack.Downstream relay = t.downstream;
        if (relay != null) {
            relay.onRtp(t, stream.layer, buf, off, len); // once per node that subscribed, not per subscriber
        }
    }

    /**
     * Fan-out step, subscriber side (a local publisher's packet, or a relayed one): this
     * subscriber's copy of a packet of {@code stream} (its {@link ReceiveStream#inspect facts}),
     * if its consumer takes it, rewritten into its numbering and sent. No allocation.
     */
    void deliver(ReceiveStream stream, int seq, int facts, byte[] buf, int off, int len, long arrivalNanos,
                 byte[] scratch) {
        PeerTransport st = subscribe;
        Subscription sub;
        if (st == null || !st.isConnected() || (sub = subscriptionFor(stream.track)) == null
                || !sub.accepts(stream.layer, seq, (facts & ReceiveStream.KEY_FRAME_START) != 0,
                ReceiveStream.temporalLayer(facts), (facts & ReceiveStream.FRAME_START) != 0)) {
            return;
        }
        System.arraycopy(buf, off, scratch, 0, len);
        sub.rewriteRtp(scratch, 0, len, arrivalNanos);
        if (st.sendRtp(scratch, 0, len)) {
            metrics.rtpForwarded.incrementAndGet();
            sub.packetsSent++;
            sub.bytesSent += len;
        }
    }

    /**
     * A packet with an SSRC no stream has yet: if its mid and rid (or repaired rid) header
     * extensions name a layer of ours whose SSRC is not known, that is its SSRC (or RTX SSRC)
     * from now on. Once per stream, so the lookups here are not on the per-packet path.
     */
    private ReceiveStream learnSsrc(byte[] buf, int off, int len, int ssrc) {
        for (PublishedTrack t : tracks) {
            if (t.ridExtensionId == 0 || t.midExtensionId == 0) {
                continue;
            }
            long mid = RtpPacket.findExtension(buf, off, len, t.midExtensionId);
            if (mid < 0 || !t.hasMid(buf, (int) (mid >>> 8), (int) (mid & 0xFF))) {
                continue;
            }
            boolean repair = false;
            long rid = RtpPacket.findExtension(buf, off, len, t.ridExtensionId);
            if (rid < 0 && t.repairedRidExtensionId != 0) {
                rid = RtpPacket.findExtension(buf, off, len, t.repairedRidExtensionId);
                repair = true;
            }
            if (rid < 0) {
                return null;
            }
            for (ReceiveStream s : t.layers) {
                if (!s.hasRid(buf, (int) (rid >>> 8), (int) (rid & 0xFF))) {
                    continue;
                }
                synchronized (room) {
                    if ((repair ? s.rtxSsrc : s.ssrc) != 0 || usesSsrc(ssrc) || ssrcTakenInRoom(ssrc)) {
                        return null;
                    }
                    if (repair) {
                        s.rtxSsrc = ssrc;
                    } else {
                        s.ssrc = ssrc;
                    }
                }
                String what = repair ? " rtx ssrc=" : " ssrc=";
                LOG.log(System.Logger.Level.DEBUG, () -> "room=" + room.id + " session=" + sessionId() + " mid=" + t.info.mid()
                        + " rid=" + s.rid + what + Integer.toUnsignedString(ssrc));
                return s;
            }
            return null;
        }
        return null;
    }

    /**
     * Fan-out step for a sender report of {@code stream} (without report blocks; a local
     * publisher's, or a relayed one): to this subscriber if it receives that stream now, with its
     * SSRC and RTP time, noted for the RTT its report blocks will give.
     */
    void deliverSenderReport(ReceiveStream stream, byte[] sr, int off, int len, byte[] scratch) {
        PeerTransport st = subscribe;
        Subscription sub;
        if (st == null || !st.isConnected() || (sub = subscriptionFor(stream.track)) == null || !sub.ready()
                || sub.currentLayer() != stream.layer) {
            return; // no time mapping yet, or another layer
        }
        System.arraycopy(sr, off, scratch, 0, len);
        sub.rewriteSenderReport(scratch, 0);
        if (st.sendRtcp(scratch, 0, len)) {
            sub.onSrForwarded(RtpPacket.i32(sr, off + 10), System.nanoTime());
        }
    }

    private void sendTransportCcFeedback(PeerTransport p) {
        PublishedTrack[] ts = tracks;
        int mediaSsrc = ts.length > 0 ? ts[0].primary().ssrc : 0;
        synchronized (tcc) {
            for (int guard = 0; guard < 4 && tcc.hasPending(); guard++) {
                int n = tcc.writeFeedback(tccBuffer, 0, feedbackSsrc, mediaSsrc);
                if (n == 0) {
                    break;
                }
                p.sendRtcp(tccBuffer, 0, n);
            }
        }
    }

    /** Caller holds s.nacks; the NACK is in s.nackBuffer. */
    private void sendNack(ReceiveStream s, int len) {
        PeerTransport p = publish;
        if (p != null && p.sendRtcp(s.nackBuffer, 0, len)) {
            metrics.nacksSent.incrementAndGet();
        }
    }

    /** Publisher RTCP: note SRs (for our RR's LSR/DLSR) and pass them on to subscribers. */
    void onPublisherRtcp(byte[] buf, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int plen = Rtcp.packetLength(buf, i);
            if (Rtcp.type(buf, i) == Rtcp.SR && plen >= 28) {
                ReceiveStream stream = streamBySsrc(Rtcp.senderSsrc(buf, i));
                if (stream != null) {
                    onPublisherSenderReport(stream, buf, i, plen);
                }
            }
            i += plen;
        }
    }

    /**
     * A publisher's SR of one of its streams: noted (for our RR's LSR/DLSR) and passed on to the
     * subscribers (and the relay) that receive that stream now.
     */
    private void onPublisherSenderReport(ReceiveStream stream, byte[] buf, int at, int plen) {
        stream.lastSrNtpMiddle = RtpPacket.i32(buf, at + 10);
        stream.lastSrArrivalNanos = System.nanoTime();
        byte[] sr = SCRATCH2.get();
        int n = Rtcp.copySrWithoutBlocks(buf, at, plen, sr, 0);
        if (n <= 0) {
            return;
        }
        room.fanOutSenderReport(stream, sr, 0, n, this);
        PublishedTrack.Downstream relay = stream.track.downstream;
        if (relay != null) {
            relay.onSenderReport(stream.track, stream.layer, sr, 0, n);
        }
    }

    /** Subscriber RTCP: PLI/FIR -> key-frame request to the publisher; NACK -> resend from cache. */
    void onSubscriberRtcp(byte[] buf, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int plen = Rtcp.packetLength(buf, i);
            int pt = Rtcp.type(buf, i);
            int fmt = Rtcp.fmt(buf, i);
            if ((pt == Rtcp.RR || pt == Rtcp.SR) && plen >= 8) {
                onSubscriberReportBlocks(buf, i, plen, pt == Rtcp.SR ? 28 : 8);
            } else if (pt == Rtcp.PSFB && plen >= 12) {
                int ssrc = fmt == Rtcp.FMT_FIR ? Rtcp.firSsrc(buf, i, plen) : Rtcp.mediaSsrc(buf, i);
                if (fmt == Rtcp.FMT_PLI || fmt == Rtcp.FMT_FIR) {
                    Subscription s = subscriptionBySsrc(ssrc);
                    if (s != null) {
                        requestKeyFrame(s);
                    }
                }
            } else if (pt == Rtcp.RTPFB && fmt == Rtcp.FMT_TCC) {
                PeerTransport st = subscribe;
                if (st != null && st.onTransportCcFeedback(buf, i, plen)) {
                    metrics.transportCcFeedback.incrementAndGet();
                } else {
                    metrics.transportCcFeedbackDropped.incrementAndGet();
                }
            } else if (pt == Rtcp.RTPFB && fmt == Rtcp.FMT_NACK && plen >= 16) {
                Subscription s = subscriptionBySsrc(Rtcp.mediaSsrc(buf, i));
                if (s != null && s.ready()) {
                    int n = Rtcp.nackEntries(plen);
                    for (int k = 0; k < n; k++) {
                        int pid = Rtcp.nackPid(buf, i, k);
                        int blp = Rtcp.nackBlp(buf, i, k);
                        resend(s, pid);
                        for (int b = 0; b < 16; b++) {
                            if ((blp & (1 << b)) != 0) {
                                resend(s, (pid + b + 1) & 0xFFFF);
                            }
                        }
                    }
                }
            }
            i += plen;
        }
    }

    /** What the subscriber reports about each stream we send it (loss, jitter). */
    private void onSubscriberReportBlocks(byte[] buf, int at, int plen, int firstBlock) {
        int count = Rtcp.fmt(buf, at);
        long now = System.nanoTime();
        for (int k = 0; k < count; k++) {
            int b = at + firstBlock + 24 * k;
            if (b + 24 > at + plen) {
                return;
            }
            int ssrc = RtpPacket.i32(buf, b);
            Subscription[] ss = subscriptions;
            for (Subscription s : ss) {
                if (s.ssrc == ssrc) {
                    s.fractionLost = buf[b + 4] & 0xFF;
                    s.cumulativeLost = ((buf[b + 5] & 0xFF) << 16) | ((buf[b + 6] & 0xFF) << 8) | (buf[b + 7] & 0xFF);
                    s.jitter = RtpPacket.u32(buf, b + 12);
                    // RTT = arrival - when we forwarded the SR it names (LSR) - its hold time (DLSR)
                    long rtt = s.rttFrom(RtpPacket.i32(buf, b + 16), RtpPacket.u32(buf, b + 20), now);
                    if (rtt >= 0) {
                        resendLimiter.onRtt(rtt);
                        s.rttNanos = rtt;
                    }
                }
            }
        }
    }

    /** Stream statistics of this endpoint: what it publishes and what it receives. */
    public List<Map<String, Object>> streamStats() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (PublishedTrack t : tracks) {
            for (ReceiveStream s : t.layers) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("direction", "publish");
                m.put("sessionId", participant.sessionId());
                m.put("userId", participant.userId() == null ? "" : participant.userId());
                m.put("displayName", participant.displayName() == null ? "" : participant.displayName());
                m.put("kind", t.info.kind());
                m.put("codec", t.info.codec());
                m.put("ssrc", s.ssrc & 0xFFFFFFFFL);
                if (s.rid != null) {
                    m.put("rid", s.rid);
                    int size = s.keyFrameSize;
                    m.put("width", size >>> 16);
                    m.put("height", size & 0xFFFF);
                }
                m.put("packets", s.packetsReceived);
                m.put("bytes", s.bytesReceived);
                m.put("bitrateBps", s.bitrateBps);
                m.put("fractionLost", s.lastFractionLost / 256.0);
                m.put("packetsLost", s.lastCumulativeLost);
                m.put("muted", t.muted);
                out.add(m);
            }
        }
        SendSideEstimator estimator = bandwidthEstimator();
        for (Subscription s : subscriptions) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("direction", "subscribe");
            m.put("sessionId", participant.sessionId());
            m.put("fromSessionId", s.track.publisher.sessionId());
            m.put("relayed", s.track.upstream != null);
            m.put("kind", s.track.info.kind());
            m.put("codec", s.track.info.codec());
            m.put("ssrc", s.ssrc & 0xFFFFFFFFL);
            m.put("packets", s.packetsSent);
            m.put("bytes", s.bytesSent);
            m.put("fractionLost", s.fractionLost / 256.0);
            m.put("packetsLost", s.cumulativeLost);
            int clock = Math.max(1, s.track.info.clockRate());
            m.put("jitterMs", s.jitter * 1000.0 / clock);
            m.put("rttMs", s.rttNanos < 0 ? -1.0 : s.rttNanos / 1e6);
            m.put("retransmissions", s.resent);
            if (s.track.simulcast) {
                m.put("layer", s.currentLayer());
                m.put("layerSwitches", s.layerSwitches);
                if (s.maxTemporalLayer() != Subscription.ALL_TEMPORAL_LAYERS) {
                    m.put("maxTemporalLayer", s.maxTemporalLayer()); // thinned: frames above it are not sent
                }
                m.put("framesThinned", s.framesThinned);
            }
            if (estimator != null) {
                // the subscriber's whole downlink (shared by its streams), as the SFU estimates it
                m.put("estimateBps", estimator.estimateBps());
                m.put("estimateAckedBps", estimator.ackedBps());
                m.put("estimateLossFraction", estimator.lossFraction());
                m.put("estimateSignal", estimator.signal());
                m.put("estimateProbes", estimator.probes());
                m.put("estimateLastProbeBps", estimator.lastProbeBps());
            }
            out.add(m);
        }
        return out;
    }

    /** Answers a subscriber's NACK of {@code seqOut} (its numbering) from the source's cache. */
    private void resend(Subscription s, int seqOut) {
        metrics.nacksReceived.incrementAndGet();
        PublishedTrack t = s.track;
        int seq = s.sourceSequence(seqOut);
        PeerTransport st = subscribe;
        int layer = s.currentLayer();
        if (!t.video || st == null || layer < 0 || seq < 0) {
            return;
        }
        byte[] orig = SCRATCH2.get();
        int len = t.layers[layer].cachedPacket(seq, orig);
        if (len < 0) {
            // not here (lost upstream, or aged out): no resend, so it costs none of the limits
            metrics.retransmissionsMissing.incrementAndGet();
            if (t.upstream != null && resendLimiter.tryResend(s.ssrc, seqOut, System.nanoTime(), forwardedTotal())
                    == ResendLimiter.ALLOW) {
                t.upstream.requestRetransmission(t, t.layers[layer].ssrc, seq); // relayed: ask the origin node (same limits)
            }
            return;
        }
        switch (resendLimiter.tryResend(s.ssrc, seqOut, System.nanoTime(), forwardedTotal())) {
            case ResendLimiter.ALLOW -> { }
            case ResendLimiter.TOO_SOON -> {
                metrics.resendsSuppressedRtt.incrementAndGet();
                return;
            }
            case ResendLimiter.TOO_MANY -> {
                metrics.resendsSuppressedCount.incrementAndGet();
                return;
            }
            default -> {
                metrics.resendsSuppressedBudget.incrementAndGet();
                return;
            }
        }
        s.translateResent(orig, 0, len, seqOut);
        if (s.rtxSsrc == 0 || t.canonicalRtxPt < 0) {
            if (st.sendRtp(orig, 0, len)) {
                metrics.retransmissions.incrementAndGet();
                s.resent++;
            }
            return;
        }
        byte[] out = SCRATCH.get();
        if (st.sendRtp(out, 0, s.toRtx(orig, len, seqOut, out))) {
            metrics.retransmissions.incrementAndGet();
            s.resent++;
        }
    }

    /** Packets forwarded to this endpoint as a subscriber so far (the resend budget's base). */
    private long forwardedTotal() {
        long n = 0;
        for (Subscription s : subscriptions) {
            n += s.packetsSent;
        }
        return n;
    }

    /**
     * A subscriber's stream needs a key frame: of the layer it receives, or awaits; before either
     * is known (a new subscriber of a simulcast track), of every layer, since the first key frame
     * of any starts the stream.
     */
    void requestKeyFrame(Subscription s) {
        PublishedTrack t = s.track;
        int layer = s.keyFrameLayer();
        if (layer != LayerSelector.ANY) {
            requestKeyFrame(t, t.layers[layer]);
            return;
        }
        for (ReceiveStream l : t.layers) {
            requestKeyFrame(t, l);
        }
    }

    /** PLI for one stream of t to its publisher, at most once per pli-interval per stream. */
    void requestKeyFrame(PublishedTrack t, ReceiveStream stream) {
        long minInterval = svc.config().pliIntervalMillis() * 1_000_000L;
        if (t.upstream != null) { // relayed: the publisher is on another node
            if (stream.allowKeyFrameRequest(System.nanoTime(), minInterval)) {
                t.upstream.requestKeyFrame(t, stream.ssrc);
                metrics.plisSent.incrementAndGet();
            } else {
                metrics.plisSuppressed.incrementAndGet();
            }
            return;
        }
        PeerTransport pt = t.owner.publish;
        int ssrc = stream.ssrc;
        if (pt == null || !pt.isConnected() || ssrc == 0) {
            return;
        }
        if (!stream.allowKeyFrameRequest(System.nanoTime(), minInterval)) {
            metrics.plisSuppressed.incrementAndGet();
            return;
        }
        byte[] b = new byte[64]; // signalling-rate path (<= 5/s per stream), not per packet
        int n = Rtcp.writePli(b, 0, t.owner.feedbackSsrc, ssrc);
        if (pt.sendRtcp(b, 0, n)) {
            metrics.plisSent.incrementAndGet();
        }
    }

    /** The send-side bandwidth estimate towards this endpoint as a subscriber, or null without transport-cc. */
    public SendSideEstimator bandwidthEstimator() {
        PeerTransport st = subscribe;
        return st == null ? null : st.bandwidthEstimator();
    }

    /**
     * Timer: each simulcast consumer of this endpoint as a subscriber (of local and relayed
     * tracks alike) re-chooses its layer; one waiting to switch asks for the key frame. They share
     * its downlink's estimate once its feedback has come ({@link LayerAllocator}); before that, the
     * size asked for decides.
     */
    private void updateLayers() {
        long now = System.nanoTime();
        Subscription[] subs = subscriptions;
        SendSideEstimator estimator = bandwidthEstimator();
        if (estimator != null && estimator.feedbacks() > 0) {
            int[] wait = LayerAllocator.allocate(subs, estimator.estimateBps(), now);
            for (int i = 0; i < subs.length; i++) {
                if (wait[i] != LayerSelector.ANY) {
                    requestKeyFrame(subs[i].track, subs[i].track.layers[wait[i]]);
                }
            }
            prober.probeIfWanted(subscribe, estimator, subs, now);
        } else {
            for (Subscription s : subs) {
                int wait = s.updateTargetLayer(now);
                if (wait != LayerSelector.ANY) {
                    requestKeyFrame(s.track, s.track.layers[wait]);
                }
            }
        }
    }

    /**
     * Timer, every 100 ms: NACK retries towards the publisher; every second also RR + REMB and the
     * consent check.
     */
    public void onTimer(long nowMillis, boolean fullSecond) {
        if (subscribe != null) {
            resendLimiter.tick(System.nanoTime(), forwardedTotal());
        }
        updateLayers();
        PeerTransport p = publish;
        if (p != null && p.isConnected()) {
            if (tccExtensionId != 0) {
                sendTransportCcFeedback(p);
            }
            long now = System.nanoTime();
            for (PublishedTrack t : tracks) {
                for (ReceiveStream stream : t.layers) {
                    if (stream.nacks != null && stream.ssrc != 0) {
                        sendNackRetries(t, stream, now);
                    }
                }
            }
        }
        if (!fullSecond) {
            return;
        }
        if (hasOrphans) {
            endExpiredOrphans(nowMillis);
        }
        if (p != null) {
            p.onSecond(nowMillis);
        }
        PeerTransport s = subscribe;
        if (s != null) {
            s.onSecond(nowMillis);
        }
        sendReceiverReports();
    }

    private void sendNackRetries(PublishedTrack t, ReceiveStream stream, long now) {
        synchronized (stream.nacks) {
            if (stream.nacks.missingCount() > 0) {
                int n = stream.nacks.writeNack(stream.nackBuffer, 0, feedbackSsrc, stream.ssrc, now, NACK_RETRY_NANOS);
                if (n > 0) {
                    sendNack(stream, n);
                }
            }
            long rn = stream.nacks.recoveryNanosTotal();
            if (rn != stream.nackRecoveryNanosReported) {
                metrics.nackRecoveryMicros.addAndGet((rn - stream.nackRecoveryNanosReported) / 1000);
                stream.nackRecoveryNanosReported = rn;
            }
            metrics.nackRecoveryMaxMicros.accumulateAndGet(stream.nacks.recoveryNanosMax() / 1000, Math::max);
            long g = stream.nacks.gaveUp();
            if (g != stream.nackGaveUpReported) {
                metrics.nackGaveUp.addAndGet(g - stream.nackGaveUpReported);
                stream.nackGaveUpReported = g;
                // that packet is lost for every subscriber: their decoders need a key frame, and
                // asking now spares them the ~3 s Chromium waits before it asks
                requestKeyFrame(t, stream);
            }
        }
    }

    /**
     * Under the room monitor: these sources are gone. ended: for good (a leave, a stopped share),
     * so their streams go now; otherwise perhaps not (a lost connection), so they stay as orphans
     * for the reconnect grace (see {@link #close}).
     */
    void sourcesGone(List<PublishedTrack> gone, boolean ended, long nowMillis) {
        boolean changed = false;
        for (PublishedTrack t : gone) {
            if (!ended) {
                orphanSubscription(t, nowMillis);
            } else if (subscriptionFor(t) != null) {
                removeSubscription(t);
                changed = true;
            }
        }
        if (changed) {
            renegotiateSubscribe();
        }
    }

    private void orphanSubscription(PublishedTrack t, long nowMillis) {
        Subscription s = subscriptionFor(t);
        if (s != null) {
            s.orphanedAtMillis = nowMillis;
            hasOrphans = true;
        }
    }

    /** Streams whose publisher did not come back within the reconnect grace end now. */
    private void endExpiredOrphans(long nowMillis) {
        synchronized (room) {
            boolean ended = false;
            boolean waiting = false;
            for (Subscription s : subscriptions) {
                long at = s.orphanedAtMillis;
                if (at != 0 && nowMillis - at >= svc.config().reconnectGraceMillis()) {
                    removeSubscription(s.track);
                    ended = true;
                } else if (at != 0) {
                    waiting = true;
                }
            }
            hasOrphans = waiting;
            if (ended) {
                renegotiateSubscribe();
            }
        }
    }

    private synchronized void sendReceiverReports() {
        PeerTransport p = publish;
        PublishedTrack[] ts = tracks;
        if (p == null || !p.isConnected() || ts.length == 0) {
            return;
        }
        byte[] b = reportBuffer;
        int at = Rtcp.writeEmptyRr(b, 0, feedbackSsrc);
        long now = System.nanoTime();
        int n = 0;
        boolean video = false;
        for (PublishedTrack t : ts) {
            video |= t.video;
            for (ReceiveStream s : t.layers) {
                if (n == 31 || s.ssrc == 0) {
                    continue;
                }
                s.lossStats(loss);
                s.lastFractionLost = loss[0];
                s.lastCumulativeLost = loss[1];
                s.rollBitrate(now);
                int lsr = s.lastSrNtpMiddle;
                int dlsr = s.lastSrArrivalNanos == 0 ? 0 : (int) (((now - s.lastSrArrivalNanos) * 65536L) / 1_000_000_000L);
                at += Rtcp.writeReportBlock(b, at, 0, s.ssrc, loss[0], loss[1], s.extendedHighestSeq(), 0,
                        s.lastSrArrivalNanos == 0 ? 0 : lsr, dlsr);
                n++;
            }
        }
        Rtcp.setLengthBytes(b, 0, at);
        if (video && n > 0) {
            // REMB naming every stream reported on (their SSRCs are the report blocks')
            int rembAt = at;
            at += Rtcp.writeRemb(b, at, feedbackSsrc, svc.config().rembBitrate(), RtpPacket.i32(b, 8));
            b[rembAt + 16] = (byte) n;
            at = rembAt + 20;
            for (int k = 0; k < n; k++) {
                RtpPacket.w32(b, at, RtpPacket.i32(b, 8 + 24 * k));
                at += 4;
            }
            Rtcp.setLengthBytes(b, rembAt, at - rembAt);
        }
        p.sendRtcp(b, 0, at);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Left on purpose: the others' streams from this endpoint end now. */
    @Override
    public void leave() {
        end(true);
    }

    /**
     * The connection ended without a leave (socket closed or lost, node shutting down): the
     * others keep this endpoint's streams as orphans for the reconnect grace, so the same user
     * coming back continues them (see {@link Subscription}); they end when the grace runs out.
     */
    @Override
    public void close() {
        end(false);
    }

    private void end(boolean left) {
        synchronized (room) {
            if (closed) {
                return;
            }
            closed = true;
            room.remove(this);
            long now = System.currentTimeMillis();
            for (SfuEndpoint other : room.members()) {
                other.sourcesGone(Arrays.asList(tracks), left, now);
            }
        }
        PeerTransport p = publish;
        PeerTransport s = subscribe;
        if (p != null) {
            p.close();
        }
        if (s != null) {
            s.close();
        }
        svc.onClosed().accept(this);
    }

    Room room() {
        return room;
    }

    static int cacheSlot() {
        return PacketCache.SLOT_SIZE;
    }
}
