// Visage REST and WebSocket helpers, plus the browser-side storage of auth and recent rooms.
// No framework: plain fetch, plain WebSocket.

const TOKEN_KEY = 'visage.userToken';
const USER_KEY = 'visage.user';
const RECENT_KEY = 'visage.recentRooms';
const RECENT_MAX = 12;

/**
 * An error from the REST API: HTTP status plus the server's stable {code, message}; `body` is the
 * whole error object (room_taken carries a `suggestion`).
 */
export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || (status ? `http_${status}` : 'network_error');
    this.body = body;
  }
}

/** `path` on node `base` (an httpUrl such as http://10.0.0.5:8080), or on this page's origin. */
function urlOn(base, path) {
  return base ? new URL(path, base).toString() : path;
}

async function request(method, path, { body, token, signal, base } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(urlOn(base, path), {
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection.');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const code = data && typeof data.code === 'string' ? data.code : undefined;
    const message = data && typeof data.message === 'string' && data.message
      ? data.message
      : defaultMessage(res.status);
    const retryAfter = res.status === 429 ? res.headers.get('Retry-After') : null;
    throw new ApiError(res.status, code, retryAfter ? `${message} (wait ${retryAfter} s)` : message, data);
  }
  return data;
}

function defaultMessage(status) {
  switch (status) {
    case 400: return 'The request was not valid.';
    case 401: return 'Please log in again.';
    case 403: return 'You are not allowed to do that.';
    case 404: return 'Not found.';
    case 409: return 'That already exists.';
    case 429: return 'Too many requests; try again in a moment.';
    default: return status >= 500 ? `The server had a problem (HTTP ${status}).` : `Request failed (HTTP ${status}).`;
  }
}

// ---- REST endpoints (see DESIGN.md "Interfaces") ----
// Calls that belong to a session (sessions, join) take the base URL of the node chosen for it:
// the page may have been loaded from another node, which may even be gone by now. The API allows
// cross-origin calls (CorsFilter: bearer tokens, no cookies).

export const api = {
  register: (username, password, displayName) =>
    request('POST', '/api/users', { body: { username, password, displayName } }),
  login: (username, password) =>
    request('POST', '/api/login', { body: { username, password } }),
  /** name: display name; urlName: the picked /r/<urlName> (a random id when absent). Both optional. */
  createRoom: (userToken, { name, urlName } = {}) =>
    request('POST', '/api/rooms', { token: userToken, body: { ...(name ? { name } : {}), ...(urlName ? { urlName } : {}) } }),
  getRoom: (roomId, token, base) =>
    request('GET', `/api/rooms/${encodeURIComponent(roomId)}`, { token, base }),
  createSession: (userToken, base) =>
    request('POST', '/api/sessions', { token: userToken, base }),
  messages: (roomId, token, base) =>
    request('GET', `/api/rooms/${encodeURIComponent(roomId)}/messages`, { token, base }),
  nodes: (base, signal) => request('GET', '/api/nodes', { base, signal }),
  nearest: (region, base) =>
    request('GET', `/api/nodes/nearest${region ? `?region=${encodeURIComponent(region)}` : ''}`, { base }),
  health: (base) => request('GET', '/health', { base }),
};

// ---- Operators' API (/api/admin/*: the server checks the admin role on every call) ----

const admin = path => `/api/admin/${path}`;
const enc = encodeURIComponent;

export const adminApi = {
  nodes: token => request('GET', admin('nodes'), { token }),
  rooms: token => request('GET', admin('rooms'), { token }),
  /** One node's relay legs and stream statistics, asked of that node (`base` is its httpUrl). */
  media: (token, base) => request('GET', admin('media'), { token, base }),
  kick: (token, sessionId) => request('POST', admin(`sessions/${enc(sessionId)}/kick`), { token }),
  closeRoom: (token, roomId) => request('POST', admin(`rooms/${enc(roomId)}/close`), { token }),
  drain: (token, nodeId) => request('POST', admin(`nodes/${enc(nodeId)}/drain`), { token }),
  undrain: (token, nodeId) => request('POST', admin(`nodes/${enc(nodeId)}/undrain`), { token }),
  admins: token => request('GET', admin('users'), { token }),
  setRole: (token, username, role) => request('PUT', admin(`users/${enc(username)}/role`), { token, body: { role } }),
  audit: token => request('GET', admin('audit?limit=50'), { token }),
};

// ---- Nearest node ----

const PROBES = 3;
const PROBE_TIMEOUT_MS = 2000;
const NODES_TIMEOUT_MS = 3000;
const REGION_KEY = 'visage.region';

function withTimeout(ms) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ms);
  return { signal: ctl.signal, done: () => clearTimeout(timer) };
}

