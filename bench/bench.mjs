// Visage vs Janus VideoRoom on the same load: one werift publisher (VP8 ~30 fps + Opus 50 pps)
// and N werift subscribers, N stepping up (10, 50, 100 by default) on one server at a time.
// Runs inside the network namespace bench/run.sh creates. Usage (normally via ./visage bench):
//   node bench.mjs [--subscribers 10,50,100] [--seconds 20] [--warmup 5] [--first-warmup 120]
//                  [--settle 60] [--idle 10] [--servers visage,janus]
//                  [--workers 2] [--ip 10.203.0.1] [--iface bv0] [--ivf media/vp8-360p.ivf] [--out results/latest.md]
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus, hostname } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadVp8Frames } from './lib/media.mjs';
import { startPublishing } from './lib/publisher.mjs';
import { startVisage, startJanusServer } from './lib/servers.mjs';
import { parseArgs } from './lib/figures.mjs';
import { log, sleep, progress, endProgress } from './lib/console.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const args = parseArgs(process.argv.slice(2));
const LEVELS = String(args.subscribers || '10,50,100').split(',').map((s) => parseInt(s, 10)).filter((n) => n > 0).sort((a, b) => a - b);
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
const IVF = args.ivf || join(HERE, 'media', 'vp8-360p.ivf');
const OUT = args.out || join(HERE, 'results', 'latest.md');
// The forwarding floor measured by run.sh before this run (ForwardingFloor): CPU µs of one SRTP
// protect + one UDP send per packet, in the publisher's packet mix; absent if it was not measured.
const FLOOR_US = (() => {
  try { return JSON.parse(readFileSync(args.floor || join(HERE, 'results', 'floor-latest.json'), 'utf8')).mixNsPerPacket / 1000; } catch { return NaN; }
})();
const RUNDIR = mkdtempSync(join(tmpdir(), 'visage-bench-'));
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

