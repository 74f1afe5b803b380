// The meeting page (/r/{roomId}): signalling, members, chat, tiles, controls, reconnects.
//
// Join flow (DESIGN.md): POST /api/sessions (user token) -> WebSocket node.wsUrl?token=… ->
// {type:"hello"} -> {type:"join", roomId} -> {type:"joined"}. Media is delegated to /js/media.js (MediaClient), loaded dynamically so the
// page still works (chat, members) if it is missing or broken.

import { api, auth, wsUrlFor, recentRooms, roomUrl, ApiError, rankNodes, saveRegion } from '/js/api.js';
import {
  el, icon, toast, copyText, hydrateIcons, renderAuthForm, initials, hueOf, formatTime, linkified,
} from '/js/ui.js';

const $ = id => document.getElementById(id);

const PING_MS = 5000;
const DEAD_MS = 15000;        // no message at all for this long: the node is hung or gone, move
const HELLO_TIMEOUT_MS = 10000;
const JOIN_TIMEOUT_MS = 15000;
const MAX_BACKOFF_MS = 10000;
const CHAT_MAX = 4000;
const DEVICE_KEY = 'visage.devices';
const EXCLUDE_MS = 60000;     // a node that announced its shutdown is not picked again for this long
// a member who left on purpose, or whom an operator removed, is not coming back: the tile goes at once
const FINAL_LEAVE_REASONS = new Set(['left', 'removed', 'room-closed']);
const MEMBER_RECONNECT_GRACE_MS = 15000; // a member whose connection was lost keeps its tile this long (the SFU's reconnect grace)

const state = {
  roomId: null,
  room: null,
  gen: 0,               // connection generation: events from older connections are ignored
  ws: null,
  node: null,
  nodeRtt: null,        // median RTT (ms) to state.node when it was picked, null if not measured
  ranking: [],          // [{id, region, httpUrl, rtt}] of the last pick, nearest first
  pickMethod: null,     // 'rtt' | 'server' | 'origin'
  knownNodes: [],       // httpUrls of every node seen: seeds for /api/nodes when the origin is gone
  excluded: new Map(),  // node id -> until (ms): nodes that said node-shutdown
  moves: [],            // [{from, to, reason, at}] node changes, for the page's status and tests
  lastLossAt: 0,        // when the last connection was lost
  sessionToken: null,
  sessionId: null,
  joined: false,
  everJoined: false,
  members: new Map(),   // sessionId -> {sessionId, userId, displayName, audioMuted, videoMuted}
  undecodable: new Map(), // sessionId -> codec of a camera this browser cannot decode (not sent to us)
  myUserId: null,
  chatIds: new Set(),
  media: null,
  micOn: true,
  camOn: true,
  leaving: false,
  fatal: false,
  attempt: 0,
  reconnectTimer: null,
  countdownTimer: null,
  pingTimer: null,
  stepTimer: null,
  lastRx: 0,
  unread: 0,
};

let MediaClient = null;
let mediaLoad = null;

function loadMedia() {
  if (!mediaLoad) {
    mediaLoad = import('/js/media.js')
      .then(m => {
        MediaClient = m && typeof m.MediaClient === 'function' ? m.MediaClient : null;
        if (!MediaClient) throw new Error('media.js has no MediaClient export');
      })
      .catch(e => {
        console.warn('[visage] media unavailable:', e);
        toast('Audio and video are unavailable in this browser session; chat still works.', 'warn', 8000);
      });
  }
  return mediaLoad;
}

// ---------------------------------------------------------------- room id

