// A load-generator process holding benchmark subscribers (independent werift peers, each with its
// own signalling connection, ICE agent, DTLS and SRTP). Driven by bench.mjs over IPC:
//   {cmd:"add", server, ids, ip, subscriber:"light"|"werift" (the default), sample, visage:{base,setup} | janus:{url,room,feed}}
//   {cmd:"window-start", startId}   {cmd:"window-end"}   {cmd:"report", endId}
//   {cmd:"stats"}   {cmd:"close"}
//   {cmd:"join", id, server, ...}: one subscriber, timed; answers {ev:"join-done", id, marks|error},
//   marks = ms from the start to each step (session, hello, joined, offer, connected: ICE and DTLS up,
//   media: first packet received)
// Two kinds of subscriber:
// - light (the default for the load benchmark): werift does ICE and DTLS-SRTP, then lib/werift-internals
//   takes the RTP/RTCP datagrams off its socket; they are counted from their clear headers (loss
//   from sequence gaps, lib/rtp-counter) and only packets whose sequence number is a multiple of
//   `sample` are decrypted, for the payload trailer's send time (latency). It sends a receiver
//   report per second, as a browser would; it sends no NACK or PLI.
// - werift: werift does everything per packet (decrypt, parse, events, NACK, its receiver
//   reports); every packet's trailer id is checked.
import { makePc, waitFor } from './lib/peer.mjs';
import { readStamp } from './lib/media.mjs';
import { visageSubscribe } from './lib/visage.mjs';
import { janusSubscribe } from './lib/janus.mjs';
import { tapMedia } from './lib/werift-internals.mjs';
import { RtpCounter } from './lib/rtp-counter.mjs';

const BINS = 50000; // 0.1 ms latency bins up to 5 s
const subs = new Map();
const win = { active: false, startId: 0, received: 0, sampled: 0, hist: new Uint32Array(BINS), t0: 0n, t1: 0n };
// Every werift subscriber notes each packet id it receives, window or not, in a ring of the last
// 65536 ids (~7 min at 150 pkt/s): a packet that overtakes the window-start message still counts for its id.
const RING = 1 << 16;
const RR_INTERVAL_MS = 1000;
const send = (m) => process.send && process.send(m);

function noteLatency(sendTimeNs) {
  const lat = Number(process.hrtime.bigint() - sendTimeNs) / 1e6;
  win.hist[Math.min(BINS - 1, Math.max(0, Math.floor(lat * 10)))]++;
}

function markReady(sub) {
  sub.ready = true;
  send({ ev: 'ready', id: sub.id });
  if (sub.onFirstPacket) sub.onFirstPacket();
}

function onPacket(sub, rtp) {
  const st = readStamp(rtp.payload);
  if (!st) return;
  sub.total++;
  if (!sub.ready) markReady(sub);
  if (win.active) {
    win.received++;
    noteLatency(st[1]);
  }
  sub.seen[st[0] & (RING - 1)] = st[0] + 1;
}

/** A light subscriber's SRTP or SRTCP datagram, straight from its socket. */
function onDatagram(sub, data) {
  const seq = sub.counter.add(data);
  if (seq < 0) return;
  sub.total++;
  if (!sub.ready) markReady(sub);
  if (win.active) win.received++;
  if (seq % sub.sample !== 0) return;
  const clear = sub.tap.decrypt(data);
  if (!clear) { sub.undecryptable++; return; }
  const end = clear[0] & 0x20 ? clear.length - clear[clear.length - 1] : clear.length; // RTP padding
  const st = readStamp(clear.subarray(0, end));
  if (st && win.active) { win.sampled++; noteLatency(st[1]); }
}

setInterval(() => {
  for (const s of subs.values()) if (s.counter && s.ready) s.tap.sendReceiverReport(s.rrSsrc, s.counter.reportBlocks());
}, RR_INTERVAL_MS).unref();

async function addOne(id, msg, mark) {
  const pc = makePc(msg.ip);
  const sub = { id, pc, total: 0, ready: false, counted: false, sig: null, onFirstPacket: null };
  if (mark) sub.onFirstPacket = () => mark('media');
  subs.set(id, sub);
  if (msg.subscriber === 'light') {
    // a sample interval over 64 could let the SRTP rollover counter miss a wrap (werift allows 100)
    Object.assign(sub, { counter: new RtpCounter(), sample: Math.min(64, Math.max(1, msg.sample || 16)), undecryptable: 0, rrSsrc: (Math.random() * 0xffffffff) >>> 0 });
    sub.tap = tapMedia(pc, (data) => onDatagram(sub, data));
  } else {
    sub.seen = new Uint32Array(RING);
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => onPacket(sub, rtp)));
  }
  pc.connectionStateChange.subscribe((s) => {
    if (s === 'connected' && mark) mark('connected');
    if (s === 'failed') send({ ev: 'failed', id, error: 'connection failed' });
  });
  try {
    if (msg.server === 'visage') sub.sig = await visageSubscribe(msg.visage.base, msg.visage.setup, pc, mark);
    else sub.sig = await janusSubscribe(msg.janus.url, msg.janus.room, msg.janus.feed, pc, mark);
    return true;
  } catch (e) {
    send({ ev: 'failed', id, error: String(e.message || e) });
    return false;
  }
}

