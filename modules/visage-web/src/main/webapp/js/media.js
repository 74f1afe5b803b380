// Visage media client: two RTCPeerConnections against the Visage SFU.
//   publish   (browser -> SFU): the client offers sendonly audio/video, the server answers.
//   subscribe (SFU -> browser): the server offers one m-section per remote track, the client answers.
// Messages (all JSON with a "type"; see dev.visage.sfu.room.SfuEndpoint for the full reference):
//   out: offer{pc:"publish",sdp,sources} answer{pc:"subscribe",sdp} candidate{pc,candidate} mute{kind,muted}
//        media-ready{videoCodecs}
//   in : answer{pc:"publish",sdp} offer{pc:"subscribe",sdp} tracks{tracks:[{mid,sessionId,source,...}]}
//        track-muted{sessionId,kind,muted} track-unsupported{sessionId,displayName,kind,source,codec}
//        media-failed{pc,reason}
// The app calls handle(msg) for every incoming message; it returns true if the message was a media one.
// Callbacks: onTrack(sessionId, MediaStream) whenever a participant's stream gains or loses a track
// (the stream id is the publisher's sessionId); onTrackRemoved(sessionId, kind) once, when the
// participant has no track left (left the room); onMuted(sessionId, kind, muted); onFailed(pc,
// reason) when the server gave up on a transport (ICE/DTLS failure, consent lost).
// A tracks entry whose mid and trackId stay but whose sessionId changes is a stream the server
// continued after its publisher reconnected: the receiver's track moves to the new session.
// Screen sharing: shareScreen() publishes a getDisplayMedia track as one more video section (source
// "screen" in the offer's sources), stopScreen() (or the browser's own "stop sharing") removes it.
// Remote screens come apart from the participant's camera stream: onScreen(sessionId, stream,
// info) when one starts, onScreen(sessionId, null) when it ends; onLocalScreen(stream|null) for ours.
// Simulcast: the camera goes out as up to three VP8 encodings (rids q, h, f: a quarter, half and
// the full size) and the server sends each subscriber one of them. watchVideoSize(videoElement)
// reports the size an element shows a remote video at (video-size{trackId,width,height}), so the
// server picks the smallest encoding at least that large (a hidden element gets the smallest).
// Codec: the camera is VP8 unless the app asks for videoCodec 'h264' (a publish option, as
// LiveKit's): H.264 constrained baseline, packetization-mode 1, put first with setCodecPreferences
// (the server takes the publisher's first codec it accepts), in the same simulcast layers; a browser
// that cannot send it publishes VP8. media-ready tells the server which video codecs this browser
// decodes; a remote track in another codec is not sent, and onUnsupported(info) says so instead.

/**
 * The camera's simulcast encodings, smallest first as libwebrtc's own simulcast configurations
 * list them: [rid, scaleResolutionDownBy, maxBitrate]. The server picks layers by the size of
 * their key frames, not by this order.
 */
const SIMULCAST_LAYERS = [['q', 4, 100000], ['h', 2, 500000], ['f', 1, 1500000]];
/** A layer narrower than this is not worth sending. */
const MIN_LAYER_WIDTH = 160;
/** The camera is asked for this size (the fake and most real cameras have it). */
const CAMERA_CONSTRAINTS = { width: { ideal: 1280 }, height: { ideal: 720 } };
/** Size changes settle (a window being dragged) before they are reported. */
const VIDEO_SIZE_DEBOUNCE_MS = 250;

