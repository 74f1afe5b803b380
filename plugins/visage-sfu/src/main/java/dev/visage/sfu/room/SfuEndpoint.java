package dev.visage.sfu.room;

import dev.visage.api.media.MediaEndpoint;
import dev.visage.api.media.Participant;
import dev.visage.api.media.SignalSink;
import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.sdp.Codecs;
import dev.visage.sfu.sdp.MediaSection;
import dev.visage.sfu.sdp.PublishAnswer;
import dev.visage.sfu.sdp.SessionDescription;
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
 * One participant on the SFU: its signalling (offers and answers of its two transports, mute and
 * tile-size messages) and its life cycle (join, leave, a publisher's reconnect). Which subscribe
 * m-section carries which track, and the subscribe offer/answer state, are its
 * {@link SubscribeNegotiation}'s. The media itself is the two
 * sides': {@link PublishTransport} (browser -> SFU: its tracks, the receive steps, feedback to the
 * publisher) and {@link SubscribeTransport} (SFU -> browser: its consumers, the send steps, what
 * the subscriber's feedback drives).
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
 *   {type:"media-ready", videoCodecs?:["VP8","H264",...]}
 *                                                     the client can take subscribe offers now (sent
 *                                                     before its camera opens, so watching starts in
 *                                                     parallel with publishing); the video codecs it
 *                                                     decodes, if it says (see DecodableCodecs)
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
 *   {type:"track-unsupported", sessionId, userId, displayName, kind, source, trackId, codec}
 *                                                     a track not sent: this client cannot decode its
 *                                                     codec (said in media-ready, or its answer refused
 *                                                     the section)
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
    private static final System.Logger LOG = System.getLogger(SfuEndpoint.class.getName());
    /** A live publisher sends audio and video many times a second, muted or not. */
    private static final long SILENT_SOURCE_NANOS = 2_000_000_000L;
    /** The largest width or height a video-size message may ask for (8K is 7680). */
    static final int MAX_VIDEO_SIZE = 16384;

    private final Room room;
    private final Participant participant;
    private final SignalSink sink;
    private final RoomServices svc;
    private final SfuMetrics metrics;
    private final long sdpSessionId = RANDOM.nextLong() & Long.MAX_VALUE;

    /** What it publishes: the publish transport, its tracks, the receive steps. */
    private final PublishTransport publisher;
    /** What it receives: the subscribe transport, its consumers, the send steps. */
    private final SubscribeTransport subscriber;
    /** Some subscription's source was lost and may come back (checked by the timer). */
    private volatile boolean hasOrphans;

    // signalling state, guarded by the room monitor
    /** The subscribe side's m-sections and offer/answer state. */
    private final SubscribeNegotiation subscribeSdp = new SubscribeNegotiation(sdpSessionId);
    private long publishVersion;
    private boolean closed;

    SfuEndpoint(Room room, Participant participant, SignalSink sink, RoomServices svc) {
        this.room = room;
        this.participant = participant;
        this.sink = sink;
        this.svc = svc;
        this.metrics = svc.metrics();
        this.publisher = new PublishTransport(this, room, svc);
        this.subscriber = new SubscribeTransport(svc);
    }

    public static SfuEndpoint join(Room room, Participant p, SignalSink sink, RoomServices svc) {
        SfuEndpoint e = new SfuEndpoint(room, p, sink, svc);
        synchronized (room) {
            room.add(e);
            for (SfuEndpoint other : room.members()) {
                if (other != e) {
                    for (PublishedTrack t : other.publisher.tracks()) {
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

    /** The publish side: its tracks and receive steps. */
    PublishTransport publisher() {
        return publisher;
    }

    /** The subscribe side: its consumers and send steps. */
    SubscribeTransport subscriber() {
        return subscriber;
    }

    /** Under the room monitor: true if someone else in the room (a local member or a relayed track) uses the SSRC. */
    boolean ssrcTakenInRoom(int ssrc) {
        for (SfuEndpoint other : room.members()) {
            if (other != this && other.publisher.usesSsrc(ssrc)) {
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
                DecodableCodecs said = DecodableCodecs.from(msg.get("videoCodecs"));
                synchronized (room) {
                    subscribeSdp.clientDecodes(said);
                    for (Subscription s : subscriber.consumers()) {
                        if (!subscribeSdp.decodes(s.track)) { // subscribed at join, before the client said
                            removeSubscription(s.track);
                            send(DecodableCodecs.notice(s.track));
                        }
                    }
                    subscribeSdp.clientReady();
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
            PeerTransport t = publisher.transport();
            if (t == null) {
                t = newTransport("pub", false, publisher);
                publisher.setTransport(t);
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
            updatePublishedTracks(infos, answer.tracks.stream().map(ti -> ti.extensionIds().get(Codecs.EXT_TRANSPORT_CC))
                    .filter(java.util.Objects::nonNull).findFirst().orElse(0));
            send(Map.of("type", "answer", "pc", "publish", "sdp", answer.sdp));
            if (!subscribeSdp.isClientReady()) { // an older client without media-ready
                subscribeSdp.clientReady();
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

    private void updatePublishedTracks(List<TrackInfo> infos, int transportCcExtensionId) {
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
        List<PublishedTrack> removed = new ArrayList<>(Arrays.asList(publisher.tracks()));
        removed.removeAll(keep);
        publisher.setTracks(keep.toArray(new PublishedTrack[0]), transportCcExtensionId);
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
        for (PublishedTrack t : publisher.tracks()) {
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
        return publisher.tracks();
    }

    /** Under the room monitor. */
    void addSubscription(PublishedTrack t) {
        if (subscriber.consumerOf(t) != null) {
            return;
        }
        if (!subscribeSdp.decodes(t)) {
            send(DecodableCodecs.notice(t));
            return;
        }
        Subscription heir = subscriptionToContinue(t);
        if (heir != null) {
            LOG.log(System.Logger.Level.INFO, () -> "room=" + room.id + " session=" + sessionId() + " stream mid="
                    + heir.mid + " of user " + t.publisher.userId() + " continues from session "
                    + heir.track.publisher.sessionId() + " to " + t.publisher.sessionId());
            subscriber.rebind(heir, t);
            return;
        }
        subscriber.add(new Subscription(t, subscribeSdp.openSection(t), subscriber));
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
        for (Subscription s : subscriber.consumers()) {
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
        Subscription s = subscriber.consumerOf(t);
        if (s == null) {
            return;
        }
        subscriber.remove(s);
        subscribeSdp.closeSection(s.mid);
    }

    /** Under the room monitor: sends a new subscribe offer now, or after the pending answer. */
    void renegotiateSubscribe() {
        if (closed || !subscribeSdp.offerWanted()) {
            return;
        }
        PeerTransport t = subscriber.transport();
        if (t == null) {
            t = newTransport("sub", true, subscriber);
            subscriber.setTransport(t);
        }
        String sdp = subscribeSdp.offer(params(t));
        send(subscribeSdp.tracksMessage(subscriber));
        send(Map.of("type", "offer", "pc", "subscribe", "sdp", sdp));
    }

    private void onSubscribeAnswer(String sdp) {
        SessionDescription answer = SessionDescription.parse(sdp);
        synchronized (room) {
            PeerTransport t = subscriber.transport();
            if (t == null || !subscribeSdp.awaitingAnswer()) {
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
            if (SubscribeNegotiation.keepsTransportCc(answer)) {
                t.enableTransportCc(Codecs.SUBSCRIBER_TRANSPORT_CC_ID);
            }
            dropRefusedTracks(answer);
            boolean changedMeanwhile = subscribeSdp.answered();
            if (t.isConnected()) {
                subscriber.requestKeyFramesForNewConsumers();
            }
            if (changedMeanwhile) {
                renegotiateSubscribe();
            }
        }
    }

    /**
     * Under the room monitor: a track whose section the subscriber's answer refused (port 0: its
     * browser has none of the codecs offered, and did not say so in media-ready) is not sent to it
     * any more, and the client is told, as for a codec it said it cannot decode.
     */
    private void dropRefusedTracks(SessionDescription answer) {
        for (String mid : SubscribeNegotiation.refusedMids(answer)) {
            Subscription refused = subscriber.consumerByMid(mid);
            if (refused != null) {
                removeSubscription(refused.track);
                send(DecodableCodecs.notice(refused.track));
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
        PeerTransport t = "publish".equals(pc) ? publisher.transport() : subscriber.transport();
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
        for (Subscription s : subscriber.consumers()) {
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
        for (PublishedTrack t : publisher.tracks()) {
            if (t.info.kind().equals(kind)) {
                t.muted = m;
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
                            send(Map.of("type", "media-failed", "pc", t == publisher.transport() ? "publish" : "subscribe",
                                    "reason", reason));
                        }
                    }, svc.config().consentTimeoutMillis());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create media transport", e);
        }
    }

    private void onTransportConnected(PeerTransport t) {
        if (t == subscriber.transport()) {
            synchronized (room) {
                subscriber.requestKeyFramesForNewConsumers();
            }
        } else {
            publisher.sendReceiverReports();
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

    // ---------------------------------------------------------------- statistics and timer

    /** Stream statistics of this endpoint: what it publishes and what it receives. */
    public List<Map<String, Object>> streamStats() {
        List<Map<String, Object>> out = publisher.streamStats();
        out.addAll(subscriber.streamStats(participant.sessionId()));
        return out;
    }

    /** The send-side bandwidth estimate towards this endpoint as a subscriber, or null without transport-cc. */
    public SendSideEstimator bandwidthEstimator() {
        return subscriber.bandwidthEstimator();
    }

    /**
     * Timer, every 100 ms: the subscribe side's layer choice and resend budget, the publish side's
     * feedback (transport-cc, NACK retries); every second also RR + REMB, consent checks and
     * streams whose publisher did not come back.
     */
    public void onTimer(long nowMillis, boolean fullSecond) {
        subscriber.onTimer(nowMillis, fullSecond);
        publisher.onTimer(nowMillis, fullSecond);
        if (fullSecond && hasOrphans) {
            endExpiredOrphans(nowMillis);
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
            } else if (subscriber.consumerOf(t) != null) {
                removeSubscription(t);
                changed = true;
            }
        }
        if (changed) {
            renegotiateSubscribe();
        }
    }

    private void orphanSubscription(PublishedTrack t, long nowMillis) {
        Subscription s = subscriber.consumerOf(t);
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
            for (Subscription s : subscriber.consumers()) {
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
                other.sourcesGone(Arrays.asList(publisher.tracks()), left, now);
            }
            subscriber.detachConsumers();
        }
        publisher.close();
        subscriber.close();
        svc.onClosed().accept(this);
    }

}