/** One timed subscriber: answers once its first media packet arrives, or it failed, or 60 s passed. */
async function joinTimed(msg) {
  const t0 = performance.now();
  const marks = {};
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const mark = (step) => {
    if (!(step in marks)) marks[step] = performance.now() - t0;
    if (step === 'media') done();
  };
  const timer = setTimeout(done, 60000);
  if (!(await addOne(msg.id, msg, mark))) done();
  await finished;
  clearTimeout(timer);
  send({ ev: 'join-done', id: msg.id, marks, ...('media' in marks ? {} : { error: 'no media within 60 s' }) });
}

process.on('message', async (msg) => {
  switch (msg.cmd) {
    case 'add': {
      // a few at a time, so DTLS handshakes do not pile up on the event loop
      const queue = [...msg.ids];
      // a lane waits for its peer's DTLS (Visage's signalling answers before the handshake): a
      // burst of 200 concurrent handshakes timed out on the server
      const lanes = Array.from({ length: Math.min(4, queue.length) }, async () => {
        while (queue.length) {
          const id = queue.shift();
          if (await addOne(id, msg)) {
            const { pc } = subs.get(id);
            await waitFor(() => pc.connectionState === 'connected' || pc.connectionState === 'failed', 30000, 'connected').catch(() => {});
          }
        }
      });
      await Promise.all(lanes);
      send({ ev: 'added', ids: msg.ids });
      break;
    }
    case 'join':
      joinTimed(msg);
      break;
    case 'window-start':
      win.startId = msg.startId; win.received = 0; win.sampled = 0; win.hist.fill(0);
      for (const s of subs.values()) {
        s.counted = s.ready;
        if (s.counted && s.counter) s.counter.mark();
      }
      win.t0 = process.hrtime.bigint(); win.active = true;
      win.cpu0 = process.cpuUsage();
      break;
    case 'window-end':
      win.active = false; win.t1 = process.hrtime.bigint();
      win.cpu = process.cpuUsage(win.cpu0);
      break;
    case 'report': {
      const n = msg.endId - win.startId;
      let unique = 0, counted = 0, expected = 0, bytes = 0, undecryptable = 0;
      const srtpProfiles = {};
      const missedBy = new Map(); // packet id -> how many of this worker's subscribers never got it
      for (const s of subs.values()) {
        if (!s.counted) continue;
        counted++;
        s.counted = false;
        if (s.counter) {
          // light: distinct = received (it asks for no resends), expected from sequence numbers
          const w = s.counter.sinceMark();
          unique += w.received; expected += w.expected; bytes += w.bytes; undecryptable += s.undecryptable;
          const profile = s.tap.srtpProfile() || 'unknown';
          srtpProfiles[profile] = (srtpProfiles[profile] || 0) + 1;
          continue;
        }
        expected += n;
        for (let id = win.startId; id < win.startId + Math.min(n, RING); id++) {
          if (s.seen[id & (RING - 1)] === id + 1) unique++;
          else missedBy.set(id, (missedBy.get(id) || 0) + 1);
        }
      }
      send({ ev: 'report', received: win.received, unique, expected, bytes, srtpProfiles, counted, sampled: win.sampled, undecryptable, hist: Array.from(win.hist), cpuMs: (win.cpu.user + win.cpu.system) / 1000,
        missed: [...missedBy.entries()].slice(0, 50) });
      break;
    }
    case 'stats': {
      let total = 0, ready = 0;
      const states = {}; // peer connection state of those without media yet
      for (const s of subs.values()) {
        total += s.total;
        if (s.ready) ready++;
        else states[s.pc.connectionState] = (states[s.pc.connectionState] || 0) + 1;
      }
      send({ ev: 'stats', total, ready, count: subs.size, states });
      break;
    }
    case 'close':
      for (const s of subs.values()) {
        try { s.sig && s.sig.close(); } catch { /* ignore */ }
        try { await s.pc.close(); } catch { /* ignore */ }
      }
      subs.clear();
      send({ ev: 'closed' });
      break;
    case 'exit':
      process.exit(0);
  }
});
process.on('uncaughtException', (e) => console.error('[worker] error:', e.message)); // one peer's socket error must not end the others
send({ ev: 'up' });
