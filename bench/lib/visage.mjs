// Visage signalling for benchmark peers: the README's join flow (session -> socket -> hello ->
// {type:"join", roomId} -> joined), as the web client does it, and the SFU protocol of SfuEndpoint's class comment
// (publish offer/answer; media-ready; tracks + subscribe offer -> answer).
import WebSocket from 'ws';
import { gathered } from './peer.mjs';

export async function api(base, path, { method = 'GET', token, body } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : {}; } catch { json = { raw: text }; }
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text.slice(0, 200)}`);
  return json;
}

/** One user and one room for the whole run; every peer is its own session (socket). */
export async function visageSetup(base) {
  const username = 'bench' + Math.floor(Math.random() * 1e9).toString(36);
  const password = 'bench-password-' + Math.random().toString(36).slice(2);
  await api(base, '/api/users', { method: 'POST', body: { username, password, displayName: 'bench' } });
  const { userToken } = await api(base, '/api/login', { method: 'POST', body: { username, password } });
  const room = await api(base, '/api/rooms', { method: 'POST', token: userToken, body: { name: 'bench' } });
  return { userToken, roomId: room.roomId };
}

class Socket {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.queue = [];
    this.waiters = [];
    this.handlers = [];
    this.closed = false;
    this.ws.on('message', (d) => {
      let m;
      try { m = JSON.parse(d.toString()); } catch { return; }
      for (const h of this.handlers) h(m);
      const i = this.waiters.findIndex((w) => w.pred(m));
      if (i >= 0) { const [w] = this.waiters.splice(i, 1); clearTimeout(w.t); w.resolve(m); } else this.queue.push(m);
      if (this.queue.length > 200) this.queue.splice(0, 100);
    });
    this.ws.on('close', () => { this.closed = true; for (const w of this.waiters) { clearTimeout(w.t); w.reject(new Error('socket closed')); } this.waiters = []; });
    this.ws.on('error', () => {});
    this.ping = setInterval(() => this.send({ type: 'ping' }), 15000);
  }
  open() {
    return new Promise((resolve, reject) => { this.ws.once('open', resolve); this.ws.once('error', reject); });
  }
  send(m) { if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m)); }
  next(pred, ms = 20000, what = 'message') {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, reject, t: setTimeout(() => { this.waiters.splice(this.waiters.indexOf(w), 1); reject(new Error(`timeout waiting for ${what}`)); }, ms) };
      this.waiters.push(w);
    });
  }
  close() { clearInterval(this.ping); try { this.ws.close(); } catch { /* gone */ } }
}

/**
 * A new session of the user in the room: its socket, joined. mark(step) is called as each step of
 * the join flow completes: session, hello, joined (and offer, by subscribeOn).
 */
export async function joinRoom(base, userToken, roomId, mark = () => {}) {
  const s = await api(base, '/api/sessions', { method: 'POST', token: userToken });
  mark('session');
  const sock = new Socket(`${s.node.wsUrl}?token=${encodeURIComponent(s.sessionToken)}`);
  await sock.open();
  await sock.next((m) => m.type === 'hello', 20000, 'hello');
  mark('hello');
  sock.send({ type: 'join', roomId });
  const joined = await sock.next((m) => m.type === 'joined' || m.type === 'error', 20000, 'joined');
  if (joined.type === 'error') throw new Error(`join: ${joined.code} ${joined.message}`);
  mark('joined');
  sock.handlers.push((m) => { if (m.type === 'error') console.error('[visage] server error:', m.code, m.message); });
  return sock;
}

export async function visagePublish(base, setup, pc, offerSdp) {
  const sock = await joinRoom(base, setup.userToken, setup.roomId);
  await publishOn(sock, pc, offerSdp);
  return { close: () => sock.close() };
}

/** Publishes pc's tracks on a joined socket: offer (as offerSdp() rewrites it, if given), answer. */
export async function publishOn(sock, pc, offerSdp = () => pc.localDescription.sdp) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  sock.send({ type: 'offer', pc: 'publish', sdp: offerSdp() });
  const ans = await sock.next((m) => m.type === 'answer' && m.pc === 'publish', 20000, 'publish answer');
  await pc.setRemoteDescription({ type: 'answer', sdp: ans.sdp });
}

export async function visageSubscribe(base, setup, pc, mark) {
  const sock = await joinRoom(base, setup.userToken, setup.roomId, mark);
  subscribeOn(sock, pc, mark);
  return { close: () => sock.close() };
}

/** Receives the room's tracks on pc: answers every subscribe offer the node sends on the socket. */
export function subscribeOn(sock, pc, mark) {
  let chain = Promise.resolve();
  sock.handlers.push((m) => {
    if (m.type === 'offer' && m.pc === 'subscribe') {
      if (mark) mark('offer');
      chain = chain.then(async () => {
        await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await gathered(pc);
        sock.send({ type: 'answer', pc: 'subscribe', sdp: pc.localDescription.sdp });
      }).catch((e) => console.error('[visage] subscribe negotiation failed:', e.message));
    }
  });
  sock.send({ type: 'media-ready' });
}