/**
 * Round-trip time to a node in ms and whether it is degraded: PROBES sequential GETs of
 * <httpUrl>/api/nodes/ping (answered from memory; /health would add the node's store round trip),
 * median of the three; the first one also pays the TCP handshake, which the median discards. The
 * answer says "status":"DEGRADED" while the node's store does not answer (it still carries calls,
 * but cannot log anyone in). null if the node does not answer, or answers 503 (still starting).
 */
export async function probeNode(httpUrl, { probes = PROBES, timeoutMs = PROBE_TIMEOUT_MS } = {}) {
  const url = urlOn(httpUrl, '/api/nodes/ping');
  const samples = [];
  let degraded = false;
  for (let i = 0; i < probes; i++) {
    const t = withTimeout(timeoutMs);
    const start = performance.now();
    try {
      const res = await fetch(url, { cache: 'no-store', mode: 'cors', signal: t.signal });
      const text = await res.text();
      if (!res.ok) return null;
      samples.push(performance.now() - start);
      try { degraded = JSON.parse(text).status === 'DEGRADED'; } catch { degraded = false; }
    } catch {
      return null; // refused, unreachable, timed out: not a candidate
    } finally {
      t.done();
    }
  }
  samples.sort((a, b) => a - b);
  return { rtt: samples[Math.floor(samples.length / 2)], degraded };
}

/**
 * The live nodes, asked of the first seed that answers (this page's origin first, then nodes
 * seen before: the origin itself may be the node that died).
 */
export async function fetchNodes(seeds) {
  for (const base of seeds) {
    const t = withTimeout(NODES_TIMEOUT_MS);
    try {
      const list = await api.nodes(base, t.signal);
      if (Array.isArray(list) && list.length) return { nodes: list, from: base || location.origin };
    } catch { /* next seed */ } finally { t.done(); }
  }
  return { nodes: [], from: null };
}

/**
 * Orders the nodes for a new session, nearest first: every live node that is not full and not in
 * `exclude` (ids) is probed in parallel and ranked by median RTT (then load), degraded nodes after
 * all the healthy ones. When no node can be probed, the server decides: GET
 * /api/nodes/nearest?region=<hint> (least-loaded free node of the hinted region, else of any).
 * Returns {ranking:[{node, rtt, degraded}], method, nodes}.
 */
export async function rankNodes({ seeds = [''], exclude = new Set(), regionHint } = {}) {
  const { nodes } = await fetchNodes(seeds);
  let candidates = nodes.filter(n => n && n.httpUrl && !n.full && !n.draining && !exclude.has(n.id));
  const pin = pinnedNode();
  if (pin && candidates.some(n => n.id === pin)) candidates = candidates.filter(n => n.id === pin);
  const probes = await Promise.all(candidates.map(n => probeNode(n.httpUrl)));
  const ranking = candidates.map((node, i) => ({ node, ...probes[i] }))
    .filter((r, i) => probes[i] !== null)
    .sort((a, b) => (a.degraded - b.degraded) || (a.rtt - b.rtt) || ((a.node.load || 0) - (b.node.load || 0)));
  if (ranking.length) return { ranking, method: 'rtt', nodes };
  const hint = regionHint || savedRegion();
  for (const base of seeds) {
    try {
      const node = await api.nearest(hint, base);
      if (node && node.httpUrl && !exclude.has(node.id)) return { ranking: [{ node, rtt: null }], method: 'server', nodes };
    } catch { /* next seed */ }
  }
  // Last resort: this page's own node, as before nearest-node selection existed.
  return { ranking: [{ node: null, rtt: null }], method: 'origin', nodes };
}