function roomIdFromLocation() {
  const m = location.pathname.match(/^\/r\/([^/?#]+)\/?$/);
  let id = m ? m[1] : new URLSearchParams(location.search).get('room');
  if (!id) return null;
  try { id = decodeURIComponent(id); } catch { /* keep raw */ }
  return id.trim() || null;
}

/**
 * The room's own id, as the server joined it: a link typed with capitals (/r/Weekly-Sync) is the
 * room weekly-sync, so the page's address, share link and recent rooms say weekly-sync.
 */
function adoptRoomId(roomId) {
  state.roomId = roomId;
  try {
    history.replaceState(history.state, '', new URL(`/r/${encodeURIComponent(roomId)}${location.search}`, location.origin));
  } catch { /* the address stays as typed */ }
}

function shareUrl() {
  return roomUrl(state.roomId);
}

// ---------------------------------------------------------------- status

function setStatus(kind, text) {
  const s = $('conn-status');
  s.dataset.state = kind;
  $('conn-text').textContent = text;
  document.body.classList.toggle('is-offline', kind === 'reconnecting' || kind === 'connecting');
}

/** "Connected · eu (node-1) 3 ms": the node this page talks to and how far it is. */
function connectedText() {
  const n = state.node;
  if (!n || !n.region) return 'Connected';
  const rtt = state.nodeRtt === null || state.nodeRtt === undefined ? '' : ` ${Math.round(state.nodeRtt)} ms`;
  return `Connected · ${n.region}${n.id ? ` (${n.id})` : ''}${rtt}`;
}

function showFatal(title, text, { retry = false } = {}) {
  state.fatal = true;
  teardownConnection();
  $('room-error-title').textContent = title;
  $('room-error-text').textContent = text;
  $('room-error-retry').hidden = !retry;
  $('room-error').hidden = false;
  setStatus('error', 'Not connected');
}

function needLogin(message) {
  teardownConnection();
  try { localStorage.removeItem('visage.userToken'); } catch { /* ignore */ } // keep visage.user to prefill
  $('auth-overlay').hidden = false;
  setStatus('idle', 'Signed out');
  renderAuthForm($('auth-section'), {
    title: 'Log in to join',
    subtitle: message || `You are joining room “${state.roomId}”.`,
    onDone: () => {
      $('auth-overlay').hidden = true;
      state.attempt = 0;
      loadMedia().finally(() => connect());
    },
  });
}

// ---------------------------------------------------------------- connection

function clearTimers() {
  clearTimeout(state.reconnectTimer);
  clearInterval(state.countdownTimer);
  clearInterval(state.pingTimer);
  clearTimeout(state.stepTimer);
  state.reconnectTimer = state.countdownTimer = state.pingTimer = state.stepTimer = null;
}

/** Drop the current connection (socket + media) without scheduling anything. */
function teardownConnection() {
  state.gen++;
  clearTimers();
  stopMedia();
  const ws = state.ws;
  state.ws = null;
  state.joined = false;
  if (ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(1000, 'client'); } catch { /* already closed */ }
  }
}

function scheduleReconnect(reason, { quick = false } = {}) {
  if (state.leaving || state.fatal) return;
  if (state.joined || !state.lastLossAt) state.lastLossAt = Date.now();
  state.lastReason = reason || '';
  teardownConnection();
  markMembersStale(true);
  const delay = quick && state.attempt === 0
    ? 200 + Math.random() * 500
    : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** state.attempt);
  state.attempt++;
  const due = Date.now() + delay;
  const tick = () => {
    const s = Math.max(0, Math.ceil((due - Date.now()) / 1000));
    setStatus('reconnecting', s > 0 ? `Reconnecting in ${s}s…` : 'Reconnecting…');
  };
  tick();
  state.countdownTimer = setInterval(tick, 500);
  state.reconnectTimer = setTimeout(() => connect(), delay);
  if (reason) console.info('[visage] reconnect in', Math.round(delay), 'ms:', reason);
}

async function connect() {
  if (state.leaving || state.fatal) return;
  teardownConnection();
  const gen = state.gen;
  const token = auth.token();
  if (!token) { needLogin(); return; }
  setStatus('connecting', state.everJoined ? 'Reconnecting…' : 'Finding the nearest server…');

  // Step 0: the nearest live node (RTT probes), then step 1: a session on it. A node that is full
  // or does not answer gives way to the next-nearest.
  const previous = state.node;
  const now = Date.now();
  for (const [id, until] of state.excluded) if (until < now) state.excluded.delete(id);
  const seeds = ['', ...state.knownNodes.filter(u => u !== location.origin)];
  let picked;
  try {
    picked = await rankNodes({ seeds, exclude: new Set(state.excluded.keys()), regionHint: previous && previous.region });
  } catch (e) {
    picked = { ranking: [{ node: null, rtt: null }], method: 'origin', nodes: [] };
  }
  if (gen !== state.gen) return;
  for (const n of picked.nodes) if (n.httpUrl && !state.knownNodes.includes(n.httpUrl)) state.knownNodes.push(n.httpUrl);
  state.ranking = picked.ranking.filter(r => r.node).map(r => ({
    id: r.node.id, region: r.node.region, httpUrl: r.node.httpUrl, rtt: r.rtt === null ? null : Math.round(r.rtt * 10) / 10,
    degraded: !!r.degraded,
  }));
  state.pickMethod = picked.method;
  if (state.ranking.length) console.info('[visage] nodes by RTT:', state.ranking.map(r => `${r.id}(${r.region}) ${r.rtt ?? '?'} ms${r.degraded ? ' degraded' : ''}`).join(', '));
  setStatus('connecting', state.everJoined ? 'Reconnecting…' : 'Connecting…');

  let session;
  let chosen = null;
  let lastError = null;
  // The page's own origin comes last: it served this page, so it answers even when the nodes'
  // advertised URLs (VISAGE_PUBLIC_URL) are not reachable from this browser.
  const candidates = picked.ranking.some(r => !r.node) ? picked.ranking : [...picked.ranking, { node: null, rtt: null }];
  for (const candidate of candidates) {
    const base = candidate.node ? candidate.node.httpUrl : '';
    try {
      session = await api.createSession(token, base);
      chosen = candidate;
      break;
    } catch (e) {
      if (gen !== state.gen) return;
      if (e instanceof ApiError && e.status === 401) { needLogin('Your login has expired. Please log in again.'); return; }
      if (e instanceof ApiError && e.status === 403) { showFatal('Not allowed', e.message); return; }
      lastError = e;
      console.info('[visage] no session on', candidate.node ? candidate.node.id : 'origin', '-', e.code || e.message);
    }
  }
  if (gen !== state.gen) return;
  if (!chosen) {
    scheduleReconnect(lastError ? lastError.message : 'no node available');
    return;
  }
  if (!session || !session.sessionToken || !session.node) {
    scheduleReconnect('bad session response');
    return;
  }
  state.sessionToken = session.sessionToken;
  state.node = { ...session.node, httpUrl: session.node.httpUrl || (chosen.node && chosen.node.httpUrl) || '' };
  state.nodeRtt = chosen.rtt === null ? null : Math.round(chosen.rtt * 10) / 10;
  state.apiBase = chosen.node ? chosen.node.httpUrl : '';
  if (state.node.httpUrl && !state.knownNodes.includes(state.node.httpUrl)) state.knownNodes.push(state.node.httpUrl);
  if (previous && previous.id && previous.id !== state.node.id) {
    state.moves.push({ from: previous.id, to: state.node.id, reason: state.lastReason || '', at: Date.now() });
  }

  // Step 2: the WebSocket on that node.
  let ws;
  try {
    ws = new WebSocket(wsUrlFor(session.node.wsUrl, session.sessionToken));
  } catch (e) {
    scheduleReconnect(`bad websocket url: ${e.message}`);
    return;
  }
  state.ws = ws;
  state.lastRx = Date.now();
  state.stepTimer = setTimeout(() => {
    if (gen === state.gen) scheduleReconnect('no hello from server');
  }, HELLO_TIMEOUT_MS);

  ws.onmessage = ev => {
    if (gen !== state.gen) return;
    state.lastRx = Date.now();
    let msg;
    try { msg = JSON.parse(ev.data); } catch { console.warn('[visage] non-JSON message', ev.data); return; }
    if (!msg || typeof msg.type !== 'string') return;
    try {
      onMessage(msg, gen);
    } catch (e) {
      console.error('[visage] error handling', msg.type, e);
    }
  };
  ws.onclose = ev => {
    if (gen !== state.gen) return;
    const why = `socket closed (${ev.code}${ev.reason ? ' ' + ev.reason : ''})`;
    if (state.joined) toast('Connection lost. Reconnecting…', 'warn', 3000);
    scheduleReconnect(why, { quick: state.joined });
  };
  ws.onerror = () => { /* a close event follows */ };
}

function send(obj) {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(obj));
  return true;
}

function onHello(msg, gen) {
  clearTimeout(state.stepTimer);
  state.sessionId = msg.sessionId || state.sessionId;
  if (msg.nodeId && state.node) state.node.id = state.node.id || msg.nodeId;
  setStatus('connecting', 'Joining…');

  // Step 4: join on the socket in one step (errors such as room_not_found come back as {type:"error"}).
  send({ type: 'join', roomId: state.roomId });
  state.stepTimer = setTimeout(() => {
    if (gen === state.gen && !state.joined) scheduleReconnect('no joined from server');
  }, JOIN_TIMEOUT_MS);
}

