// Soak: one Visage node and werift peers that join a room, publish and subscribe, chat and leave,
// once a minute, for M minutes; then two minutes without peers. Each minute, when that minute's
// peers have been gone for ~25 s, it prints what the node holds: heap after a full GC, live
// threads, open file descriptors, RSS, sessions and SFU endpoints. The verdict compares the
// minutes without peers at the end with the first minutes. Runs inside the network namespace
// bench/run.sh creates. Usage (normally via ./visage soak [minutes]):
//   node soak.mjs [minutes] [--peers 4] [--fps 15] [--ip 10.203.0.1] [--out results/soak-latest.md]
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir, hostname, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePc, waitFor } from './lib/peer.mjs';
import { loadVp8Frames } from './lib/media.mjs';
import { Publisher } from './lib/publisher.mjs';
import { api, visageSetup, joinRoom, publishOn, subscribeOn } from './lib/visage.mjs';
import { startVisage } from './lib/servers.mjs';
import { parseArgs } from './lib/figures.mjs';
import { log, sleep } from './lib/console.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const argv = process.argv.slice(2);
const args = parseArgs(argv);
const MINUTES = Math.max(3, +(firstPositional(argv) || 30));
const PEERS = Math.max(2, +(args.peers || 4));
const FPS = +(args.fps || 15);
const IP = args.ip || '10.203.0.1';
const OUT = args.out || join(HERE, 'results', 'soak-latest.md');
const IDLE_MINUTES = 2;
const CYCLE_MS = 60_000;
const PEERS_LEAVE_MS = 30_000; // into each minute; the sample is taken at ~55 s
const SAMPLE_MS = 55_000;
const RUNDIR = mkdtempSync(join(tmpdir(), 'visage-soak-'));

/** The first argument that is neither an option nor an option's value (run.sh puts --ip first). */
function firstPositional(list) {
  for (let i = 0; i < list.length; i++) {
    if (!list[i].startsWith('--')) return list[i];
    if (list[i + 1] && !list[i + 1].startsWith('--')) i++;
  }
  return undefined;
}

// ------------------------------------------------------------------ what the node holds
function procStatus(pid, key) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(key + ':'));
  return line ? parseInt(line.split(/\s+/)[1], 10) : NaN;
}

/** Heap in use after a full GC (jcmd works by pid; the node runs without hsperfdata, so no jstat). */
function heapAfterGcMiB(pid) {
  execFileSync('jcmd', [String(pid), 'GC.run'], { stdio: 'ignore', timeout: 60000 });
  const info = execFileSync('jcmd', [String(pid), 'GC.heap_info'], { encoding: 'utf8', timeout: 60000 });
  const m = info.match(/total (\d+)K, used (\d+)K/);
  return m ? +m[2] / 1024 : NaN;
}

async function sample(node, minute, phase) {
  const health = await api(node.base, '/health').catch(() => ({}));
  const metrics = await fetch(`${node.base}/metrics`).then((r) => r.text()).catch(() => '');
  const metric = (name) => { const m = metrics.match(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm')); return m ? +m[1] : NaN; };
  return {
    minute, phase,
    heapMiB: heapAfterGcMiB(node.pid),
    threads: procStatus(node.pid, 'Threads'),
    fds: readdirSync(`/proc/${node.pid}/fd`).length,
    rssMiB: procStatus(node.pid, 'VmRSS') / 1024,
    sessions: health.sessions ?? NaN,
    endpoints: metric('visage_sfu_endpoints'),
    handshakes: metric('visage_sfu_dtls_handshakes_total'),
    forwarded: metric('visage_sfu_rtp_forwarded_total'),
  };
}

// ------------------------------------------------------------------ peers
const media = loadVp8Frames(null);

/** One user in the room: a socket, a publishing and a subscribing peer connection. */
async function peerJoins(base, setup, i) {
  const sock = await joinRoom(base, setup.userToken, setup.roomId);
  // ready to watch before publishing, as the web client is: the first subscribe offer may follow
  // the publish offer at once
  const sub = makePc(IP);
  let received = 0;
  sub.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => { received++; }));
  subscribeOn(sock, sub);
  const pub = new Publisher(IP, media, FPS);
  await publishOn(sock, pub.pc);
  await waitFor(() => pub.pc.connectionState === 'connected', 20000, `peer ${i} publishing`);
  pub.start();
  const chat = setInterval(() => sock.send({ type: 'chat', text: `peer ${i} at ${new Date().toISOString()}` }), 10000);
  return { i, sock, pub, sub, chat, received: () => received };
}

/** Half the peers leave with a leave message, half just drop their socket (a lost connection). */
async function peerLeaves(p) {
  clearInterval(p.chat);
  if (p.i % 2 === 0) {
    p.sock.send({ type: 'leave' });
    await p.sock.next((m) => m.type === 'left', 10000, 'left').catch(() => {});
  }
  p.sock.close();
  await p.pub.close();
  await p.sub.close().catch(() => {});
}

