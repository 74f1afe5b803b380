// Join benchmark (./visage bench join): how long joining takes under load, Visage vs Janus
// VideoRoom on the same load generator. One werift publisher sends VP8 + Opus; JOINERS werift
// subscribers (each its own signalling connection, ICE, DTLS-SRTP) join, CONCURRENCY at a time
// (a new one starts as soon as one is receiving media). Each joiner times its steps from its own
// start: Visage session (REST) -> hello (socket open + hello) -> joined -> the SFU's subscribe
// offer -> connected (ICE + DTLS) -> first media packet; Janus session (socket + create + attach)
// -> joined (subscriber join answered with its offer) -> connected -> first media packet. Prints p50/p95/max of each step and the wall time for all joiners, and
// writes results/join-latest.md. Runs inside the namespace bench/run.sh makes.
//   node join.mjs [--joiners 50] [--concurrency 5] [--warmup-joiners 10] [--settle 20]
//                 [--servers visage,janus] [--workers 2] [--ip 10.203.0.1] [--iface bv0]
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus, hostname } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadVp8Frames } from './lib/media.mjs';
import { startPublishing } from './lib/publisher.mjs';
import { startVisage, startJanusServer } from './lib/servers.mjs';
import { log, sleep, progress, endProgress } from './lib/console.mjs';
import { parseArgs, percentile } from './lib/figures.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const args = parseArgs(process.argv.slice(2));
const JOINERS = +(args.joiners || 50);
const CONCURRENCY = +(args.concurrency || 5);
const WARMUP_JOINERS = +(args['warmup-joiners'] ?? 10);
const SETTLE = +(args.settle ?? 20);
const SERVERS = String(args.servers || 'visage,janus').split(',');
const WORKERS = Math.max(1, +(args.workers || 2));
const IP = args.ip || '10.203.0.1';
const IFACE = args.iface || 'bv0';
const OUT = args.out || join(HERE, 'results', 'join-latest.md');
const RUNDIR = mkdtempSync(join(tmpdir(), 'visage-bench-join-'));
const media = loadVp8Frames(args.ivf || join(HERE, 'media', 'vp8-360p.ivf'));
const STEPS = { visage: ['session', 'hello', 'joined', 'offer', 'connected', 'media'], janus: ['session', 'joined', 'connected', 'media'] };
const TARGETS = { hello: 100, media: 1000 };