// ------------------------------------------------------------------ one server, all levels
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
  const { pub, target } = await startPublishing(server, kind, IP, media, 4242).catch(async (e) => {
    await server.stop();
    throw e;
  });
  try {
    log(`${server.name}: publisher connected and sending (${media.source})`);
    readySubs.clear(); failedSubs.clear();
    let have = 0;
    for (const n of LEVELS) {
      // add subscribers up to n, spread over the workers
      const ids = [];
      for (let i = have; i < n; i++) ids.push(`${kind}-${i}`);
      const perWorker = workers.map(() => []);
      ids.forEach((id, i) => perWorker[(have + i) % workers.length].push(id));
      const t0 = Date.now();
      const added = Promise.all(workers.map((w, i) => (perWorker[i].length ? ask(w, { cmd: 'add', ids: perWorker[i], ...target }, 'added') : null)));
      let done = false;
      added.then(() => { done = true; });
      while (readySubs.size + failedSubs.size < n && Date.now() - t0 < 60000 + 1500 * ids.length) {
        progress(`${server.name} N=${n}: subscribers receiving media ${readySubs.size}/${n}${failedSubs.size ? `, failed ${failedSubs.size}` : ''} (${Math.round((Date.now() - t0) / 1000)}s)`);
        await sleep(500);
      }
      await Promise.race([added, sleep(5000)]);
      endProgress();
      have = n;
      if (failedSubs.size) log(`${server.name}: ${failedSubs.size} subscribers failed, e.g. ${[...failedSubs.values()][0]}`);
      if (readySubs.size < n) log(`${server.name}: only ${readySubs.size}/${n} subscribers receive media; measuring those`);
      for (let s = n === LEVELS[0] ? FIRST_WARMUP : WARMUP; s > 0; s--) { progress(`${server.name} N=${n}: warm-up ${s}s`); await sleep(1000); }
      endProgress();
      rows.push({ ...(await measure(server, pub, n)), idleCpuPct: server.idleCpuPct });
      const r = rows[rows.length - 1];
      log(`${server.name} N=${n}: ${fmt(r.cpuUsPerPkt, 2)} µs CPU/pkt, ${fmt(r.pps, 0)} pkt/s, loss ${fmt(r.lossPct, 3)}%, latency p50 ${fmt(r.p50, 2)} ms p95 ${fmt(r.p95, 2)} ms`);
      if (!done) log('(some subscriber set-ups were still pending)');
      if (r.udpRcvbufErrors || r.udpSndbufErrors) log(`UDP socket buffer overflows in the namespace during the window: receive ${r.udpRcvbufErrors} (at load-generator sockets ${r.socketDropsAtPeers}, at server sockets ${r.socketDropsAtServer}), send ${r.udpSndbufErrors}`);
    }
  } finally {
    progress(`${server.name}: closing peers`);
    await Promise.all(workers.map((w) => ask(w, { cmd: 'close' }, 'closed')));
    await pub.close();
    endProgress();
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
  const counted = reps.reduce((a, r) => a + r.counted, 0);
  const hist = new Array(reps[0].hist.length).fill(0);
  for (const r of reps) r.hist.forEach((v, i) => { hist[i] += v; });
  const pct = (q) => { const tot = hist.reduce((a, b) => a + b, 0); let acc = 0; for (let i = 0; i < hist.length; i++) { acc += hist[i]; if (acc >= q * tot) return (i + 0.5) / 10; } return NaN; };
  const cpuSec = (cpu1 - cpu0) / CLK_TCK;
  const expected = counted * (endId - startId);
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
    lossPct: expected ? (100 * (expected - unique)) / expected : NaN,
    p50: pct(0.5), p95: pct(0.95), p99: pct(0.99),
    missedIds, windowIds: endId - startId,
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

const METHOD = `Method: one server at a time inside a private network namespace (veth, ${IP}); Visage via \`./visage run\`,
Janus (Debian package) with only the VideoRoom plugin and the WebSocket transport. One werift publisher
sends a VP8 clip (ffmpeg/libvpx, 640x360, 30 fps) plus fake Opus 20 ms packets; N werift subscribers
(independent peers: own socket, ICE, DTLS-SRTP, signalling connection) are added step by step.
Every RTP payload ends with a 16-byte trailer (packet id + send time on CLOCK_MONOTONIC), so loss and
one-way latency are measured per packet whatever the server rewrites.
- CPU µs / fwd pkt: utime+stime of the server process (/proc/<pid>/stat) over the window divided by the
  packets that reached the subscribers' sockets (received by werift + dropped by the kernel at a full
  load-generator socket); includes retransmissions. CPU µs / distinct pkt: same CPU over distinct media
  packets delivered (each subscriber counts a packet id once).
- loss: 1 − distinct packet ids received / (ids sent in the window × subscribers); in brackets the share of
  forwarded packets the kernel dropped at load-generator sockets (the load generator fell behind).
- latency: publisher send → subscriber receive, both in werift (SRTP, event loops) on the same machine:
  an upper bound of what the server adds; p95/p99 grow when the load generator is saturated.
- load-gen CPU: publisher + subscriber processes. Other CPU: everything else busy on the machine
  (kernel, other jobs); the server, the load generator and anything else share the same 2 cores.
`;

function fmt(v, d) { return v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(d); }

function table(rows) {
  const lines = [
    '| server | N subs (receiving) | CPU µs / fwd pkt | CPU µs / distinct pkt delivered | resent or duplicate % | fwd pkt/s | server CPU (% core) | loss % (of it dropped at load-gen sockets) | latency p50 / p95 / p99 ms | load-gen CPU (% core) | other CPU on the machine (% core) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.server} | ${r.n} (${r.receiving}) | ${fmt(r.cpuUsPerPkt, 2)} | ${fmt(r.cpuUsPerUniquePkt, 2)} | ${fmt(r.dupPct, 1)} | ${fmt(r.pps, 0)} | ${fmt(r.cpuPct, 1)} | ${fmt(r.lossPct, 3)}${r.socketDropsAtPeers ? ` (${fmt((100 * r.socketDropsAtPeers) / (r.received + r.socketDropsAtPeers), 2)})` : ''} | ${fmt(r.p50, 2)} / ${fmt(r.p95, 2)} / ${fmt(r.p99, 2)} | ${fmt(r.loadgenCpuPct, 0)} | ${fmt(r.otherCpuPct, 0)} |`);
  }
  const ratios = LEVELS.map((n) => {
    const v = rows.find((r) => r.server === 'Visage' && r.n === n), j = rows.find((r) => r.server === 'Janus' && r.n === n);
    return v && j ? `| ${n} | ${fmt(v.cpuUsPerPkt, 2)} | ${fmt(j.cpuUsPerPkt, 2)} | **${fmt(v.cpuUsPerPkt / j.cpuUsPerPkt, 2)}** | ${fmt(v.cpuUsPerUniquePkt / j.cpuUsPerUniquePkt, 2)} | ${v.lossPct > 1 || j.lossPct > 1 ? 'not comparable (loss > 1%)' : v.cpuUsPerUniquePkt / j.cpuUsPerUniquePkt <= 0.5 ? 'met' : 'not met'} | ${fmt(v.cpuUsPerPkt / FLOOR_US, 1)} | ${fmt(j.cpuUsPerPkt / FLOOR_US, 1)} |` : null;
  }).filter(Boolean);
  if (ratios.length) {
    lines.push('', `| N | Visage µs/pkt | Janus µs/pkt | Visage / Janus | same, per distinct pkt delivered | goal ≤ 0.5 | Visage × floor | Janus × floor |`,
      '|---|---|---|---|---|---|---|---|', ...ratios, '',
      `Floor: ${fmt(FLOOR_US, 2)} µs of CPU per packet for one SRTP protect (AES-128-CM + HMAC-SHA1-80, jitsi-srtp) and one UDP send on loopback, `
      + 'one thread, the publisher\'s packet mix (bench/results/floor-latest.json; ForwardingFloor). Goal at the top level: Visage within 3 × the floor.');
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------ main
const started = new Date();
const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
log(`levels ${LEVELS.join(', ')} subscribers; ${WARMUP}s warm-up + ${SECONDS}s window each; servers ${SERVERS.join(', ')}; ${WORKERS} subscriber process(es); media ${IP} (${IFACE}); run dir ${RUNDIR}`);
startWorkers();
const rows = [];
let failure = null;
try {
  for (const s of SERVERS) rows.push(...await runServer(s));
} catch (e) {
  failure = e;
  log('error:', e.stack || e);
}
for (const w of workers) w.send({ cmd: 'exit' });
const cpuModel = cpus()[0]?.model || 'unknown CPU';
const head = `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${hostname()} (${cpus().length} × ${cpuModel}); `
  + `1 publisher (VP8 ${media.source.includes('synthetic') ? 'synthetic' : '640x360 30 fps ~750 kbit/s'} + Opus 50 pkt/s, ~${fmt(rows[0]?.sentPps, 0)} pkt/s), `
  + `${WARMUP}s warm-up, ${SECONDS}s window per level, ${WORKERS} subscriber process(es) of werift peers; load average at start ${loadAtStart}.`;
const idle = [...new Map(rows.map((r) => [r.server, r.idleCpuPct])).entries()].map(([k, v]) => `${k} ${fmt(v, 1)}%`).join(', ');
const out = `${head}\n\n${table(rows)}\n\nServer CPU with no peers (measured for ${IDLE}s, ${SETTLE}s after start-up): ${idle} of a core. First level of each server warmed up ${FIRST_WARMUP}s.\n`;
console.log('\n' + out);
if (rows.length) {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `# Benchmark: Visage vs Janus VideoRoom\n\n${out}\n${METHOD}\nRaw rows:\n\n\`\`\`json\n${JSON.stringify(rows, null, 1)}\n\`\`\`\n`);
  log(`written ${OUT}`);
}
process.exit(failure ? 1 : 0);