function onJoined(msg, gen) {
  clearTimeout(state.stepTimer);
  state.joined = true;
  state.attempt = 0;
  if (msg.sessionId) state.sessionId = msg.sessionId;
  if (msg.roomId && msg.roomId !== state.roomId) adoptRoomId(msg.roomId);
  if (msg.room) applyRoom(msg.room);
  const wasReconnect = state.everJoined;
  state.everJoined = true;
  recentRooms.add(state.roomId, state.room && state.room.name);

  // Members: rebuild from scratch (the new session may be on another node), but keep those whose
  // member-joined reached this socket before this answer did (the snapshot predates them).
  const prev = state.members;
  state.members = new Map();
  for (const m of prev.values()) if (m.announcedGen === gen) state.members.set(m.sessionId, m);
  for (const m of Array.isArray(msg.members) ? msg.members : []) {
    if (!m || !m.sessionId) continue;
    const old = prev.get(m.sessionId);
    state.members.set(m.sessionId, {
      sessionId: m.sessionId, userId: m.userId, displayName: m.displayName || m.userId || 'Guest',
      audioMuted: old ? old.audioMuted : false, videoMuted: old ? old.videoMuted : false,
    });
  }
  if (!state.members.has(state.sessionId)) {
    const me = auth.user() || {};
    state.members.set(state.sessionId, {
      sessionId: state.sessionId, userId: me.username, displayName: me.displayName || me.username || 'You',
    });
  }
  const self = state.members.get(state.sessionId);
  self.audioMuted = !state.micOn;
  self.videoMuted = !state.camOn;
  state.myUserId = self.userId;
  const stored = auth.user();
  if (stored && self.displayName && stored.displayName !== self.displayName && auth.token()) {
    auth.save(auth.token(), { ...stored, displayName: self.displayName });
  }

  // Chat: keep what we have, add what we missed.
  for (const c of Array.isArray(msg.history) ? msg.history : []) addChat(c, { history: true });

  markMembersStale(false);
  syncTiles();
  renderMembers();
  setStatus('connected', connectedText());
  if (state.node && state.node.region) saveRegion(state.node.region);
  state.joinedAt = Date.now();
  if (state.lastLossAt) {
    state.lastRecoveryMs = state.joinedAt - state.lastLossAt;
    state.lastLossAt = 0;
  }
  $('conn-status').title = state.ranking.length
    ? `Nearest servers (${state.pickMethod}): ${state.ranking.map(r => `${r.region} (${r.id}) ${r.rtt === null ? '?' : Math.round(r.rtt)} ms${r.degraded ? ' (store down)' : ''}`).join(', ')}`
    : '';
  if (wasReconnect) toast('Reconnected', 'success', 2500);

  clearInterval(state.pingTimer);
  state.pingTimer = setInterval(() => {
    if (gen !== state.gen) return;
    if (Date.now() - state.lastRx > DEAD_MS) { scheduleReconnect('server silent'); return; }
    send({ type: 'ping' });
  }, PING_MS);

  startMedia(gen);
}

function onMessage(msg, gen) {
  switch (msg.type) {
    case 'hello': onHello(msg, gen); return;
    case 'joined': onJoined(msg, gen); return;
    case 'member-joined': {
      if (!msg.sessionId) return;
      const back = memberBack(msg);
      const isNew = !state.members.has(msg.sessionId) && !back;
      state.members.set(msg.sessionId, {
        ...(state.members.get(msg.sessionId) || { audioMuted: false, videoMuted: false }),
        sessionId: msg.sessionId, userId: msg.userId, displayName: msg.displayName || msg.userId || 'Guest',
        provisional: false, announcedGen: gen,
      });
      syncTiles();
      renderMembers();
      if (isNew && msg.sessionId !== state.sessionId) toast(`${msg.displayName || msg.userId || 'Someone'} joined`, 'info', 2500);
      offerToMedia(msg);
      return;
    }
    case 'member-left': {
      const m = state.members.get(msg.sessionId);
      if (!m) { offerToMedia(msg); return; }
      // the same user already here in another session (a reconnect the node noticed late, or our
      // own previous session): nothing to wait for
      const alreadyBack = [...state.members.values()].some(x => x !== m && x.userId === m.userId && !x.reconnecting);
      if (alreadyBack) {
        dropMember(m, { quiet: true });
      } else if (!FINAL_LEAVE_REASONS.has(msg.reason) && m.userId) {
        // A lost connection, not a leave: people usually come back within seconds (the node keeps
        // their streams meanwhile), so the tile stays, marked, until they do or the grace ends.
        m.reconnecting = true;
        clearTimeout(m.graceTimer);
        m.graceTimer = setTimeout(() => { if (state.members.get(msg.sessionId) === m) dropMember(m); }, MEMBER_RECONNECT_GRACE_MS);
        const tile = tileFor(msg.sessionId);
        if (tile) updateTile(tile, m);
        renderMembers();
      } else {
        dropMember(m);
      }
      offerToMedia(msg);
      return;
    }
    case 'chat': addChat(msg); return;
    case 'error': onServerError(msg); return;
    case 'node-shutdown':
      moveAway('node-shutdown', 'This server is shutting down; moving you to another one…');
      return;
    case 'move': // an operator drains this node
      moveAway(`move (${msg.reason || 'operator'})`, 'This server is being taken out of service; moving you to another one…');
      return;
    case 'removed':
      showFatal('You were removed from this call', 'An operator removed you from this room. Reload the page to join again.');
      return;
    case 'room-closed':
      showFatal('This call was closed', 'An operator closed this room for everyone. Reload the page to join again.');
      return;
    case 'pong': return;
    default: {
      const media = state.media;
      let handled = false;
      if (media) {
        try { handled = !!media.handle(msg); } catch (e) { console.error('[visage] media.handle failed', e); handled = true; }
      }
      if (!handled) console.debug('[visage] unhandled message', msg.type, msg);
    }
  }
}

/** This node asked its clients to go: skip it for a while and reconnect to the nearest other one. */
function moveAway(reason, text) {
  toast(text, 'warn', 4000);
  if (state.node && state.node.id) state.excluded.set(state.node.id, Date.now() + EXCLUDE_MS);
  scheduleReconnect(reason, { quick: true });
}

function dropMember(m, { quiet = false } = {}) {
  clearTimeout(m.graceTimer);
  state.members.delete(m.sessionId);
  syncTiles();
  renderMembers();
  if (!quiet) toast(`${m.displayName || 'Someone'} left`, 'info', 2500);
}

/**
 * A member-joined of someone whose connection was lost a moment ago: the new session takes over
 * the old one's tile in place (the node continues their streams on the same tracks).
 */
