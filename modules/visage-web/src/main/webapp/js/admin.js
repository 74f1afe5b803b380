// Operators' console (/admin): nodes, relay legs, live rooms with their members and stream quality
// charts, actions (remove a member, close a room, drain a node), admins and the audit log. Every
// call goes to /api/admin/*, where the server checks the admin role; this page only shows what
// it is allowed to see. No inline script or style: it runs under a strict Content-Security-Policy.

import { adminApi, auth, ApiError } from '/js/api.js';
import { el, renderAuthForm, toast } from '/js/ui.js';
import { QualityCharts } from '/js/admin-charts.js';

const $ = id => document.getElementById(id);
const REFRESH_MS = 2000;

const state = {
  timer: null,
  nodes: [],
  media: new Map(),   // node id -> its /api/admin/media answer (relay legs, streams per room)
  names: new Map(),   // session id -> display name
  charts: new Map(),  // room id -> QualityCharts
};

// ---------------------------------------------------------------- formatting

function percent(fraction) {
  return typeof fraction === 'number' && fraction >= 0 ? `${Math.round(fraction * 1000) / 10}%` : '—';
}

function bytes(n) {
  if (!(n > 0)) return '—';
  const mb = n / (1024 * 1024);
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${Math.round(mb)} MiB`;
}

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  return m ? `${m}m ${s % 60}s` : `${s}s`;
}

function kbps(bitsPerSecond) {
  return typeof bitsPerSecond === 'number' && bitsPerSecond >= 0 ? `${Math.round(bitsPerSecond / 1000)} kbit/s` : '—';
}

function ms(value) {
  return typeof value === 'number' && value >= 0 ? `${Math.round(value)} ms` : '—';
}

// ---------------------------------------------------------------- views

function show(view) {
  $('auth-section').hidden = view !== 'login';
  $('not-allowed').hidden = view !== 'denied';
  $('console').hidden = view !== 'console';
  const user = auth.user();
  $('signed-in').textContent = user && auth.token() ? `Signed in as ${user.username}` : '';
}

function showLogin(message) {
  stop();
  show('login');
  setStatus('error', 'Signed out');
  renderAuthForm($('auth-section'), {
    title: 'Operators’ console',
    subtitle: message || 'Log in with an account that has the admin role.',
    onDone: () => start(),
  });
}

function showDenied() {
  stop();
  show('denied');
  const user = auth.user();
  $('not-allowed-text').textContent = `This console is for operators with the admin role${user ? `, and ${user.username} does not have it` : ''}. Ask an admin to grant it.`;
  setStatus('error', 'Not allowed');
}

function setStatus(state, text) {
  $('refresh-status').dataset.state = state;
  $('refresh-text').textContent = text;
}

function confirmed(question) {
  return window.confirm(question);
}

async function act(what, call) {
  try {
    await call();
    toast(what, 'info', 3000);
    await refresh();
  } catch (e) {
    if (!handledAuthFailure(e)) toast(`${e.message}`, 'error', 6000);
  }
}

function handledAuthFailure(e) {
  if (!(e instanceof ApiError)) return false;
  if (e.status === 401) { showLogin('Your login has expired. Please log in again.'); return true; }
  if (e.status === 403 && e.code === 'admin_required') { showDenied(); return true; }
  return false;
}

// ---------------------------------------------------------------- nodes and relay legs

function renderNodes(nodes, answeredBy) {
  const token = auth.token();
  $('nodes-body').replaceChildren(...(nodes.length ? nodes.map(n => {
    const load = n.capacity > 0 ? Math.min(100, Math.round(n.sessions / n.capacity * 100)) : 0;
    const bar = el('span', { class: 'load-bar' }, el('span'));
    bar.firstChild.style.width = `${load}%`; // CSSOM, not an inline style attribute (CSP)
    const action = n.draining
      ? el('button', { class: 'btn btn-sm btn-secondary', type: 'button', onclick: () => act(`${n.id} takes sessions again`, () => adminApi.undrain(token, n.id)) }, 'Undrain')
      : el('button', { class: 'btn btn-sm btn-danger', type: 'button', onclick: () => confirmed(`Drain ${n.id}? It takes no new sessions and its ${n.sessions} clients move to other nodes.`) && act(`${n.id} is draining`, () => adminApi.drain(token, n.id)) }, 'Drain');
    return el('tr', { class: n.id === answeredBy ? 'self' : '', dataset: { nodeId: n.id } },
      el('td', { class: 'mono', text: n.id }),
      el('td', { text: n.region }),
      el('td', { class: `health health-${String(n.health).toLowerCase()}`, text: n.health }),
      el('td', {}, bar, `${n.sessions} / ${n.capacity}`),
      el('td', { text: percent(n.cpuLoad) }),
      el('td', { text: `${bytes(n.heapUsedBytes)} / ${bytes(n.heapMaxBytes)}` }),
      el('td', { text: duration(n.uptimeSeconds) }),
      el('td', {}, action),
    );
  }) : [el('tr', {}, el('td', { colspan: 8, class: 'muted', text: 'No live nodes.' }))]));
}

const legRates = new Map(); // "node|peer" -> {at, sent, received}: bitrates come from byte counters

function renderLegs() {
  const rows = [];
  const now = performance.now();
  for (const [nodeId, media] of state.media) {
    for (const leg of media.relayLegs || []) {
      const key = `${nodeId}|${leg.peer}`;
      const last = legRates.get(key);
      const seconds = last ? (now - last.at) / 1000 : 0;
      const out = seconds > 0 ? (leg.bytesSent - last.sent) * 8 / seconds : -1;
      const inn = seconds > 0 ? (leg.bytesReceived - last.received) * 8 / seconds : -1;
      legRates.set(key, { at: now, sent: leg.bytesSent, received: leg.bytesReceived });
      rows.push(el('tr', {},
        el('td', { class: 'mono', text: nodeId }), el('td', { class: 'mono', text: leg.peer }),
        el('td', { text: leg.ready ? `ready · ${leg.streamsOut} out, ${leg.streamsIn} in` : 'connecting' }),
        el('td', { text: kbps(out) }), el('td', { text: kbps(inn) }), el('td', { text: ms(leg.rttMs) }),
        el('td', { text: percent(leg.fractionLostReceived) }), el('td', { text: percent(leg.fractionLostSent) })));
    }
  }
  $('legs-body').replaceChildren(...(rows.length ? rows
    : [el('tr', {}, el('td', { colspan: 8, class: 'muted', text: 'No relay legs: no room spans two nodes.' }))]));
}

// ---------------------------------------------------------------- rooms

function streamsOf(roomId) {
  const streams = [];
  for (const [nodeId, media] of state.media) {
    const room = (media.rooms || []).find(r => r.roomId === roomId);
    if (room) for (const s of room.streams) streams.push({ ...s, nodeId });
  }
  return streams;
}

function publishes(sessionId, streams) {
  const mine = streams.filter(s => s.direction === 'publish' && s.sessionId === sessionId);
  return mine.length ? mine.map(s => `${s.kind} ${s.codec}${s.muted ? ' (muted)' : ''}`).join(', ') : 'nothing';
}

function renderRooms(rooms) {
  const token = auth.token();
  state.names.clear();
  for (const r of rooms) for (const m of r.members) state.names.set(m.sessionId, m.displayName);
  const live = new Set(rooms.map(r => r.roomId));
  for (const [roomId, charts] of state.charts) if (!live.has(roomId)) { charts.destroy(); state.charts.delete(roomId); }

  const container = $('rooms');
  if (!rooms.length) {
    container.replaceChildren(el('div', { class: 'card muted', text: 'No live rooms.' }));
    return;
  }
  const cards = rooms.map(r => {
    const streams = streamsOf(r.roomId);
    const members = r.members.map(m => el('tr', { dataset: { sessionId: m.sessionId } },
      el('td', { text: m.displayName }),
      el('td', { class: 'mono', text: m.nodeId }),
      el('td', { text: publishes(m.sessionId, streams) }),
      el('td', {}, el('button', { class: 'btn btn-sm btn-secondary', type: 'button',
        onclick: () => confirmed(`Remove ${m.displayName} from this room?`) && act(`${m.displayName} was removed`, () => adminApi.kick(token, m.sessionId)) }, 'Remove'))));
    let charts = state.charts.get(r.roomId);
    if (!charts) { charts = new QualityCharts(); state.charts.set(r.roomId, charts); }
    charts.update(streams, state.names);
    return el('section', { class: 'card room-card', dataset: { roomId: r.roomId } },
      el('div', { class: 'card-head' },
        el('h3', {}, r.name || r.roomId, ' ', el('span', { class: 'muted small mono', text: r.roomId })),
        el('button', { class: 'btn btn-sm btn-danger', type: 'button',
          onclick: () => confirmed(`Close “${r.name || r.roomId}” for its ${r.members.length} members?`) && act('Room closed', () => adminApi.closeRoom(token, r.roomId)) }, 'Close room')),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: 'Member' }), el('th', { text: 'Node' }),
        el('th', { text: 'Publishes' }), el('th'))), el('tbody', {}, members)),
      charts.element);
  });
  container.replaceChildren(...cards);
}

// ---------------------------------------------------------------- admins and audit

function renderAdmins(admins) {
  $('admins').replaceChildren(...admins.map(u => el('li', {}, el('strong', { text: u.username }),
    u.displayName && u.displayName !== u.username ? el('span', { class: 'muted', text: ` ${u.displayName}` }) : null)));
}

function renderAudit(entries) {
  $('audit-body').replaceChildren(...(entries.length ? entries.map(e => el('tr', {},
    el('td', { class: 'nowrap', text: new Date(e.at).toLocaleString() }), el('td', { text: e.actor }),
    el('td', { text: e.action }), el('td', { class: 'mono', text: e.target }), el('td', { text: e.detail })))
    : [el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'Nothing yet.' }))]));
}

// ---------------------------------------------------------------- refresh loop

/** Each node's own media figures, asked of the node itself; a node this browser cannot reach is skipped. */
async function refreshMedia(token, nodes, errors) {
  const answers = await Promise.all(nodes.map(n => adminApi.media(token, n.httpUrl)
    .catch(e => { errors.push(`${n.id}: ${e.message}`); return null; })));
  state.media.clear();
  answers.forEach((answer, i) => { if (answer) state.media.set(nodes[i].id, answer); });
}

async function refresh() {
  const token = auth.token();
  const errors = [];
  const { nodes, answeredBy } = await adminApi.nodes(token); // a 401/403 here decides the view
  show('console');
  state.nodes = nodes;
  renderNodes(nodes, answeredBy);
  const [rooms, admins, audit] = await Promise.all([adminApi.rooms(token), adminApi.admins(token),
    adminApi.audit(token), refreshMedia(token, nodes, errors)]);
  renderLegs();
  renderRooms(rooms);
  renderAdmins(admins);
  renderAudit(audit);
  $('admin-error').textContent = errors.length ? `Some nodes did not answer: ${errors.join('; ')}` : '';
  $('admin-error').hidden = errors.length === 0;
  setStatus(errors.length ? 'reconnecting' : 'connected', `Updated ${new Date().toLocaleTimeString()}`);
}

async function loop() {
  try {
    await refresh();
  } catch (e) {
    if (handledAuthFailure(e)) return;
    $('admin-error').textContent = e.message;
    $('admin-error').hidden = false;
    setStatus('error', 'Problem');
  }
  state.timer = setTimeout(loop, REFRESH_MS);
}

function stop() {
  clearTimeout(state.timer);
  state.timer = null;
}

function start() {
  stop();
  if (!auth.token()) { showLogin(); return; }
  loop();
}

$('role-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const username = $('role-username').value.trim();
  const role = ev.submitter ? ev.submitter.value : 'admin';
  if (!username) return;
  act(role === 'admin' ? `${username} is an admin` : `${username} is no longer an admin`,
    () => adminApi.setRole(auth.token(), username, role));
});
$('switch-user').addEventListener('click', () => { auth.clear(); showLogin(); });

start();