export class MediaClient {
  constructor({ send, onTrack = () => {}, onTrackRemoved = () => {}, onMuted = () => {}, onLocalStream = () => {}, onFailed = () => {},
    onScreen = () => {}, onLocalScreen = () => {}, onUnsupported = () => {}, iceServers = [], videoCodec = 'vp8' }) {
    this.send = send;
    this.onUnsupported = onUnsupported;
    this.videoCodec = videoCodec;
    this.onScreen = onScreen;
    this.onLocalScreen = onLocalScreen;
    this.onFailed = onFailed;
    this.onTrack = onTrack;
    this.onTrackRemoved = onTrackRemoved;
    this.onMuted = onMuted;
    this.onLocalStream = onLocalStream;
    this.iceServers = iceServers;
    this.localStream = null;
    this.pub = null;
    this.sub = null;
    this.senders = {};                // kind -> RTCRtpSender
    this.midToTrack = new Map();      // subscribe mid -> {sessionId, kind, ...}
    this.remoteStreams = new Map();   // sessionId -> MediaStream (microphone and camera)
    this.remoteScreens = new Map();   // sessionId -> MediaStream (a shared screen)
    this.screen = null;               // our shared screen: {stream, transceiver}
    this.pubQueue = Promise.resolve(); // publish negotiations, one at a time
    this.pubAnswered = null;          // resolves the pending publish negotiation
    this.pendingSubCandidates = [];
    this.subQueue = Promise.resolve();
    this.stopped = false;
    this.videoSizes = new Map();      // <video> -> last reported "trackId wxh"
    this.sizeTimers = new Map();      // <video> -> pending report timer
    this.resizeObserver = null;
  }