function memberBack(msg) {
  if (!msg.userId) return null;
  const old = [...state.members.values()].find(x => x.reconnecting && x.userId === msg.userId && x.sessionId !== msg.sessionId);
  if (!old) return null;
  clearTimeout(old.graceTimer);
  state.members.delete(old.sessionId);
  const tile = tileFor(old.sessionId);
  if (tile && !tileFor(msg.sessionId)) tile.dataset.sessionId = msg.sessionId;
  return old;
}

/** Membership events are ours, but the media client may want to know too. */
function offerToMedia(msg) {
  if (!state.media) return;
  try { state.media.handle(msg); } catch (e) { console.warn('[visage] media.handle', msg.type, e); }
}

function onServerError(msg) {
  const code = msg.code || 'error';
  const text = (msg.message || code) + (code === 'rate_limited' && msg.retryAfter ? ` (wait ${msg.retryAfter} s)` : '');
  toast(text, 'error', 6000);
  if (!state.joined && (code === 'token_expired' || code === 'invalid_token' || code === 'unauthorized')) {
    scheduleReconnect(`server error ${code}`); // start again at step 1 with fresh tokens
  } else if (!state.joined && (code === 'room_not_found' || code === 'not_found')) {
    recentRooms.remove(state.roomId);
    showFatal('Room not found', `There is no room “${state.roomId}”. Check the link, or create a new room from the home page.`);
  }
}

function applyRoom(room) {
  state.room = { ...(state.room || {}), ...room };
  const name = state.room.name || state.roomId;
  $('room-title').textContent = name;
  $('room-id').textContent = state.room.name ? state.roomId : '';
  document.title = `${name} · Visage`;
}

// ---------------------------------------------------------------- media