/**
 * `?node=<id>` on the page URL pins the page to that node while it is live and free (experiments,
 * support); otherwise the pick is the usual one.
 */
export function pinnedNode() {
  try { return new URLSearchParams(location.search).get('node') || ''; } catch { return ''; }
}

export function savedRegion() {
  try { return localStorage.getItem(REGION_KEY) || ''; } catch { return ''; }
}

export function saveRegion(region) {
  try { if (region) localStorage.setItem(REGION_KEY, region); } catch { /* ignore */ }
}

/**
 * The WebSocket URL for a session: wsUrl from POST /api/sessions (absolute, or relative to this
 * page) plus ?token=<sessionToken>.
 */
export function wsUrlFor(wsUrl, sessionToken) {
  const url = new URL(wsUrl || '/ws', location.href);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  url.searchParams.set('token', sessionToken);
  return url.toString();
}

// ---- Auth storage ----

export const auth = {
  token() {
    try { return localStorage.getItem(TOKEN_KEY); } catch { return null; }
  },
  user() {
    try {
      const u = JSON.parse(localStorage.getItem(USER_KEY) || 'null');
      return u && typeof u === 'object' ? u : null;
    } catch { return null; }
  },
  save(userToken, user) {
    localStorage.setItem(TOKEN_KEY, userToken);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
  isLoggedIn() { return !!this.token(); },
};

/** Best effort: read claims from a JWT-shaped token (no verification; display only). */
export function tokenClaims(token) {
  try {
    const parts = String(token).split('.');
    const body = parts.length === 3 ? parts[1] : parts.length === 2 ? parts[0] : null;
    if (!body) return null;
    const bin = atob(body.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(body.length / 4) * 4, '='));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, c => c.charCodeAt(0))));
    return claims && typeof claims === 'object' ? claims : null;
  } catch { return null; }
}

/** Register (optional) then log in; stores the token and user. Returns the stored user. */
export async function loginFlow({ username, password, displayName, register }) {
  if (register) await api.register(username, password, displayName || username);
  const res = await api.login(username, password);
  if (!res || !res.userToken) throw new ApiError(500, 'bad_response', 'The server sent no token.');
  const claims = tokenClaims(res.userToken) || {};
  const name = displayName
    || res.displayName
    || (typeof claims.displayName === 'string' && claims.displayName)
    || (typeof claims.name === 'string' && claims.name)
    || (auth.user() && auth.user().username === username && auth.user().displayName)
    || username;
  const user = { username, displayName: name };
  auth.save(res.userToken, user);
  return user;
}

// ---- Recent rooms (this browser only) ----

export const recentRooms = {
  list() {
    try {
      const list = JSON.parse(localStorage.getItem(RECENT_KEY) || '[]');
      return Array.isArray(list) ? list.filter(r => r && typeof r.id === 'string') : [];
    } catch { return []; }
  },
  add(id, name) {
    const list = this.list().filter(r => r.id !== id);
    const prev = this.list().find(r => r.id === id);
    list.unshift({ id, name: name || (prev && prev.name) || '', visitedAt: Date.now() });
    localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
  },
  remove(id) {
    localStorage.setItem(RECENT_KEY, JSON.stringify(this.list().filter(r => r.id !== id)));
  },
  clear() { localStorage.removeItem(RECENT_KEY); },
};

/** Absolute shareable URL for a room. */
export function roomUrl(roomId, serverUrl) {
  if (serverUrl) {
    try { return new URL(serverUrl, location.origin).toString(); } catch { /* fall through */ }
  }
  return new URL(`/r/${encodeURIComponent(roomId)}`, location.origin).toString();
}

/** Room id from whatever the user pasted: a full URL, a /r/… path, or a bare id. */
export function parseRoomInput(input) {
  const s = String(input || '').trim();
  if (!s) return null;
  let path = s;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    try { path = new URL(s).pathname; } catch { return null; }
  }
  const m = path.match(/(?:^|\/)r\/([^/?#]+)/);
  let id = m ? m[1] : path.replace(/^\/+|\/+$/g, '').split(/[/?#]/).pop();
  try { id = decodeURIComponent(id); } catch { /* keep raw */ }
  id = id.trim();
  return id && !/\s/.test(id) ? id : null;
}