  async start({ audio = true, video = true } = {}) {
    this.pub = this._newPc('publish');
    this.sub = this._newPc('subscribe');
    this.sub.ontrack = (ev) => this._onRemoteTrack(ev);
    // Watching need not wait for the camera: the server may send subscribe offers from now on,
    // while getUserMedia and the publish negotiation run (a late joiner sees others sooner).
    this.send({ type: 'media-ready', videoCodecs: decodableVideoCodecs() });
    let stream = null;
    if (audio || video) {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio, video: video ? CAMERA_CONSTRAINTS : false });
      } catch (e) {
        console.warn('getUserMedia failed, receiving only', e);
      }
    }
    this.localStream = stream;
    if (stream) {
      this.onLocalStream(stream);
      for (const track of stream.getTracks()) {
        const init = { direction: 'sendonly', streams: [stream] };
        const encodings = track.kind === 'video' ? simulcastEncodings(track) : null;
        if (encodings) init.sendEncodings = encodings;
        let t;
        try {
          t = this.pub.addTransceiver(track, init);
        } catch (e) { // a browser that refuses these encodings sends one stream
          console.warn('simulcast refused, sending one encoding', e);
          delete init.sendEncodings;
          t = this.pub.addTransceiver(track, init);
        }
        this.senders[track.kind] = t.sender;
        if (track.kind === 'video') this.publishedVideoCodec = preferVideoCodec(t, this.videoCodec);
      }
      this._negotiatePublish();
    }
    return stream;
  }

  /** Queues a publish offer; the next one waits for the server's answer to this one. */
  _negotiatePublish() {
    this.pubQueue = this.pubQueue.then(async () => {
      if (this.stopped || !this.pub) return;
      const answered = new Promise((resolve) => { this.pubAnswered = resolve; });
      await this.pub.setLocalDescription(await this.pub.createOffer());
      const sources = {};
      if (this.screen && this.screen.transceiver.mid) sources[this.screen.transceiver.mid] = 'screen';
      this.send({ type: 'offer', pc: 'publish', sdp: this.pub.localDescription.sdp, sources });
      // an offer the server refused gets an error, not an answer: do not wait for ever
      await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, 10000))]);
    }).catch((e) => console.error('publish negotiation', e));
    return this.pubQueue;
  }

  /** Shares a screen or window (the browser asks which) beside the camera. */
  async shareScreen() {
    if (this.screen || !this.pub) return null;
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = stream.getVideoTracks()[0];
    if ('contentHint' in track) track.contentHint = 'detail';
    const transceiver = this.pub.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    this.screen = { stream, transceiver };
    track.addEventListener('ended', () => this.stopScreen()); // the browser's own "stop sharing"
    this.onLocalScreen(stream);
    await this._negotiatePublish();
    return stream;
  }

  async stopScreen() {
    const s = this.screen;
    if (!s) return;
    this.screen = null;
    for (const t of s.stream.getTracks()) t.stop();
    this.onLocalScreen(null);
    if (this.stopped || !this.pub) return;
    s.transceiver.stop(); // its section goes to port 0: the server removes the track
    await this._negotiatePublish();
  }

  _newPc(pc) {
    const conn = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    conn.onicecandidate = (ev) => {
      if (this.stopped) return;
      const c = ev.candidate;
      this.send({ type: 'candidate', pc, candidate: c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : null });
    };
    return conn;
  }

  handle(msg) {
    if (!msg || typeof msg.type !== 'string') return false;
    switch (msg.type) {
      case 'answer':
        if (msg.pc !== 'publish' || !this.pub) return false;
        this.pub.setRemoteDescription({ type: 'answer', sdp: msg.sdp }).catch((e) => console.error('publish answer', e))
          .finally(() => { if (this.pubAnswered) this.pubAnswered(); });
        return true;
      case 'offer':
        if (msg.pc !== 'subscribe' || !this.sub) return false;
        this.subQueue = this.subQueue.then(() => this._onSubscribeOffer(msg.sdp)).catch((e) => console.error('subscribe offer', e));
        return true;
      case 'tracks':
        this._onTracks(msg.tracks || []);
        return true;
      case 'candidate': {
        const pc = msg.pc === 'publish' ? this.pub : msg.pc === 'subscribe' ? this.sub : null;
        if (!pc) return false;
        if (msg.candidate) pc.addIceCandidate(msg.candidate).catch(() => {});
        return true;
      }
      case 'track-muted':
        this.onMuted(msg.sessionId, msg.kind, msg.muted);
        return true;
      case 'track-unsupported':
        this.onUnsupported(msg);
        return true;
      case 'media-failed':
        console.warn('media transport failed', msg.pc, msg.reason);
        this.onFailed(msg.pc, msg.reason);
        return true;
      default:
        return false;
    }
  }

  async _onSubscribeOffer(sdp) {
    await this.sub.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.sub.createAnswer();
    await this.sub.setLocalDescription(answer);
    this.send({ type: 'answer', pc: 'subscribe', sdp: this.sub.localDescription.sdp });
  }

  _onTracks(tracks) {
    const next = new Map();
    for (const t of tracks) next.set(t.mid, t);
    const liveSessions = new Set(tracks.map((t) => t.sessionId));
    const goneReported = new Set();
    const moved = [];
    for (const [mid, old] of this.midToTrack) {
      const now = next.get(mid);
      if (old.source === 'screen') {
        if (!now || now.sessionId !== old.sessionId || now.trackId !== old.trackId) this._endScreen(old.sessionId);
        continue;
      }
      // The same track (m-section, SSRC) now comes from another session: the publisher
      // reconnected and the server continued the stream. The receiver's track moves over as it is.
      if (now && now.trackId === old.trackId && now.sessionId !== old.sessionId) moved.push(now);
      // gone, moved, or the server recycled the m-section for someone else's track
      if (!now || now.sessionId !== old.sessionId || now.trackId !== old.trackId) {
        const stream = this.remoteStreams.get(old.sessionId);
        if (stream) {
          for (const tr of stream.getTracks()) if (tr.kind === old.kind) stream.removeTrack(tr);
        }
        if (!liveSessions.has(old.sessionId)) {
          // the participant has no track left: its tile can go
          this.remoteStreams.delete(old.sessionId);
          if (!goneReported.has(old.sessionId)) {
            goneReported.add(old.sessionId);
            this.onTrackRemoved(old.sessionId, old.kind);
          }
        } else if (stream) {
          this.onTrack(old.sessionId, stream, null); // same participant, one track fewer
        }
      }
    }
    this.midToTrack = next;
    for (const t of moved) {
      const tr = this.sub && this.sub.getTransceivers().find((x) => x.mid === t.mid);
      if (tr) this._addRemoteTrack(t.sessionId, tr.receiver.track, t);
    }
    for (const t of tracks) if (t.muted) this.onMuted(t.sessionId, t.kind, true);
  }

  _onRemoteTrack(ev) {
    const mid = ev.transceiver && ev.transceiver.mid;
    const info = this.midToTrack.get(mid);
    const sessionId = info ? info.sessionId : (ev.streams[0] && ev.streams[0].id);
    if (!sessionId) return;
    this._addRemoteTrack(sessionId, ev.track, info || null);
  }

  _addRemoteTrack(sessionId, track, info) {
    if (info && info.source === 'screen') {
      const screen = new MediaStream([track]);
      this.remoteScreens.set(sessionId, screen);
      this.onScreen(sessionId, screen, info);
      return;
    }
    let stream = this.remoteStreams.get(sessionId);
    if (!stream) {
      stream = new MediaStream();
      this.remoteStreams.set(sessionId, stream);
    }
    for (const old of stream.getTracks()) if (old.kind === track.kind && old !== track) stream.removeTrack(old);
    if (!stream.getTracks().includes(track)) stream.addTrack(track);
    this.onTrack(sessionId, stream, info);
  }

  _endScreen(sessionId) {
    if (this.remoteScreens.delete(sessionId)) this.onScreen(sessionId, null, null);
  }

  /**
   * Follows the size a <video> element shows its remote video track at (call it again whenever
   * its srcObject changes): the server then sends the smallest simulcast layer at least that
   * many device pixels large, 0 x 0 when the element is hidden.
   */
  watchVideoSize(video) {
    if (typeof ResizeObserver !== 'function') return;
    if (!this.resizeObserver) {
      this.resizeObserver = new ResizeObserver((entries) => { for (const e of entries) this._sizeChanged(e.target); });
    }
    if (!this.videoSizes.has(video)) {
      this.videoSizes.set(video, null);
      this.resizeObserver.observe(video);
    }
    this._sizeChanged(video);
  }

  _sizeChanged(video) {
    clearTimeout(this.sizeTimers.get(video));
    this.sizeTimers.set(video, setTimeout(() => this._reportVideoSize(video), VIDEO_SIZE_DEBOUNCE_MS));
  }

  _reportVideoSize(video) {
    this.sizeTimers.delete(video);
    if (this.stopped || !this.sub) return;
    if (!video.isConnected) { // the tile went: stop following it
      this.resizeObserver.unobserve(video);
      this.videoSizes.delete(video);
      return;
    }
    const track = video.srcObject && video.srcObject.getVideoTracks ? video.srcObject.getVideoTracks()[0] : null;
    const tr = track && this.sub.getTransceivers().find((x) => x.receiver.track === track);
    const info = tr && this.midToTrack.get(tr.mid);
    if (!info || info.kind !== 'video') return;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.round(video.clientWidth * dpr), height = Math.round(video.clientHeight * dpr);
    const key = `${info.trackId} ${width}x${height}`;
    if (this.videoSizes.get(video) === key) return;
    this.videoSizes.set(video, key);
    this.send({ type: 'video-size', trackId: info.trackId, width, height });
  }

  setMuted(kind, muted) {
    if (this.localStream) for (const t of this.localStream.getTracks()) if (t.kind === kind) t.enabled = !muted;
    this.send({ type: 'mute', kind, muted: !!muted });
  }

  async switchDevice(kind, deviceId) {
    const constraints = kind === 'audio' ? { audio: { deviceId: { exact: deviceId } } } : { video: { deviceId: { exact: deviceId } } };
    const s = await navigator.mediaDevices.getUserMedia(constraints);
    const track = s.getTracks()[0];
    const sender = this.senders[kind];
    if (!sender) { track.stop(); throw new Error('no ' + kind + ' sender'); }
    const old = sender.track;
    if (old) track.enabled = old.enabled; // keep the mute state
    await sender.replaceTrack(track);
    if (this.localStream) {
      if (old) { this.localStream.removeTrack(old); old.stop(); }
      this.localStream.addTrack(track);
    }
    return track;
  }

  async stats() {
    const out = { publish: [], subscribe: [] };
    if (this.pub) (await this.pub.getStats()).forEach((r) => out.publish.push(r));
    if (this.sub) (await this.sub.getStats()).forEach((r) => out.subscribe.push(r));
    return out;
  }

  stop() {
    this.stopped = true;
    if (this.resizeObserver) this.resizeObserver.disconnect();
    for (const t of this.sizeTimers.values()) clearTimeout(t);
    if (this.localStream) for (const t of this.localStream.getTracks()) t.stop();
    if (this.pub) this.pub.close();
    if (this.sub) this.sub.close();
    this.pub = this.sub = null;
    this.remoteStreams.clear();
    this.remoteScreens.clear();
    if (this.screen) for (const t of this.screen.stream.getTracks()) t.stop();
    this.screen = null;
  }
}