function startMedia(gen) {
  stopMedia();
  if (!MediaClient) return;
  const ws = state.ws;
  let media;
  const mine = () => state.media === media && gen === state.gen;
  try {
    media = new MediaClient({
      send: obj => {
        if (mine() && ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
      },
      onTrack: (sessionId, stream, info) => { if (mine()) attachStream(sessionId, stream, info); },
      onTrackRemoved: sessionId => { if (mine()) detachStream(sessionId); },
      onScreen: (sessionId, stream) => { if (mine()) showScreen(sessionId, stream); },
      onLocalScreen: stream => { if (mine()) showScreen(state.sessionId, stream); },
      onMuted: (sessionId, kind, muted) => { if (mine()) setMemberMuted(sessionId, kind, muted); },
      onUnsupported: info => { if (mine()) showUndecodable(info); },
      // The socket may outlive the media path (a blip longer than the consent timeout): join
      // again, which brings fresh transports, as a dropped socket would.
      onFailed: (pc, reason) => { if (mine()) scheduleReconnect(`media ${pc} failed: ${reason}`, { quick: true }); },
      videoCodec: publishVideoCodec(),
    });
  } catch (e) {
    console.error('[visage] MediaClient failed', e);
    toast(`Media could not start: ${e.message || e}`, 'error');
    return;
  }
  state.media = media;
  state.undecodable.clear();
  (async () => {
    try {
      await media.start({ audio: true, video: true });
    } catch (e) {
      if (!mine()) return;
      console.warn('[visage] media.start', e);
      toast(mediaErrorText(e), 'warn', 8000);
    }
    if (!mine()) return;
    // Re-apply what the user chose before (mute state, devices) to the new session.
    try {
      if (!state.micOn) await media.setMuted('audio', true);
      if (!state.camOn) await media.setMuted('video', true);
      const saved = savedDevices();
      const cur = currentDeviceIds();
      if (saved.video && saved.video !== cur.video && await deviceExists('videoinput', saved.video)) await media.switchDevice('video', saved.video);
      if (saved.audio && saved.audio !== cur.audio && await deviceExists('audioinput', saved.audio)) await media.switchDevice('audio', saved.audio);
    } catch (e) {
      console.warn('[visage] applying preferences', e);
    }
    if (!mine()) return;
    refreshLocalPreview();
    refreshDevices();
  })();
}

function stopMedia() {
  const media = state.media;
  state.media = null;
  if (media) {
    try { media.stop(); } catch (e) { console.warn('[visage] media.stop', e); }
  }
  for (const tile of $('video-grid').querySelectorAll('.tile')) setTileStream(tile, null);
  for (const tile of [...$('screen-stage').querySelectorAll('.screen-tile')]) showScreen(tile.dataset.sessionId, null);
}

// ---------------------------------------------------------------- shared screens

/** Shows (stream) or removes (null) a participant's shared screen, large, above the grid. */
function showScreen(sessionId, stream) {
  const stage = $('screen-stage');
  let tile = stage.querySelector(`.screen-tile[data-session-id="${CSS.escape(sessionId)}"]`);
  if (!stream) {
    if (tile) { tile.querySelector('video').srcObject = null; tile.remove(); }
  } else {
    if (!tile) {
      const video = el('video', { autoplay: true, playsinline: true, class: 'screen-video' });
      video.muted = true; // a screen track has no sound of its own here
      tile = el('div', { class: 'screen-tile', dataset: { sessionId } }, video,
        el('div', { class: 'tile-label' }, el('span', { class: 'tile-name' })));
      stage.append(tile);
    }
    const m = state.members.get(sessionId);
    const name = (m && (m.displayName || m.userId)) || 'Someone';
    tile.querySelector('.tile-name').textContent = sessionId === state.sessionId ? 'Your screen' : `${name}'s screen`;
    const video = tile.querySelector('video');
    if (video.srcObject !== stream) video.srcObject = stream;
    playVideo(video);
    if (sessionId !== state.sessionId) watchVideoSize(video);
  }
  const sharing = stage.childElementCount > 0;
  stage.hidden = !sharing;
  $('stage').classList.toggle('has-screen', sharing);
  const mine = !!stage.querySelector(`.screen-tile[data-session-id="${CSS.escape(state.sessionId || '')}"]`);
  $('screen-btn').setAttribute('aria-pressed', String(mine));
  $('screen-btn').title = mine ? 'Stop sharing your screen' : 'Share your screen or a window';
  layoutGrid();
}

async function toggleScreen() {
  const media = state.media;
  if (!media) return;
  try {
    if (media.screen) await media.stopScreen();
    else await media.shareScreen();
  } catch (e) {
    if (e && e.name === 'NotAllowedError') return; // the user closed the browser's picker
    console.warn('[visage] screen sharing', e);
    toast(`Screen sharing failed: ${(e && e.message) || e}`, 'error');
  }
}

function mediaErrorText(e) {
  const n = e && e.name;
  if (n === 'NotAllowedError') return 'Camera/microphone permission was denied. Others can still see you in the list and chat with you.';
  if (n === 'NotFoundError') return 'No camera or microphone found.';
  if (n === 'NotReadableError') return 'Your camera or microphone is in use by another application.';
  return `Could not start audio/video: ${(e && e.message) || e}`;
}

function refreshLocalPreview() {
  const tile = tileFor(state.sessionId);
  if (!tile) return;
  const stream = state.media && state.media.localStream;
  setTileStream(tile, stream || null);
}

function attachStream(sessionId, stream, info) {
  if (!sessionId || !stream) return;
  if (!state.members.has(sessionId)) {
    // Media can arrive a moment before the member-joined event: show a tile anyway, named from
    // the SFU's track description.
    state.members.set(sessionId, {
      sessionId, userId: info && info.userId, displayName: (info && (info.displayName || info.userId)) || '…',
      audioMuted: false, videoMuted: false, provisional: true,
    });
    renderMembers();
  }
  syncTiles();
  const tile = tileFor(sessionId);
  if (!tile) return;
  const video = tile.querySelector('video');
  const cur = video.srcObject;
  if (cur instanceof MediaStream && cur !== stream) {
    // Audio and video may come as separate streams: merge them, newest track per kind wins.
    const kinds = new Set(stream.getTracks().map(t => t.kind));
    const keep = cur.getTracks().filter(t => !kinds.has(t.kind) && t.readyState === 'live');
    setTileStream(tile, keep.length ? new MediaStream([...keep, ...stream.getTracks()]) : stream);
  } else {
    setTileStream(tile, stream);
  }
}

function detachStream(sessionId) {
  const tile = tileFor(sessionId);
  if (tile) setTileStream(tile, null);
  const m = state.members.get(sessionId);
  if (m && m.provisional) { state.members.delete(sessionId); syncTiles(); renderMembers(); }
}

function setTileStream(tile, stream) {
  const video = tile.querySelector('video');
  if (tile._stream && tile._streamListener) {
    tile._stream.removeEventListener('addtrack', tile._streamListener);
    tile._stream.removeEventListener('removetrack', tile._streamListener);
  }
  tile._stream = stream;
  if (video.srcObject !== stream) video.srcObject = stream;
  if (stream) {
    const update = () => updateTileVideoState(tile);
    tile._streamListener = update;
    stream.addEventListener('addtrack', update);
    stream.addEventListener('removetrack', update);
    for (const t of stream.getTracks()) {
      if (!t._visageHooked) {
        t._visageHooked = true;
        for (const ev of ['mute', 'unmute', 'ended']) t.addEventListener(ev, () => {
          for (const tl of document.querySelectorAll('.tile')) if (tl._stream && tl._stream.getTracks().includes(t)) updateTileVideoState(tl);
        });
      }
    }
    playVideo(video);
    speaking.watch(tile.dataset.sessionId, stream);
    if (tile.dataset.sessionId !== state.sessionId) watchVideoSize(video);
  } else {
    speaking.watch(tile.dataset.sessionId, null);
  }
  updateTileVideoState(tile);
}

/**
 * The camera's codec, a publish option as in LiveKit Meet: ?codec=h264 in the room's address sends
 * H.264 (constrained baseline) where the browser can; VP8 otherwise.
 */
function publishVideoCodec() {
  return (new URLSearchParams(location.search).get('codec') || '').toLowerCase() === 'h264' ? 'h264' : 'vp8';
}

/**
 * A remote track this browser cannot decode, which the server therefore does not send (an SFU
 * does not transcode): said on the publisher's tile and once in a toast; their audio still plays.
 */
function showUndecodable(info) {
  if (info.kind !== 'video') return;
  const first = !state.undecodable.has(info.sessionId);
  state.undecodable.set(info.sessionId, info.codec);
  const tile = tileFor(info.sessionId);
  const m = state.members.get(info.sessionId);
  if (tile && m) updateTile(tile, m);
  const what = info.source === 'screen' ? 'screen' : 'camera';
  if (first) toast(`${info.displayName || 'Someone'}'s ${what} is sent as ${info.codec}, which this browser cannot play; you still hear them.`, 'warn', 8000);
}

/** The server sends a remote video in the layer that fits the element's size (see MediaClient). */
function watchVideoSize(video) {
  if (state.media && typeof state.media.watchVideoSize === 'function') state.media.watchVideoSize(video);
}

function updateTileVideoState(tile) {
  const s = tile._stream;
  const m = state.members.get(tile.dataset.sessionId);
  const hasVideo = !!s && s.getVideoTracks().some(t => t.readyState === 'live' && !t.muted)
    && !(m && m.videoMuted);
  tile.classList.toggle('has-video', hasVideo);
}

function playVideo(video) {
  const p = video.play();
  if (p && typeof p.catch === 'function') {
    p.catch(e => {
      if (e && e.name === 'NotAllowedError') $('audio-unlock').hidden = false;
    });
  }
}

function unlockAudio() {
  $('audio-unlock').hidden = true;
  for (const v of document.querySelectorAll('#video-grid video')) if (v.srcObject) playVideo(v);
  speaking.resume();
}

// ---------------------------------------------------------------- active speaker

const speaking = (() => {
  let ctx = null;
  const watched = new Map(); // sessionId -> {analyser, source, data, level}
  let timer = null;

  function watch(sessionId, stream) {
    const old = watched.get(sessionId);
    if (old) { try { old.source.disconnect(); } catch { /* ignore */ } watched.delete(sessionId); }
    if (!stream || !stream.getAudioTracks().length) return;
    try {
      ctx = ctx || new (window.AudioContext || window.webkitAudioContext)();
      const source = ctx.createMediaStreamSource(new MediaStream(stream.getAudioTracks()));
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      watched.set(sessionId, { source, analyser, data: new Uint8Array(analyser.fftSize), level: 0 });
      if (!timer) timer = setInterval(poll, 150);
    } catch (e) {
      console.debug('[visage] no audio level for', sessionId, e);
    }
  }
  function poll() {
    if (!watched.size) { clearInterval(timer); timer = null; return; }
    for (const [sid, w] of watched) {
      w.analyser.getByteTimeDomainData(w.data);
      let sum = 0;
      for (const v of w.data) { const x = (v - 128) / 128; sum += x * x; }
      const rms = Math.sqrt(sum / w.data.length);
      w.level = w.level * 0.6 + rms * 0.4;
      const tile = tileFor(sid);
      const m = state.members.get(sid);
      if (tile) tile.classList.toggle('speaking', w.level > 0.02 && !(m && m.audioMuted));
    }
  }
  function resume() { if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {}); }
  return { watch, resume };
})();