// ------------------------------------------------------------------ subscriber processes
const workers = [];
const pending = new Map(); // joiner id -> resolve
function startWorkers() {
  for (let i = 0; i < WORKERS; i++) {
    const w = fork(join(HERE, 'worker.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    w.closed = null;
    w.on('message', (m) => {
      if (m.ev === 'join-done' && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
      if (m.ev === 'closed' && w.closed) w.closed();
    });
    workers.push(w);
  }
}
const closeAll = () => Promise.all(workers.map((w) => new Promise((resolve) => { w.closed = resolve; w.send({ cmd: 'close' }); })));

/** count joiners, `CONCURRENCY` at a time, spread over the workers; resolves with their results. */
async function joinMany(prefix, count, target, onDone) {
  const results = [];
  let next = 0;
  const lane = async (k) => {
    while (next < count) {
      const id = `${prefix}-${next++}`;
      const w = workers[k % workers.length];
      const r = await new Promise((resolve) => { pending.set(id, resolve); w.send({ cmd: 'join', id, ...target }); });
      results.push(r);
      onDone(results);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, (_, k) => lane(k)));
  return results;
}

// ------------------------------------------------------------------ one server
async function runServer(kind) {
  const server = kind === 'visage'
    ? await startVisage({ root: ROOT, runDir: RUNDIR, ip: IP })
    : await startJanusServer({ runDir: RUNDIR, ip: IP, iface: IFACE });
  try {
    for (let i = SETTLE; i > 0; i--) { progress(`${server.name}: settling after start-up ${i}s`); await sleep(1000); }
    endProgress();
    const { pub, target } = await startPublishing(server, kind, IP, media, 4243);
    log(`${server.name}: publisher connected and sending`);
    try {
      if (WARMUP_JOINERS > 0) {
        await joinMany(`${kind}-warm`, WARMUP_JOINERS, target, (r) => progress(`${server.name}: warm-up joiners ${r.length}/${WARMUP_JOINERS}`));
        endProgress();
        await closeAll();
        await sleep(3000);
      }
      const t0 = Date.now();
      const results = await joinMany(kind, JOINERS, target,
        (r) => progress(`${server.name}: joiners receiving media ${r.filter((x) => !x.error).length}/${JOINERS} (${Math.round((Date.now() - t0) / 1000)}s)`));
      const wallMs = Date.now() - t0;
      endProgress();
      await closeAll();
      const failed = results.filter((r) => r.error);
      if (failed.length) log(`${server.name}: ${failed.length} joiners failed, e.g. ${failed[0].error}`);
      const ok = results.filter((r) => !r.error);
      const steps = {};
      for (const step of STEPS[kind]) {
        const values = ok.map((r) => r.marks[step]).filter((v) => v !== undefined);
        steps[step] = { p50: percentile(values, 0.5), p95: percentile(values, 0.95), max: Math.max(...values) };
      }
      // the hello step alone: socket open + hello, after the REST session
      const helloOnly = ok.map((r) => r.marks.hello - r.marks.session).filter((v) => !Number.isNaN(v));
      const row = { server: server.name, joiners: JOINERS, ok: ok.length, failed: failed.length, wallMs, steps,
        helloStep: helloOnly.length ? { p50: percentile(helloOnly, 0.5), p95: percentile(helloOnly, 0.95), max: Math.max(...helloOnly) } : null };
      log(`${server.name}: ${ok.length}/${JOINERS} joiners receiving media in ${(wallMs / 1000).toFixed(1)} s`);
      return row;
    } finally {
      await pub.close();
    }
  } finally {
    await server.stop();
    log(`${server.name}: stopped`);
  }
}

// ------------------------------------------------------------------ report
const ms = (v) => (v === undefined || Number.isNaN(v) || !Number.isFinite(v) ? 'n/a' : `${Math.round(v)}`);
function report(rows) {
  const lines = ['| server | step (ms from the joiner\'s start) | p50 | p95 | max |', '|---|---|---|---|---|'];
  for (const r of rows) {
    for (const [step, v] of Object.entries(r.steps)) lines.push(`| ${r.server} | ${step} | ${ms(v.p50)} | ${ms(v.p95)} | ${ms(v.max)} |`);
    if (r.helloStep) lines.push(`| ${r.server} | hello step alone (socket open → hello) | ${ms(r.helloStep.p50)} | ${ms(r.helloStep.p95)} | ${ms(r.helloStep.max)} |`);
  }
  lines.push('', '| server | joiners receiving media | failed | wall time for all |', '|---|---|---|---|');
  for (const r of rows) lines.push(`| ${r.server} | ${r.ok}/${r.joiners} | ${r.failed} | ${(r.wallMs / 1000).toFixed(1)} s |`);
  const v = rows.find((r) => r.server === 'Visage'), j = rows.find((r) => r.server === 'Janus');
  if (v) {
    lines.push('', '| target | measured | met |', '|---|---|---|');
    lines.push(`| hello step p95 ≤ ${TARGETS.hello} ms | ${ms(v.helloStep?.p95)} ms | ${v.helloStep && v.helloStep.p95 <= TARGETS.hello ? 'yes' : 'no'} |`);
    lines.push(`| first media p95 ≤ ${TARGETS.media} ms | ${ms(v.steps.media.p95)} ms | ${v.steps.media.p95 <= TARGETS.media ? 'yes' : 'no'} |`);
    if (j) lines.push(`| ${JOINERS} joiners in no more time than Janus | ${(v.wallMs / 1000).toFixed(1)} s vs ${(j.wallMs / 1000).toFixed(1)} s | ${v.wallMs <= j.wallMs && v.failed === 0 ? 'yes' : 'no'} |`);
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------ main
const started = new Date();
const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
log(`${JOINERS} joiners, ${CONCURRENCY} at a time (after ${WARMUP_JOINERS} warm-up joiners); servers ${SERVERS.join(', ')}; ${WORKERS} subscriber process(es); run dir ${RUNDIR}`);
startWorkers();
const rows = [];
let failure = null;
try {
  for (const s of SERVERS) rows.push(await runServer(s));
} catch (e) {
  failure = e;
  log('error:', e.stack || e);
}
for (const w of workers) w.send({ cmd: 'exit' });
const head = `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${hostname()} (${cpus().length} × ${cpus()[0]?.model || 'CPU'}); `
  + `1 werift publisher (VP8 + Opus), ${JOINERS} werift joiners ${CONCURRENCY} at a time after ${WARMUP_JOINERS} warm-up joiners, `
  + `${WORKERS} load-generator process(es); load average at start ${loadAtStart}.`;
const out = `${head}\n\n${report(rows)}\n`;
console.log('\n' + out);
if (rows.length) {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `# Join benchmark: Visage vs Janus VideoRoom\n\n${out}\nRaw rows:\n\n\`\`\`json\n${JSON.stringify(rows, null, 1)}\n\`\`\`\n`);
  log(`written ${OUT}`);
}
process.exit(failure ? 1 : 0);