async function cycle(base, setup, minuteStart, stats) {
  const peers = (await Promise.allSettled(Array.from({ length: PEERS }, (_, i) => peerJoins(base, setup, i))))
    .map((r) => { if (r.status === 'rejected') { stats.failures++; log('peer failed:', r.reason?.message); } return r.value; })
    .filter(Boolean);
  stats.joined += peers.length;
  await sleep(Math.max(0, minuteStart + PEERS_LEAVE_MS - Date.now()));
  const silent = peers.filter((p) => p.received() === 0).length;
  stats.silent += silent;
  await Promise.all(peers.map(peerLeaves));
}

// ------------------------------------------------------------------ report
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');
function row(s) {
  return `| ${s.minute} | ${s.phase} | ${fmt(s.heapMiB)} | ${s.threads} | ${s.fds} | ${fmt(s.rssMiB, 0)} | ${s.sessions} | ${s.endpoints} | ${s.handshakes} | ${s.forwarded} |`;
}
const HEADER = '| minute | phase | heap after GC MiB | threads | open fds | RSS MiB | sessions | SFU endpoints | DTLS handshakes | RTP forwarded |\n'
  + '|---|---|---|---|---|---|---|---|---|---|';

/**
 * Flat or growing: the idle minutes at the end against the first minutes. Threads, descriptors,
 * sessions and endpoints must come back to what the first minute after peers held; the heap may
 * move by GC noise (10 % or 8 MiB); the trend of the peer minutes after warm-up is reported too.
 */
function verdict(samples) {
  const cycles = samples.filter((s) => s.phase === 'peers gone');
  const idle = samples.filter((s) => s.phase === 'idle, end');
  const first = cycles[0], last = idle[idle.length - 1];
  const findings = [];
  if (last.sessions !== 0 || last.endpoints > 0) findings.push(`sessions ${last.sessions}, SFU endpoints ${last.endpoints} left at the end`);
  if (last.threads > first.threads + 2) findings.push(`threads ${first.threads} → ${last.threads}`);
  if (last.fds > first.fds + 4) findings.push(`open fds ${first.fds} → ${last.fds}`);
  if (last.heapMiB > Math.max(first.heapMiB * 1.1, first.heapMiB + 8)) findings.push(`heap after GC ${fmt(first.heapMiB)} → ${fmt(last.heapMiB)} MiB`);
  const warm = cycles.slice(Math.min(3, cycles.length - 2));
  const slope = linearSlope(warm.map((s) => s.minute), warm.map((s) => s.heapMiB));
  const trend = `heap trend over minutes ${warm[0].minute}-${warm[warm.length - 1].minute}: ${slope >= 0 ? '+' : ''}${fmt(slope * 1024, 0)} KiB/min`;
  return { flat: findings.length === 0, findings, trend, first, last };
}

function linearSlope(xs, ys) {
  const n = xs.length, mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den ? num / den : 0;
}

// ------------------------------------------------------------------ main
const startedAt = new Date();
const node = await startVisage({ root: ROOT, runDir: RUNDIR, ip: IP });
const samples = [];
const stats = { joined: 0, failures: 0, silent: 0 };
let exitCode = 0;
try {
  const setup = await visageSetup(node.base);
  log(`warming up 60 s, then ${MINUTES - IDLE_MINUTES} minutes of ${PEERS} peers (join, publish ${FPS} fps VP8 + Opus, subscribe, chat every 10 s, leave at 30 s), then ${IDLE_MINUTES} idle minutes`);
  await sleep(60000);
  samples.push(await sample(node, 0, 'before peers'));
  console.log(HEADER);
  console.log(row(samples[0]));
  for (let minute = 1; minute <= MINUTES; minute++) {
    const minuteStart = Date.now();
    const active = minute <= MINUTES - IDLE_MINUTES;
    if (active) await cycle(node.base, setup, minuteStart, stats);
    await sleep(Math.max(0, minuteStart + SAMPLE_MS - Date.now()));
    const s = await sample(node, minute, active ? 'peers gone' : 'idle, end');
    samples.push(s);
    console.log(row(s));
    await sleep(Math.max(0, minuteStart + CYCLE_MS - Date.now()));
  }
  const v = verdict(samples);
  const summary = `Verdict: **${v.flat ? 'flat' : 'growing'}**${v.findings.length ? ' (' + v.findings.join('; ') + ')' : ''}; ${v.trend}. `
    + `${stats.joined} peer joins, ${stats.failures} failed, ${stats.silent} received no media.`;
  console.log('\n' + summary);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `# Visage soak, ${startedAt.toISOString()}\n\n`
    + `Machine: ${hostname()}, ${cpus().length} cores (shared with other work during the run). `
    + `${MINUTES} minutes: ${MINUTES - IDLE_MINUTES} with ${PEERS} werift peers each minute, ${IDLE_MINUTES} without. `
    + `Samples at ~55 s into each minute, ~25 s after that minute's peers left.\n\n${HEADER}\n${samples.map(row).join('\n')}\n\n${summary}\n`);
  log(`written ${OUT}`);
  if (!v.flat) exitCode = 1;
} catch (e) {
  log('failed:', e.stack || e);
  exitCode = 2;
} finally {
  await node.stop();
}
process.exit(exitCode);