// ---------------------------------------------------------------- tiles

function tileFor(sessionId) {
  if (!sessionId) return null;
  return $('video-grid').querySelector(`.tile[data-session-id="${CSS.escape(sessionId)}"]`);
}

function makeTile(m) {
  const self = m.sessionId === state.sessionId;
  const video = el('video', { autoplay: true, playsinline: true, class: self ? 'local-video' : 'remote-video' });
  if (self) { video.muted = true; video.setAttribute('muted', ''); }
  const speaker = $('speaker-select').value;
  if (!self && speaker && typeof video.setSinkId === 'function') video.setSinkId(speaker).catch(() => {});
  const avatar = el('div', { class: 'tile-avatar' }, el('span', { class: 'avatar avatar-lg' }));
  const label = el('div', { class: 'tile-label' },
    el('span', { class: 'tile-mute tile-mute-audio', title: 'Microphone off' }, icon('micOff')),
    el('span', { class: 'tile-name' }),
  );
  const camOff = el('span', { class: 'tile-badge tile-mute-video', title: 'Camera off' }, icon('camOff'));
  const undecodable = el('span', { class: 'tile-note tile-undecodable' });
  const tile = el('div', { class: 'tile', dataset: { sessionId: m.sessionId, self: String(self) } }, video, avatar, label, camOff,
    undecodable);
  return tile;
}

function updateTile(tile, m) {
  const self = m.sessionId === state.sessionId;
  const name = m.displayName || m.userId || 'Guest';
  tile.querySelector('.tile-name').textContent = self ? `${name} (you)` : name;
  const av = tile.querySelector('.avatar');
  av.textContent = initials(name);
  av.style.setProperty('--hue', hueOf(m.userId || name));
  tile.classList.toggle('audio-muted', !!m.audioMuted);
  tile.classList.toggle('video-muted', !!m.videoMuted);
  tile.classList.toggle('reconnecting', !!m.reconnecting);
  tile.classList.toggle('self', self);
  const codec = state.undecodable.get(m.sessionId);
  tile.classList.toggle('undecodable', !!codec);
  tile.querySelector('.tile-undecodable').textContent = codec ? `${codec} video: this browser cannot play it` : '';
  updateTileVideoState(tile);
}

function orderedMembers() {
  const list = [...state.members.values()];
  list.sort((a, b) => {
    if (a.sessionId === state.sessionId) return -1;
    if (b.sessionId === state.sessionId) return 1;
    return String(a.displayName || '').localeCompare(String(b.displayName || ''));
  });
  return list;
}

function syncTiles() {
  const grid = $('video-grid');
  const wanted = new Set(state.members.keys());
  for (const tile of [...grid.querySelectorAll('.tile')]) {
    const sid = tile.dataset.sessionId;
    if (!wanted.has(sid) || tile.dataset.self !== String(sid === state.sessionId)) {
      setTileStream(tile, null);
      tile.remove();
    }
  }
  for (const m of orderedMembers()) {
    let tile = tileFor(m.sessionId);
    if (!tile) {
      tile = makeTile(m);
      grid.append(tile);
      if (m.sessionId === state.sessionId && state.media && state.media.localStream) setTileStream(tile, state.media.localStream);
    }
    updateTile(tile, m);
  }
  // Self first, then the order of arrival.
  const selfTile = tileFor(state.sessionId);
  if (selfTile && grid.firstElementChild !== selfTile) grid.prepend(selfTile);
  layoutGrid();
}

/** Pick the column count that makes 16:9 tiles as large as possible in the stage. */
function layoutGrid() {
  const grid = $('video-grid');
  const n = grid.querySelectorAll('.tile').length || 1;
  const gap = 10;
  const W = grid.clientWidth, H = grid.clientHeight;
  if (!W || !H) return;
  let best = { cols: 1, w: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const cw = (W - gap * (cols - 1)) / cols;
    const ch = (H - gap * (rows - 1)) / rows;
    const w = Math.min(cw, ch * 16 / 9);
    if (w > best.w) best = { cols, w };
  }
  grid.style.setProperty('--cols', best.cols);
  grid.style.setProperty('--tile-w', `${Math.floor(best.w)}px`);
  grid.dataset.count = n;
}

function markMembersStale(stale) {
  $('video-grid').classList.toggle('stale', stale);
}

function setMemberMuted(sessionId, kind, muted) {
  const m = state.members.get(sessionId);
  if (!m) return;
  if (kind === 'audio') m.audioMuted = !!muted;
  else if (kind === 'video') m.videoMuted = !!muted;
  const tile = tileFor(sessionId);
  if (tile) updateTile(tile, m);
  renderMembers();
}

// ---------------------------------------------------------------- member list

function renderMembers() {
  const list = $('member-list');
  const members = orderedMembers();
  list.replaceChildren(...members.map(m => {
    const self = m.sessionId === state.sessionId;
    const name = m.displayName || m.userId || 'Guest';
    return el('li', { class: `member${self ? ' self' : ''}`, dataset: { sessionId: m.sessionId } },
      el('span', { class: 'avatar avatar-sm', style: `--hue:${hueOf(m.userId || name)}`, text: initials(name) }),
      el('span', { class: 'member-name' },
        el('span', { class: 'member-display', text: name }),
        self ? el('span', { class: 'muted small', text: ' (you)' }) : null,
        m.reconnecting ? el('span', { class: 'muted small', text: ' · reconnecting…' }) : null,
      ),
      el('span', { class: 'member-icons' },
        m.videoMuted ? el('span', { class: 'member-icon', title: 'Camera off' }, icon('camOff')) : null,
        m.audioMuted ? el('span', { class: 'member-icon', title: 'Microphone off' }, icon('micOff')) : null,
      ),
    );
  }));
  $('people-count').textContent = members.length;
  $('member-count-n').textContent = members.length;
}

// ---------------------------------------------------------------- chat