/**
 * The camera's simulcast encodings for this track (those at least MIN_LAYER_WIDTH wide), or null
 * for one encoding: on a camera too small for two layers, and on Firefox. Firefox 153's simulcast
 * reaches the server intact (layers found by rid, forwarded and switched at key frames), but its
 * encoder paused the full layer for many seconds at a time and its viewers' tiles flipped between
 * layers (see the SFU README's Simulcast section); one encoding plays steadily.
 */
function simulcastEncodings(track) {
  if (/Firefox\//.test(navigator.userAgent)) return null;
  const width = (track.getSettings && track.getSettings().width) || 0;
  const layers = SIMULCAST_LAYERS.filter(([, scale]) => width / scale >= MIN_LAYER_WIDTH);
  if (layers.length < 2) return null;
  return layers.map(([rid, scaleResolutionDownBy, maxBitrate]) => ({ rid, scaleResolutionDownBy, maxBitrate }));
}

/** RTP payload formats that are no codec of their own. */
const NOT_CODECS = new Set(['RTX', 'RED', 'ULPFEC', 'FLEXFEC-03']);

/**
 * The video codecs this browser decodes, by RTP name ('VP8', 'H264', ...), or undefined where it
 * cannot tell (the server then assumes all). H.264 counts only with packetization-mode 1, the
 * only one the server forwards.
 */
function decodableVideoCodecs() {
  if (typeof RTCRtpReceiver === 'undefined' || typeof RTCRtpReceiver.getCapabilities !== 'function') return undefined;
  const caps = RTCRtpReceiver.getCapabilities('video');
  if (!caps) return undefined;
  const names = new Set();
  for (const c of caps.codecs) {
    const name = c.mimeType.replace(/^video\//i, '').toUpperCase();
    if (NOT_CODECS.has(name)) continue;
    if (name === 'H264' && !/packetization-mode=1/.test(c.sdpFmtpLine || '')) continue;
    names.add(name);
  }
  return [...names];
}

/**
 * Makes the camera's transceiver offer codec first ('h264': constrained baseline 42e01f,
 * packetization-mode 1, which every browser with H.264 decodes), the browser's other codecs after
 * it; returns the codec it will publish ('vp8', the browsers' own first choice, otherwise).
 */
function preferVideoCodec(transceiver, codec) {
  if (codec !== 'h264') return 'vp8';
  const caps = typeof RTCRtpSender !== 'undefined' && RTCRtpSender.getCapabilities && RTCRtpSender.getCapabilities('video');
  const isH264 = (c) => /^video\/h264$/i.test(c.mimeType) && /packetization-mode=1/.test(c.sdpFmtpLine || '')
    && /profile-level-id=42e01f/i.test(c.sdpFmtpLine || '');
  const h264 = caps ? caps.codecs.filter(isH264) : [];
  if (!h264.length || typeof transceiver.setCodecPreferences !== 'function') {
    console.warn('this browser cannot send H.264 (constrained baseline, packetization-mode 1): publishing VP8');
    return 'vp8';
  }
  try {
    transceiver.setCodecPreferences([...h264, ...caps.codecs.filter((c) => !isH264(c))]);
    return 'h264';
  } catch (e) { // codecs it sends but would not receive: older Chromium refuses those here
    console.warn('H.264 could not be preferred, publishing VP8', e);
    return 'vp8';
  }
}
