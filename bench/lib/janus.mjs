// Janus VideoRoom signalling over the WebSocket transport (subprotocol janus-protocol): one Janus
// session per peer, like independent browsers. Publisher: create room, join as publisher,
// configure with the offer. Subscriber: join as subscriber to the publisher's feed, answer the
// offer with "start".
import WebSocket from 'ws';
import { gathered } from './peer.mjs';

const rnd = () => Math.random().toString(36).slice(2, 12);

class JanusSession {
  constructor(url) {
    this.ws = new WebSocket(url, 'janus-protocol');
    this.tx = new Map();
    this.onEvent = () => {};
    this.ws.on('message', (d) => {
      let m;
      try { m = JSON.parse(d.toString()); } catch { return; }
      if (m.janus === 'ack') return;
      const p = m.transaction && this.tx.get(m.transaction);
      if (p) { this.tx.delete(m.transaction); clearTimeout(p.t); p.resolve(m); return; }
      this.onEvent(m);
    });
    this.ws.on('close', () => { for (const p of this.tx.values()) { clearTimeout(p.t); p.reject(new Error('janus socket closed')); } this.tx.clear(); });
    this.ws.on('error', () => {});
  }
  open() { return new Promise((resolve, reject) => { this.ws.once('open', resolve); this.ws.once('error', reject); }); }
  request(body, ms = 20000) {
    const transaction = rnd();
    const msg = { ...body, transaction };
    if (this.sessionId && !msg.session_id) msg.session_id = this.sessionId;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.tx.delete(transaction); reject(new Error(`janus ${body.janus} timed out`)); }, ms);
      this.tx.set(transaction, { resolve: (m) => (m.janus === 'error' ? reject(new Error(`janus error ${m.error?.code} ${m.error?.reason}`)) : resolve(m)), reject, t });
      this.ws.send(JSON.stringify(msg));
    });
  }
  async start() {
    await this.open();
    const c = await this.request({ janus: 'create' });
    this.sessionId = c.data.id;
    this.keepalive = setInterval(() => { this.request({ janus: 'keepalive' }).catch(() => {}); }, 20000);
    const a = await this.request({ janus: 'attach', plugin: 'janus.plugin.videoroom' });
    this.handleId = a.data.id;
    return this;
  }
  message(body, jsep) {
    return this.request({ janus: 'message', handle_id: this.handleId, body, ...(jsep ? { jsep } : {}) }).then((m) => {
      const data = m.plugindata?.data;
      if (data?.error) throw new Error(`videoroom: ${data.error_code} ${data.error}`);
      return m;
    });
  }
  // Janus answers a trickle with an ack only: fire and forget
  trickleDone() { this.ws.send(JSON.stringify({ janus: 'trickle', session_id: this.sessionId, handle_id: this.handleId, candidate: { completed: true }, transaction: rnd() })); }
  close() { clearInterval(this.keepalive); try { this.ws.send(JSON.stringify({ janus: 'destroy', session_id: this.sessionId, transaction: rnd() })); } catch { /* gone */ } setTimeout(() => { try { this.ws.close(); } catch { /* gone */ } }, 200); }
}

function remoteCandidates(pc, s) {
  s.onEvent = (m) => {
    if (m.janus === 'trickle' && m.candidate && !m.candidate.completed) pc.addIceCandidate(m.candidate).catch(() => {});
  };
}

/** offerSdp(), if given, rewrites the offer Janus gets. */
export async function janusPublish(url, room, pc, offerSdp = () => pc.localDescription.sdp) {
  const s = await new JanusSession(url).start();
  remoteCandidates(pc, s);
  const exists = await s.message({ request: 'exists', room });
  if (!exists.plugindata.data.exists) {
    await s.message({ request: 'create', room, publishers: 1, bitrate: 0, fir_freq: 0, audiocodec: 'opus', videocodec: 'vp8', notify_joining: false, description: 'bench' });
  }
  const joined = await s.message({ request: 'join', ptype: 'publisher', room, display: 'publisher' });
  const feed = joined.plugindata.data.id;
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const conf = await s.message({ request: 'configure', audio: true, video: true }, { type: 'offer', sdp: offerSdp() });
  if (!conf.jsep) throw new Error('janus configure: no answer');
  await pc.setRemoteDescription(conf.jsep);
  await s.trickleDone();
  return { feed, close: () => s.close() };
}

/** mark(step) is called as each step completes: session (created and attached), joined (the join's answer carries the offer). */
export async function janusSubscribe(url, room, feed, pc, mark = () => {}) {
  const s = await new JanusSession(url).start();
  mark('session');
  remoteCandidates(pc, s);
  const att = await s.message({ request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
  if (!att.jsep) throw new Error('janus subscribe: no offer');
  mark('joined');
  await pc.setRemoteDescription(att.jsep);
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  await s.message({ request: 'start' }, { type: 'answer', sdp: pc.localDescription.sdp });
  await s.trickleDone();
  return { close: () => s.close() };
}