function addChat(c, { history = false } = {}) {
  if (!c || typeof c.text !== 'string') return;
  if (c.id !== undefined && c.id !== null) {
    const key = String(c.id);
    if (state.chatIds.has(key)) return;
    state.chatIds.add(key);
  }
  const log = $('chat-log');
  const me = state.members.get(state.sessionId);
  const mine = c.userId ? c.userId === state.myUserId : !!(me && c.displayName && c.displayName === me.displayName);
  if (mine && !history) {
    // Replace our optimistic copy, if any.
    const pending = [...log.querySelectorAll('.chat-message.pending')].find(li => li._text === c.text);
    if (pending) pending.remove();
  }
  const item = chatItem({
    id: c.id, userId: c.userId, name: c.displayName || c.userId || 'Guest', text: c.text, sentAt: c.sentAt, mine,
  });
  insertChat(item);
  if (!history && !mine) notifyUnread();
}

function chatItem({ id, userId, name, text, sentAt, mine, pending }) {
  const li = el('li', {
    class: `chat-message${mine ? ' mine' : ''}${pending ? ' pending' : ''}`,
    dataset: { id: id !== undefined && id !== null ? String(id) : '', userId: userId || '' },
  },
  el('div', { class: 'chat-meta' },
    el('span', { class: 'chat-name', style: `--hue:${hueOf(userId || name)}`, text: name }),
    el('time', { class: 'chat-time', text: sentAt ? formatTime(sentAt) : '' }),
  ),
  el('div', { class: 'chat-text' }, linkified(text)));
  li._text = text;
  li._userId = userId || name;
  li._at = sentAt ? new Date(typeof sentAt === 'string' && /^\d+$/.test(sentAt) ? Number(sentAt) : sentAt).getTime() : Date.now();
  return li;
}

function insertChat(li) {
  const log = $('chat-log');
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  // Keep the log in time order (history may arrive after messages seen live).
  let before = null;
  if (Number.isFinite(li._at)) {
    for (let n = log.lastElementChild; n; n = n.previousElementSibling) {
      if (!Number.isFinite(n._at) || n._at <= li._at || n.classList.contains('pending')) break;
      before = n;
    }
  }
  log.insertBefore(li, before);
  // Compact consecutive messages from the same person within 3 minutes.
  for (const n of [li, li.nextElementSibling]) {
    if (!n) continue;
    const p = n.previousElementSibling;
    n.classList.toggle('cont', !!p && p._userId === n._userId && Math.abs(n._at - p._at) < 180000);
  }
  $('chat-empty').hidden = log.children.length > 0;
  if (nearBottom || li.classList.contains('mine')) log.scrollTop = log.scrollHeight;
}

function sendChat(ev) {
  if (ev) ev.preventDefault();
  const input = $('chat-input');
  const text = input.value.trim();
  if (!text) return;
  if (text.length > CHAT_MAX) { toast(`Messages can be at most ${CHAT_MAX} characters.`, 'warn'); return; }
  if (!state.joined || !send({ type: 'chat', text })) {
    toast('Not connected; your message was not sent.', 'warn', 3000);
    return;
  }
  const me = state.members.get(state.sessionId) || {};
  const li = chatItem({ userId: state.myUserId, name: me.displayName || 'You', text, mine: true, pending: true });
  insertChat(li);
  // If the server does not echo our own messages, stop showing them as pending.
  setTimeout(() => li.classList.remove('pending'), 5000);
  input.value = '';
  autosize();
}

function autosize() {
  const input = $('chat-input');
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
  input.classList.toggle('scroll', input.scrollHeight > 140);
}

function notifyUnread() {
  if (!document.body.classList.contains('side-closed')) return;
  state.unread++;
  const b = $('unread-badge');
  b.textContent = state.unread > 99 ? '99+' : String(state.unread);
  b.hidden = false;
}

// ---------------------------------------------------------------- controls

function updateControlButtons() {
  const mic = $('mic-btn');
  mic.setAttribute('aria-pressed', String(state.micOn));
  mic.classList.toggle('off', !state.micOn);
  mic.title = state.micOn ? 'Mute microphone (M)' : 'Unmute microphone (M)';
  const cam = $('cam-btn');
  cam.setAttribute('aria-pressed', String(state.camOn));
  cam.classList.toggle('off', !state.camOn);
  cam.title = state.camOn ? 'Turn camera off (V)' : 'Turn camera on (V)';
}

async function toggle(kind) {
  if (kind === 'audio') state.micOn = !state.micOn;
  else state.camOn = !state.camOn;
  const muted = kind === 'audio' ? !state.micOn : !state.camOn;
  updateControlButtons();
  setMemberMuted(state.sessionId, kind, muted);
  if (state.media) {
    try { await state.media.setMuted(kind, muted); } catch (e) { toast(`Could not change ${kind === 'audio' ? 'microphone' : 'camera'}: ${e.message || e}`, 'error'); }
  }
}

function savedDevices() {
  try { return JSON.parse(localStorage.getItem(DEVICE_KEY) || '{}') || {}; } catch { return {}; }
}

function saveDevice(kind, id) {
  const d = savedDevices();
  d[kind] = id;
  localStorage.setItem(DEVICE_KEY, JSON.stringify(d));
}

function currentDeviceIds() {
  const s = state.media && state.media.localStream;
  const get = t => (t && typeof t.getSettings === 'function' && t.getSettings().deviceId) || '';
  return { audio: s ? get(s.getAudioTracks()[0]) : '', video: s ? get(s.getVideoTracks()[0]) : '' };
}

async function deviceExists(kind, id) {
  try { return (await navigator.mediaDevices.enumerateDevices()).some(d => d.kind === kind && d.deviceId === id); } catch { return false; }
}

async function refreshDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  let devices = [];
  try { devices = await navigator.mediaDevices.enumerateDevices(); } catch { return; }
  const cur = currentDeviceIds();
  const saved = savedDevices();
  const fill = (select, kind, fallback, current) => {
    const list = devices.filter(d => d.kind === kind && d.deviceId);
    const opts = list.length
      ? list.map((d, i) => el('option', { value: d.deviceId, text: d.label || `${fallback} ${i + 1}` }))
      : [el('option', { value: '', text: `Default ${fallback.toLowerCase()}` })];
    select.replaceChildren(...opts);
    if (current && list.some(d => d.deviceId === current)) select.value = current;
    select.disabled = list.length === 0;
  };
  fill($('camera-select'), 'videoinput', 'Camera', cur.video || saved.video);
  fill($('mic-select'), 'audioinput', 'Microphone', cur.audio || saved.audio);
  const canSink = typeof HTMLMediaElement.prototype.setSinkId === 'function';
  const outs = devices.filter(d => d.kind === 'audiooutput' && d.deviceId);
  $('speaker-select').hidden = $('speaker-label').hidden = !canSink || outs.length === 0;
  if (canSink && outs.length) fill($('speaker-select'), 'audiooutput', 'Speaker', saved.speaker || 'default');
}

