// Visage vs Janus VideoRoom on the same load: one werift publisher (VP8 ~30 fps + Opus 50 pps)
// and N subscribers, N stepping up (100, 200, 400, 500 by default) on one server at a time until
// the server saturates (loss over --max-loss % or CPU at --max-cpu % of a core). Subscribers are
// light by default (werift ICE + DTLS-SRTP, then counted from clear headers; worker.mjs), or full
// werift peers with --subscriber werift. At Visage's top level a JFR profile of the node is
// recorded (after the window, same load) and its hot methods go into the results.
// Runs inside the network namespace bench/run.sh creates. Usage (normally via ./visage bench):
//   node bench.mjs [--subscribers 100,200,400,500] [--seconds 20] [--warmup 5] [--first-warmup 120]
//                  [--settle 60] [--idle 10] [--servers visage,janus] [--subscriber light|werift]
//                  [--sample 16] [--max-loss 0.1] [--max-cpu 95] [--profile 20] [--simulcast 200]
//                  [--workers 2] [--ip 10.203.0.1] [--iface bv0] [--ivf media/vp8-360p.ivf] [--out results/latest.md]
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir, cpus, hostname } from 'node:os';
import { join, dirname, basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadVp8Frames } from './lib/media.mjs';
import { startPublishing } from './lib/publisher.mjs';
import { startVisage, startJanusServer } from './lib/servers.mjs';
import { parseArgs } from './lib/figures.mjs';
import { log, sleep, progress, endProgress } from './lib/console.mjs';
import { recordProfile, hotMethods } from './lib/profile.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const args = parseArgs(process.argv.slice(2));
// run.sh runs this in bench/: a relative path the caller gave is the caller's
const fromCaller = (p) => resolve(process.env.BENCH_CALLER_DIR || process.cwd(), p);
const LEVELS = String(args.subscribers || '100,200,400,500').split(',').map((s) => parseInt(s, 10)).filter((n) => n > 0).sort((a, b) => a - b);
const SECONDS = +(args.seconds || 20);
const WARMUP = +(args.warmup || 5);
// Steady state, not start-up, is compared: a JVM keeps compiling for a minute or two after it
// starts and again once peers exercise new code (per-thread CPU of the node at N=10, measured
// here: the JIT compiler threads took 8 % of a core 0-30 s after the peers joined, ~1 % at
// 95-130 s), so each server settles before its idle baseline and its first level warms up 2 min.
// Janus gets the same waits.
const FIRST_WARMUP = Math.max(WARMUP, +(args['first-warmup'] || 120));
const SETTLE = +(args.settle ?? 60);
const IDLE = +(args.idle || 10);
const SERVERS = String(args.servers || 'visage,janus').split(',');
const IP = args.ip || '10.203.0.1';
const IFACE = args.iface || 'bv0';
const WORKERS = Math.max(1, +(args.workers || 2));
const IVF = args.ivf ? fromCaller(args.ivf) : join(HERE, 'media', 'vp8-360p.ivf');
const OUT = args.out ? fromCaller(args.out) : join(HERE, 'results', 'latest.md');
const SUBSCRIBER = args.subscriber === 'werift' ? 'werift' : 'light';
const SAMPLE = Math.max(1, +(args.sample || 16)); // light subscribers decrypt 1 packet in SAMPLE
// a level at which the server loses more than MAX_LOSS % or uses MAX_CPU % of a core is its last
const MAX_LOSS = +(args['max-loss'] ?? 0.1);
const MAX_CPU = +(args['max-cpu'] ?? 95);
const PROFILE_SECONDS = +(args.profile ?? 20); // 0: no JFR profile
const SIMULCAST = +(args.simulcast ?? 200); // subscribers of the simulcast publisher case; 0: no such case
// The forwarding floor measured by run.sh before this run (ForwardingFloor): CPU µs of one SRTP
// protect + one UDP send per packet, in the publisher's packet mix, for AES-CM + HMAC-SHA1-80 and
// for AEAD-AES-128-GCM; NaN if it was not measured.
const FLOOR = (() => {
  try {
    const f = JSON.parse(readFileSync(args.floor ? fromCaller(args.floor) : join(HERE, 'results', 'floor-latest.json'), 'utf8'));
    return { cm: f.mixNsPerPacket / 1000, gcm: (f.gcmMixNsPerPacket ?? NaN) / 1000 };
  } catch { return { cm: NaN, gcm: NaN }; }
})();
/** A row's floor: the one of the SRTP profile the server chose with most of its subscribers. */
function floorOf(r) {
  const profiles = Object.entries(r?.srtpProfiles || {}).sort((a, b) => b[1] - a[1]);
  return profiles[0]?.[0] === 'AEAD_AES_128_GCM' ? FLOOR.gcm : FLOOR.cm;
}
const RUNDIR = mkdtempSync(join(tmpdir(), 'visage-bench-'));
const PROFILE_FILE = join(dirname(OUT), 'visage-top.jfr');
const CLK_TCK = 100;


// namespace-wide UDP counters: receive-buffer overflows show drops at a socket (server or peer)
function udpCounters() {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const k = lines[0].split(/\s+/), v = lines[1].split(/\s+/);
  const o = {};
  k.forEach((name, i) => { if (i) o[name] = +v[i]; });
  return o;
}

// per-socket drop counters (/proc/net/udp "drops"): the servers' media sockets are on 10000-20000
// (Visage 10000, Janus rtp_port_range 10001-20000); werift peers get ephemeral ports (>= 32768)
function udpDrops() {
  let peers = 0, servers = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const port = parseInt(f[1].split(':')[1], 16), drops = +f[f.length - 1];
    if (port >= 10000 && port <= 20000) servers += drops; else peers += drops;
  }
  return { peers, servers };
}

// machine-wide busy CPU (all processes, in clock ticks): to see what else ran during a window
function machineBusyTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7]; // user nice system irq softirq steal
}

function cpuTicks(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return +f[11] + +f[12]; // utime + stime (fields 14, 15)
}

// per-thread CPU of the server (/proc/<pid>/task/*/stat): its busiest thread shows whether one
// core is saturated (Visage's fan-out runs on the one thread that reads the media port)
function threadTicks(pid) {
  const m = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      m.set(tid, { name: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ticks: +f[11] + +f[12] });
    } catch { /* the thread ended */ }
  }
  return m;
}

function busiestThread(before, after, secs) {
  let best = { name: 'n/a', pct: NaN };
  for (const [tid, t] of after) {
    const pct = (100 * (t.ticks - (before.get(tid)?.ticks ?? 0))) / CLK_TCK / secs;
    if (!(pct <= best.pct)) best = { name: t.name, pct };
  }
  return best;
}