async function onDeviceChange(kind, select) {
  const id = select.value;
  if (!id) return;
  saveDevice(kind, id);
  if (kind === 'speaker') {
    for (const v of document.querySelectorAll('video.remote-video')) {
      if (typeof v.setSinkId === 'function') v.setSinkId(id).catch(e => toast(`Cannot use that speaker: ${e.message}`, 'error'));
    }
    return;
  }
  if (!state.media) return;
  select.disabled = true;
  try {
    await state.media.switchDevice(kind, id);
    refreshLocalPreview();
  } catch (e) {
    toast(`Could not switch ${kind === 'video' ? 'camera' : 'microphone'}: ${e.message || e}`, 'error');
  } finally {
    select.disabled = false;
    refreshDevices();
  }
}

function setSideOpen(open) {
  document.body.classList.toggle('side-closed', !open);
  document.body.classList.toggle('side-open', open);
  $('chat-toggle-btn').setAttribute('aria-pressed', String(open));
  if (open) {
    state.unread = 0;
    $('unread-badge').hidden = true;
    const log = $('chat-log');
    log.scrollTop = log.scrollHeight;
  }
  requestAnimationFrame(layoutGrid);
}

async function leave() {
  if (state.leaving) return;
  state.leaving = true;
  setStatus('idle', 'Leaving…');
  const ws = state.ws;
  if (state.joined) send({ type: 'leave' });
  stopMedia();
  clearTimers();
  if (ws && ws.readyState === WebSocket.OPEN) {
    await new Promise(resolve => {
      ws.onclose = resolve;
      try { ws.close(1000, 'leave'); } catch { resolve(); }
      setTimeout(resolve, 400);
    });
  }
  state.gen++;
  location.href = '/';
}

function bindControls() {
  $('mic-btn').addEventListener('click', () => toggle('audio'));
  $('cam-btn').addEventListener('click', () => toggle('video'));
  $('screen-btn').addEventListener('click', toggleScreen);
  $('screen-btn').hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
  $('leave-btn').addEventListener('click', leave);
  $('copy-link-btn').addEventListener('click', async () => {
    const ok = await copyText(shareUrl());
    toast(ok ? 'Meeting link copied' : `Copy this link: ${shareUrl()}`, ok ? 'success' : 'info', ok ? 2500 : 10000);
  });
  const menu = $('device-menu');
  const devBtn = $('device-btn');
  devBtn.addEventListener('click', ev => {
    ev.stopPropagation();
    menu.hidden = !menu.hidden;
    devBtn.setAttribute('aria-expanded', String(!menu.hidden));
    if (!menu.hidden) refreshDevices();
  });
  menu.addEventListener('click', ev => ev.stopPropagation());
  document.addEventListener('click', () => { menu.hidden = true; devBtn.setAttribute('aria-expanded', 'false'); });
  $('camera-select').addEventListener('change', ev => onDeviceChange('video', ev.target));
  $('mic-select').addEventListener('change', ev => onDeviceChange('audio', ev.target));
  $('speaker-select').addEventListener('change', ev => onDeviceChange('speaker', ev.target));
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener('devicechange', refreshDevices);
  }

  $('chat-form').addEventListener('submit', sendChat);
  const input = $('chat-input');
  input.addEventListener('keydown', ev => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); sendChat(); }
  });
  input.addEventListener('input', autosize);

  $('chat-toggle-btn').addEventListener('click', () => setSideOpen(document.body.classList.contains('side-closed')));
  $('side-close-btn').addEventListener('click', () => setSideOpen(false));
  $('audio-unlock-btn').addEventListener('click', unlockAudio);
  $('room-error-retry').addEventListener('click', () => {
    $('room-error').hidden = true;
    state.fatal = false;
    state.attempt = 0;
    connect();
  });

  document.addEventListener('keydown', ev => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    if (!$('auth-overlay').hidden) return;
    if (ev.key === 'm' || ev.key === 'M') toggle('audio');
    else if (ev.key === 'v' || ev.key === 'V') toggle('video');
    else if (ev.key === 'Escape') { menu.hidden = true; }
  });
  document.addEventListener('pointerdown', () => speaking.resume(), { once: true });

  // Network came back while we were waiting: try now instead of at the end of the backoff.
  window.addEventListener('online', () => {
    if (state.reconnectTimer && !state.leaving && !state.fatal) { state.attempt = 0; connect(); }
  });
  window.addEventListener('pagehide', () => {
    if (state.joined && !state.leaving) send({ type: 'leave' });
  });
  window.addEventListener('storage', ev => {
    // Logged out in another tab.
    if (ev.key === 'visage.userToken' && !ev.newValue && !state.leaving) needLogin('You logged out in another tab.');
  });

  if (typeof ResizeObserver === 'function') new ResizeObserver(() => layoutGrid()).observe($('video-grid'));
  else window.addEventListener('resize', layoutGrid);

  const narrow = window.matchMedia('(max-width: 900px)');
  setSideOpen(!narrow.matches);
}

// ---------------------------------------------------------------- inspection

// A read-only view of the connection for support and for the browser tests (tests/netns).
window.visage = Object.freeze({
  get node() { return state.node ? { ...state.node } : null; },
  get nodeRtt() { return state.nodeRtt; },
  get ranking() { return state.ranking.map(r => ({ ...r })); },
  get pickMethod() { return state.pickMethod; },
  get joined() { return state.joined; },
  get sessionId() { return state.sessionId; },
  get roomId() { return state.roomId; },
  get members() { return [...state.members.values()].map(m => ({ ...m })); },
  get chat() { return [...$('chat-log').querySelectorAll('.chat-message')].map(li => li._text); },
  get moves() { return state.moves.map(m => ({ ...m })); },
  get joinedAt() { return state.joinedAt || 0; },
  get lastRecoveryMs() { return state.lastRecoveryMs ?? null; },
  get media() { return state.media; },
  get status() { return $('conn-text').textContent; },
});

// ---------------------------------------------------------------- start

function main() {
  hydrateIcons();
  updateControlButtons();
  bindControls();
  state.roomId = roomIdFromLocation();
  if (!state.roomId) {
    showFatal('No room in the link', 'The meeting link should look like /r/<room id>.');
    return;
  }
  $('room-title').textContent = state.roomId;
  document.title = `${state.roomId} · Visage`;
  loadMedia(); // start fetching early; connect() does not wait for it longer than needed
  if (!auth.isLoggedIn()) {
    needLogin();
    return;
  }
  mediaLoad.finally(() => connect());
}

main();