// ------------------------------------------------------------------ workers (subscribers)
const workers = [];
function startWorkers() {
  for (let i = 0; i < WORKERS; i++) {
    const w = fork(join(HERE, 'worker.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    w.waiters = [];
    w.on('message', (m) => {
      if (m.ev === 'ready') readySubs.add(m.id);
      if (m.ev === 'failed') { failedSubs.set(m.id, m.error); }
      const i = w.waiters.findIndex((x) => x.ev === m.ev);
      if (i >= 0) w.waiters.splice(i, 1)[0].resolve(m);
    });
    workers.push(w);
  }
}
const readySubs = new Set();
const failedSubs = new Map();
function ask(w, msg, ev) {
  return new Promise((resolve) => { w.waiters.push({ ev, resolve }); w.send(msg); });
}

const media = loadVp8Frames(IVF);
// the simulcast publisher's layers (rids q, h, f as the web client names them), when run.sh made the clips
const simulcastMedia = (() => {
  const clips = [['q', 'vp8-180p.ivf'], ['h', 'vp8-360p.ivf'], ['f', 'vp8-720p.ivf']].map(([rid, f]) => [rid, join(dirname(IVF), f)]);
  if (!clips.every(([, f]) => existsSync(f))) return null;
  const layers = clips.map(([rid, f]) => ({ rid, frames: loadVp8Frames(f).frames }));
  return { frames: layers[1].frames, layers, source: `simulcast q/h/f: ${clips.map(([, f]) => basename(f)).join(', ')}` };
})();

// ------------------------------------------------------------------ one server, all levels
/** Adds subscribers `from`..`to`-1 (ids `prefix`-i) spread over the workers; waits until they receive media. */
async function addSubscribers(server, target, prefix, from, to, label) {
  const ids = [];
  for (let i = from; i < to; i++) ids.push(`${prefix}-${i}`);
  const perWorker = workers.map(() => []);
  ids.forEach((id, i) => perWorker[(from + i) % workers.length].push(id));
  const t0 = Date.now();
  const added = Promise.all(workers.map((w, i) => (perWorker[i].length ? ask(w, { cmd: 'add', ids: perWorker[i], ...target }, 'added') : null)));
  let done = false;
  added.then(() => { done = true; });
  // waits while subscribers keep getting media; 45 s without one more ends the wait
  let lastProgress = Date.now(), seen = 0;
  while (readySubs.size + failedSubs.size < to && Date.now() - lastProgress < 45000) {
    if (readySubs.size + failedSubs.size > seen) { seen = readySubs.size + failedSubs.size; lastProgress = Date.now(); }
    progress(`${label}: subscribers receiving media ${readySubs.size}/${to}${failedSubs.size ? `, failed ${failedSubs.size}` : ''} (${Math.round((Date.now() - t0) / 1000)}s)`);
    await sleep(500);
  }
  await Promise.race([added, sleep(5000)]);
  endProgress();
  log(`${label}: ${readySubs.size}/${to} subscribers receiving media after ${Math.round((Date.now() - t0) / 1000)} s`);
  if (failedSubs.size) log(`${server.name}: ${failedSubs.size} subscribers failed, e.g. ${[...failedSubs.values()][0]}`);
  if (readySubs.size < to) {
    const st = await Promise.all(workers.map((w) => ask(w, { cmd: 'stats' }, 'stats')));
    const states = {};
    for (const s of st) for (const [k, v] of Object.entries(s.states)) states[k] = (states[k] || 0) + v;
    log(`${server.name}: only ${readySubs.size}/${to} subscribers receive media (the others' connection states: ${JSON.stringify(states)}); measuring those`);
  }
  if (!done) log('(some subscriber set-ups were still pending)');
}

/**
 * A publisher connected and sending, checked on Visage's counters: if the node took no RTP from it
 * in 3 s it is started once more (a werift peer whose consent to send expired goes mute: see
 * lib/werift-internals.mjs). Janus has no counters here.
 */
async function publish(server, kind, m, room) {
  for (let attempt = 1; ; attempt++) {
    const { pub, target } = await startPublishing(server, kind, IP, m, room);
    // werift stops sending media once its consent to send expires (lib/werift-internals.mjs)
    pub.pc.iceConnectionStateChange.subscribe((s) => { if (s === 'failed' || s === 'disconnected') log(`${server.name}: the publisher's ICE is ${s}`); });
    log(`${server.name}: publisher connected and sending (${m.source}) from port ${pub.localPort()}`);
    const c0 = await server.counters(), sent0 = pub.sent;
    await sleep(3000);
    const c1 = await server.counters();
    if (c0.visage_sfu_rtp_received_total === undefined) return { pub, target };
    const got = c1.visage_sfu_rtp_received_total - c0.visage_sfu_rtp_received_total;
    log(`${server.name}: took ${got} RTP packets in 3 s (the publisher sent ${pub.sent - sent0}${pub.sendErrors ? `, ${pub.sendErrors} send errors` : ''})`);
    if (got > 0 || attempt === 2) return { pub, target };
    log(`${server.name}: no RTP from the publisher; starting it once more`);
    await pub.close();
  }
}

/** Warm-up, window, one row. */
async function level(server, pub, n, warmup, label) {
  for (let s = warmup; s > 0; s--) { progress(`${label}: warm-up ${s}s`); await sleep(1000); }
  endProgress();
  const r = { ...(await measure(server, pub, n)), idleCpuPct: server.idleCpuPct };
  log(`${label}: ${fmt(r.cpuUsPerPkt, 2)} µs CPU/pkt, ${fmt(r.pps, 0)} pkt/s, server CPU ${fmt(r.cpuPct, 0)}% of a core (busiest thread ${fmt(r.busiestThreadPct, 0)}%: ${r.busiestThread}), load generator ${fmt(r.loadgenCpuPct, 0)}%, loss ${fmt(r.lossPct, 3)}%, latency p50 ${fmt(r.p50, 2)} ms p95 ${fmt(r.p95, 2)} ms, ${fmt(r.kbpsPerSubscriber, 0)} kbit/s per subscriber`);
  if (r.udpRcvbufErrors || r.udpSndbufErrors) log(`UDP socket buffer overflows in the namespace during the window: receive ${r.udpRcvbufErrors} (at load-generator sockets ${r.socketDropsAtPeers}, at server sockets ${r.socketDropsAtServer}), send ${r.udpSndbufErrors}`);
  return r;
}

async function closeAll(server, pub) {
  progress(`${server.name}: closing peers`);
  await Promise.all(workers.map((w) => ask(w, { cmd: 'close' }, 'closed')));
  await pub.close();
  readySubs.clear(); failedSubs.clear();
  // the next case starts on a quiet node: wait until it has let go of every transport (its
  // counters; Janus has none here)
  const t0 = Date.now();
  let left;
  while ((left = (await server.counters()).visage_sfu_endpoints) > 0 && Date.now() - t0 < 30000) {
    progress(`${server.name}: closing peers, ${left} endpoints left on the node`);
    await sleep(500);
  }
  endProgress();
  if (left > 0) log(`${server.name}: ${left} endpoints still open 30 s after the peers closed`);
}

async function runServer(kind) {
  const server = kind === 'visage' ? await startVisage({ root: ROOT, runDir: RUNDIR, ip: IP }) : await startJanusServer({ runDir: RUNDIR, ip: IP, iface: IFACE });
  const rows = [];
  for (let i = SETTLE; i > 0; i--) { progress(`${server.name}: settling after start-up ${i}s`); await sleep(1000); }
  {
    const c0 = cpuTicks(server.pid), t0 = Date.now();
    for (let i = IDLE; i > 0; i--) { progress(`${server.name}: idle CPU baseline ${i}s`); await sleep(1000); }
    server.idleCpuPct = (100 * (cpuTicks(server.pid) - c0)) / CLK_TCK / ((Date.now() - t0) / 1000);
    endProgress();
    log(`${server.name}: idle CPU ${fmt(server.idleCpuPct, 1)}% of a core (no peers)`);
  }
  let pub = null;
  try {
    let where;
    ({ pub, target: where } = await publish(server, kind, media, 4242));
    readySubs.clear(); failedSubs.clear();
    let have = 0;
    for (const n of LEVELS) {
      const label = `${server.name} N=${n}`;
      await addSubscribers(server, { ...where, subscriber: SUBSCRIBER, sample: SAMPLE }, kind, have, n, label);
      have = n;
      const r = await level(server, pub, n, n === LEVELS[0] ? FIRST_WARMUP : WARMUP, label);
      rows.push(r);
      const last = n === LEVELS[LEVELS.length - 1];
      r.saturated = r.lossPct > MAX_LOSS || r.cpuPct >= MAX_CPU;
      if (r.saturated) log(`${server.name}: saturated at N=${n} (loss ${fmt(r.lossPct, 3)}% > ${MAX_LOSS}% or CPU ${fmt(r.cpuPct, 0)}% >= ${MAX_CPU}% of a core)${last ? '' : '; no higher level'}`);
      if ((r.saturated || last) && kind === 'visage' && PROFILE_SECONDS > 0) {
        progress(`${label}: JFR profile ${PROFILE_SECONDS}s (after the window, same load)`);
        r.profile = await recordProfile(server.pid, PROFILE_SECONDS, PROFILE_FILE).catch((e) => ({ error: String(e.message || e) }));
        endProgress();
        log(r.profile.error ? `profile failed: ${r.profile.error}` : `profile written ${PROFILE_FILE}`);
      }
      if (r.saturated) break;
    }
    if (SIMULCAST > 0 && simulcastMedia && SUBSCRIBER === 'light') { // werift subscribers check ids of one stream
      // the same server, warmed up: a simulcast publisher instead, SIMULCAST subscribers
      await closeAll(server, pub);
      pub = null;
      const label = `${server.name} simulcast N=${SIMULCAST}`;
      ({ pub, target: where } = await publish(server, kind, simulcastMedia, 4243));
      await addSubscribers(server, { ...where, subscriber: SUBSCRIBER, sample: SAMPLE }, `${kind}-simulcast`, 0, SIMULCAST, label);
      rows.push({ ...(await level(server, pub, SIMULCAST, WARMUP + 10, label)), simulcast: true });
    }
  } finally {
    if (pub) await closeAll(server, pub);
    await server.stop();
    log(`${server.name}: stopped`);
  }
  return rows;
}

async function measure(server, pub, n) {
  const startId = pub.nextId;
  const c0 = await server.counters();
  const u0 = udpCounters(), d0 = udpDrops();
  const pli0 = pub.plis;
  for (const w of workers) w.send({ cmd: 'window-start', startId });
  const threads0 = threadTicks(server.pid);
  const cpu0 = cpuTicks(server.pid), t0 = process.hrtime.bigint(), sent0 = pub.sent, self0 = process.cpuUsage(), m0 = machineBusyTicks();
  const deadline = Date.now() + SECONDS * 1000;
  while (Date.now() < deadline) {
    const st = await Promise.all(workers.map((w) => ask(w, { cmd: 'stats' }, 'stats')));
    const cpuNow = (cpuTicks(server.pid) - cpu0) / CLK_TCK;
    const el = Number(process.hrtime.bigint() - t0) / 1e9;
    progress(`${server.name} N=${n}: measuring ${Math.ceil((deadline - Date.now()) / 1000)}s left, server CPU ${fmt(100 * cpuNow / el, 0)}% of a core, receiving ${st.reduce((a, s) => a + s.ready, 0)}/${n}`);
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
  const cpu1 = cpuTicks(server.pid), t1 = process.hrtime.bigint(), sent1 = pub.sent, selfCpu = process.cpuUsage(self0);
  const d1 = udpDrops();
  const m1 = machineBusyTicks();
  const busiest = busiestThread(threads0, threadTicks(server.pid), Number(t1 - t0) / 1e9);
  for (const w of workers) w.send({ cmd: 'window-end' });
  const endId = pub.nextId;
  endProgress();
  await sleep(1500); // late packets of the window still count for loss
  const c1 = await server.counters();
  const u1 = udpCounters();
  const reps = await Promise.all(workers.map((w) => ask(w, { cmd: 'report', endId }, 'report')));
  const secs = Number(t1 - t0) / 1e9;
  const received = reps.reduce((a, r) => a + r.received, 0);
  const unique = reps.reduce((a, r) => a + r.unique, 0);
  const expected = reps.reduce((a, r) => a + r.expected, 0);
  const bytes = reps.reduce((a, r) => a + (r.bytes || 0), 0);
  const counted = reps.reduce((a, r) => a + r.counted, 0);
  const hist = new Array(reps[0].hist.length).fill(0);
  for (const r of reps) r.hist.forEach((v, i) => { hist[i] += v; });
  const pct = (q) => { const tot = hist.reduce((a, b) => a + b, 0); let acc = 0; for (let i = 0; i < hist.length; i++) { acc += hist[i]; if (acc >= q * tot) return (i + 0.5) / 10; } return NaN; };
  const cpuSec = (cpu1 - cpu0) / CLK_TCK;
  // which packet ids went missing, and at how many subscribers (all of them: lost before the fan-out)
  const missedBy = new Map();
  for (const r of reps) for (const [id, k] of r.missed || []) missedBy.set(id, (missedBy.get(id) || 0) + k);
  const missedIds = [...missedBy.entries()].sort((a, b) => a[0] - b[0]).slice(0, 20)
    .map(([id, k]) => ({ id, offset: id - startId, subscribers: k }));
  const fwdCounter = c1.visage_sfu_rtp_forwarded_total !== undefined ? c1.visage_sfu_rtp_forwarded_total - c0.visage_sfu_rtp_forwarded_total : undefined;
  return {
    server: server.name, n, receiving: counted, secs, cpuSec, received,
    // forwarded = delivered to the subscribers' sockets: received by werift + dropped by the
    // kernel at a full load-generator socket (the server did send those)
    forwarded: received + Math.max(0, d1.peers - d0.peers),
    cpuUsPerPkt: received ? (cpuSec * 1e6) / (received + Math.max(0, d1.peers - d0.peers)) : NaN,
    pps: (received + Math.max(0, d1.peers - d0.peers)) / secs,
    // the same CPU over distinct media packets delivered (no retransmitted or duplicate copies)
    cpuUsPerUniquePkt: unique ? (cpuSec * 1e6) / unique : NaN,
    dupPct: received ? (100 * Math.max(0, received - unique)) / received : NaN,
    cpuPct: (100 * cpuSec) / secs,
    busiestThread: busiest.name, busiestThreadPct: busiest.pct,
    lossPct: expected ? (100 * (expected - unique)) / expected : NaN,
    p50: pct(0.5), p95: pct(0.95), p99: pct(0.99),
    missedIds, windowIds: endId - startId,
    latencySamples: hist.reduce((a, b) => a + b, 0),
    srtpProfiles: reps.reduce((a, r) => { for (const [k, v] of Object.entries(r.srtpProfiles || {})) a[k] = (a[k] || 0) + v; return a; }, {}),
    kbpsPerSubscriber: bytes && counted ? (8 * bytes) / secs / counted / 1000 : undefined,
    undecryptable: reps.reduce((a, r) => a + (r.undecryptable || 0), 0),
    sentPps: (sent1 - sent0) / secs,
    plis: pub.plis - pli0,
    loadgenCpuPct: (100 * ((selfCpu.user + selfCpu.system) / 1000 + reps.reduce((a, r) => a + r.cpuMs, 0))) / 1000 / secs,
    // busy CPU of everything else on the machine (other builds/tests; kernel softirq of the veth/lo path)
    otherCpuPct: (100 * (m1 - m0)) / CLK_TCK / (Number(t1 - t0) / 1e9) - (100 * cpuSec) / secs
      - (100 * ((selfCpu.user + selfCpu.system) / 1000 + reps.reduce((a, r) => a + r.cpuMs, 0))) / 1000 / secs,
    serverForwardedPps: fwdCounter !== undefined ? fwdCounter / secs : undefined,
    udpRcvbufErrors: u1.RcvbufErrors - u0.RcvbufErrors,
    udpSndbufErrors: u1.SndbufErrors - u0.SndbufErrors,
    socketDropsAtPeers: d1.peers - d0.peers,
    socketDropsAtServer: d1.servers - d0.servers,
    serverCounters: Object.fromEntries(Object.keys(c1).filter((k) => /total$/.test(k) && c1[k] !== c0[k]).map((k) => [k, c1[k] - c0[k]])),
  };
}

const SUBSCRIBERS_SAY = SUBSCRIBER === 'light'
  ? `light subscribers (werift ICE + DTLS-SRTP, then RTP counted from clear headers, 1 packet in ${SAMPLE} decrypted)`
  : 'werift subscribers (full werift peers)';

const METHOD = `Method: one server at a time inside a private network namespace (veth, ${IP}); Visage via \`./visage run\`,
Janus (Debian package) with only the VideoRoom plugin and the WebSocket transport. One werift publisher
sends a VP8 clip (ffmpeg/libvpx, 640x360, 30 fps) plus fake Opus 20 ms packets; N subscribers
(independent peers: own socket, ICE, DTLS-SRTP, signalling connection) are added step by step, the
same load generator for both servers; a level where the server loses more than ${MAX_LOSS} % or uses
${MAX_CPU} % of a core is its last.
Every RTP payload ends with a 16-byte trailer (packet id + send time on CLOCK_MONOTONIC).
${SUBSCRIBER === 'light' ? `Subscribers are light (bench/worker.mjs, bench/lib/werift-internals.mjs): werift does ICE and the DTLS-SRTP
handshake and keeps answering the server's STUN consent checks; every RTP/RTCP datagram is taken off
werift's socket (RFC 7983 first byte) and counted from its clear header (per SSRC: packets, bytes,
extended highest sequence number); only packets whose sequence number is a multiple of ${SAMPLE} are decrypted
(the subscriber's SRTP context) to read the trailer's send time. Each sends a receiver report per
second (loss from sequence gaps, no LSR/DLSR), as a browser would, and no NACK or PLI. Visage would keep
a subscriber without the reports (its consent check counts STUN answers or any datagram); Janus was not tried without them.` : `Subscribers are full werift peers (--subscriber werift): every packet decrypted, parsed and its id checked.`}
- CPU µs / fwd pkt: utime+stime of the server process (/proc/<pid>/stat) over the window divided by the
  RTP packets that reached the subscribers' sockets (received + dropped by the kernel at a full
  load-generator socket); includes retransmissions. × floor: that over the floor below.
- loss: ${SUBSCRIBER === 'light' ? '1 − RTP packets received / expected from sequence numbers (per SSRC, extended highest minus the one at the window start)' : '1 − distinct packet ids received / (ids sent in the window × subscribers)'};
  in brackets the share of forwarded packets the kernel dropped at load-generator sockets (the load
  generator fell behind).
- latency: publisher send → subscriber receive${SUBSCRIBER === 'light' ? ' (the sampled packets)' : ''}, both on the same machine: an upper
  bound of what the server adds; it grows when the load generator or the machine is saturated.
- load-gen CPU: publisher + subscriber processes. Other CPU: everything else busy on the machine
  (kernel, other jobs); the server, the load generator and anything else share the same 2 cores.
- fwd pkt/s per core: forwarded packets per second over the server's CPU in cores (1e6 / µs per packet).
`;

function fmt(v, d) { return Number.isFinite(v) ? v.toFixed(d) : 'n/a'; }

function table(rows) {
  const lines = [
    '| server | N subs (receiving) | CPU µs / fwd pkt | × floor | fwd pkt/s | kbit/s per sub | server CPU (% core) | busiest server thread (% core) | fwd pkt/s per core | loss % (of it dropped at load-gen sockets) | latency p50 / p95 / p99 ms | load-gen CPU (% core) | other CPU on the machine (% core) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.server}${r.simulcast ? ' simulcast' : ''} | ${r.n} (${r.receiving}) | ${fmt(r.cpuUsPerPkt, 2)} | ${fmt(r.cpuUsPerPkt / floorOf(r), 1)} | ${fmt(r.pps, 0)} | ${fmt(r.kbpsPerSubscriber, 0)} | ${fmt(r.cpuPct, 1)}${r.saturated ? ' (last)' : ''} | ${fmt(r.busiestThreadPct, 0)} | ${fmt(1e6 / r.cpuUsPerPkt, 0)} | ${fmt(r.lossPct, 3)}${r.socketDropsAtPeers ? ` (${fmt((100 * r.socketDropsAtPeers) / (r.received + r.socketDropsAtPeers), 2)})` : ''} | ${fmt(r.p50, 2)} / ${fmt(r.p95, 2)} / ${fmt(r.p99, 2)} | ${fmt(r.loadgenCpuPct, 0)} | ${fmt(r.otherCpuPct, 0)} |`);
  }
  const levels = rows.filter((r) => !r.simulcast);
  const cases = [...new Map(rows.map((r) => [`${r.n}${r.simulcast ? 's' : ''}`, [r.n, !!r.simulcast]])).values()]
    .sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const ratios = cases.map(([n, simulcast]) => {
    const v = rows.find((r) => r.server === 'Visage' && r.n === n && !!r.simulcast === simulcast);
    const j = rows.find((r) => r.server === 'Janus' && r.n === n && !!r.simulcast === simulcast);
    if (!v && !j) return null;
    const ratio = v && j ? v.cpuUsPerPkt / j.cpuUsPerPkt : NaN;
    const verdict = !v || !j ? 'one server only' : Number.isNaN(ratio) ? 'not measured' : v.lossPct > 1 || j.lossPct > 1 ? 'not comparable (loss > 1%)' : ratio <= 0.5 ? 'met' : 'not met';
    return `| ${n}${simulcast ? ' simulcast' : ''} | ${fmt(v?.cpuUsPerPkt, 2)} | ${fmt(j?.cpuUsPerPkt, 2)} | **${fmt(ratio, 2)}** | ${verdict} | ${fmt(v?.cpuUsPerPkt / floorOf(v), 1)} | ${fmt(j?.cpuUsPerPkt / floorOf(j), 1)} |`;
  }).filter(Boolean);
  if (ratios.length) {
    lines.push('', '| N | Visage µs/pkt | Janus µs/pkt | Visage / Janus | goal ≤ 0.5 | Visage × floor | Janus × floor |',
      '|---|---|---|---|---|---|---|', ...ratios);
  }
  lines.push('');
  for (const name of ['Visage', 'Janus']) {
    const mine = levels.filter((r) => r.server === name);
    if (!mine.length) continue;
    const ok = mine.filter((r) => r.lossPct < 0.1);
    const best = ok.sort((a, b) => b.pps - a.pps)[0];
    const top = mine[mine.length - 1];
    lines.push(`- ${name}: highest forwarded rate with loss under 0.1 %: ${best ? `${fmt(best.pps, 0)} pkt/s at N=${best.n} on ${fmt(best.cpuPct, 0)} % of a core = ${fmt(1e6 / best.cpuUsPerPkt, 0)} pkt/s per core` : 'none'}; `
      + `top level N=${top.n}: ${fmt(top.cpuUsPerPkt / floorOf(top), 1)} × floor${name === 'Visage' ? ` (goal ≤ 3: ${top.cpuUsPerPkt / floorOf(top) <= 3 ? 'met' : 'not met'})` : ''}${top.saturated ? ', saturated' : ', not saturated'}`
      + `; SRTP profile it chose with the subscribers: ${Object.keys(top.srtpProfiles || {}).join(', ') || 'n/a'}.`);
  }
  lines.push('', `Floor: ${fmt(FLOOR.cm, 2)} µs of CPU per packet for one SRTP protect with AES-128-CM + HMAC-SHA1-80, ${fmt(FLOOR.gcm, 2)} µs with AEAD-AES-128-GCM `
    + '(jitsi-srtp), and one UDP send on loopback, one thread, the publisher\'s packet mix (bench/results/floor-latest.json; ForwardingFloor). '
    + 'Each row is divided by the floor of the SRTP profile its server chose.');
  return lines.join('\n');
}

function profileSection(p, n) {
  const row = (x) => `| ${fmt(x.pct, 1)} | ${x.samples} | \`${x.name}\` |`;
  return [`JFR profile of the Visage node at N=${n} (${p.seconds} s after that level's window, same load; settings=profile, -XX:+DebugNonSafepoints; `
    + `${p.hot.samples} Java execution samples; time in system calls such as the UDP send is not sampled): \`bench/results/${basename(p.file)}\`.`,
  '', 'Hot methods (own samples, top of stack):', '', '| % | samples | method |', '|---|---|---|', ...p.hot.self.map(row),
  '', 'Where Visage\'s code is (first dev.visage frame of each sample):', '', '| % | samples | method |', '|---|---|---|', ...p.hot.ours.map(row),
  '', 'Threads:', '', '| % | samples | thread |', '|---|---|---|', ...p.hot.threads.map(row)].join('\n');
}

// ------------------------------------------------------------------ main
// --merge a.json,b.json: no run; one table from the rows of runs made separately (each run writes
// its rows next to its --out, as .json), for levels run in pieces under a time limit
const MERGE = args.merge ? String(args.merge).split(',').map(fromCaller) : null;
let runs, failure = null;
if (MERGE) {
  runs = MERGE.map((f) => JSON.parse(readFileSync(f, 'utf8'), (k, v) => (v === null ? NaN : v))); // JSON writes NaN as null
} else {
  const started = new Date();
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  log(`levels ${LEVELS.join(', ')} subscribers (up to saturation); ${WARMUP}s warm-up + ${SECONDS}s window each; servers ${SERVERS.join(', ')}; ${WORKERS} process(es) of ${SUBSCRIBERS_SAY}; media ${IP} (${IFACE}); run dir ${RUNDIR}`);
  startWorkers();
  const rows = [];
  try {
    for (const s of SERVERS) rows.push(...await runServer(s));
  } catch (e) {
    failure = e;
    log('error:', e.stack || e);
  }
  for (const w of workers) w.send({ cmd: 'exit' });
  const withProfile = rows.find((r) => r.profile && !r.profile.error);
  if (withProfile) {
    try {
      withProfile.profile.hot = await hotMethods(withProfile.profile.file);
    } catch (e) { log('reading the profile failed:', e.message); }
  }
  const cpuModel = cpus()[0]?.model || 'unknown CPU';
  const head = `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${hostname()} (${cpus().length} × ${cpuModel}), servers ${SERVERS.join(', ')}, levels ${LEVELS.join(', ')}${SIMULCAST ? ` + simulcast ${SIMULCAST}` : ''}; `
    + `1 publisher (VP8 ${media.source.includes('synthetic') ? 'synthetic' : '640x360 30 fps ~750 kbit/s'} + Opus 50 pkt/s, ~${fmt(rows[0]?.sentPps, 0)} pkt/s), `
    + `${WARMUP}s warm-up, ${SECONDS}s window per level, ${WORKERS} process(es) of ${SUBSCRIBERS_SAY}; a level with loss over ${MAX_LOSS} % or server CPU at ${MAX_CPU} % of a core is the last; load average at start ${loadAtStart}.`;
  const idle = [...new Map(rows.map((r) => [r.server, r.idleCpuPct])).entries()].map(([k, v]) => `${k} ${fmt(v, 1)}%`).join(', ');
  const note = `Server CPU with no peers (measured for ${IDLE}s, ${SETTLE}s after start-up): ${idle} of a core. First level of each server warmed up ${FIRST_WARMUP}s.`;
  runs = [{ head, note, rows }];
  if (rows.length) {
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT.replace(/\.md$/, '') + '.json', JSON.stringify(runs[0], null, 1));
  }
}
const rows = runs.flatMap((r) => r.rows);
const withProfile = rows.find((r) => r.profile?.hot);
const profiled = withProfile ? `\n${profileSection(withProfile.profile, withProfile.n)}\n` : '';
const heads = runs.map((r) => `${r.head}\n${r.note}`).join('\n\n');
const out = `${runs.length > 1 ? `Merged from ${runs.length} separate runs, one after the other, each under its own start of the servers:\n\n` : ''}${heads}\n\n${table(rows)}\n${profiled}`;
console.log('\n' + out);
if (rows.length) {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `# Benchmark: Visage vs Janus VideoRoom\n\n${out}\n${METHOD}\nRaw rows:\n\n\`\`\`json\n${JSON.stringify(rows.map(({ profile, ...r }) => r), null, 1)}\n\`\`\`\n`);
  log(`written ${OUT}`);
}
process.exit(failure ? 1 : 0);
