// Starts the benchmarked servers inside the benchmark's namespace: Visage as `./visage run`
// starts it (its own JVM options unless BENCH_VISAGE_JAVA_OPTS says otherwise), and Debian's
// Janus with only the VideoRoom plugin and the WebSocket transport. Each waits for its server to
// answer, showing progress, and returns {name, pid, base|url, counters(), stop()}.
import { spawn } from 'node:child_process';
import { readFileSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { api } from './visage.mjs';
import { writeJanusConfig, startJanus } from './janus-server.mjs';
import { log, sleep, progress, endProgress } from './console.mjs';

export async function startVisage({ root, runDir, ip }) {
  const port = 8080, mediaPort = 10000;
  const data = join(runDir, 'visage');
  mkdirSync(data, { recursive: true });
  const logFd = openSync(join(runDir, 'visage-launcher.log'), 'a');
  const child = spawn(join(root, 'visage'), ['run', '--port', String(port), '--data', data, '--media-port', String(mediaPort)], {
    stdio: ['ignore', logFd, logFd],
    // the launcher's own JVM options unless BENCH_VISAGE_JAVA_OPTS says otherwise: the node as `./visage run` starts it
    env: {
      ...process.env,
      ...(process.env.BENCH_VISAGE_JAVA_OPTS ? { VISAGE_JAVA_OPTS: process.env.BENCH_VISAGE_JAVA_OPTS } : {}),
      // for the JFR profile: without debug info at non-safepoints a sample is charged to the
      // nearest safepoint, so inlined code shows under the wrong method (a profile without it
      // put 9 % on SRTP context set-up, which never ran in steady state). No measurable cost.
      JDK_JAVA_OPTIONS: '-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints',
      VISAGE_MEDIA_ADDRESSES: ip,
      // every benchmark peer is a session of one user: hundreds a minute, not a person's 60
      VISAGE_RATE_SESSIONS_USER: '100000/1m',
      VISAGE_CAPACITY: '5000', // sessions; the default 500 answers node_full below the top level
      VISAGE_PUBLIC_URL: `http://${ip}:${port}`,
    },
  });
  const base = `http://${ip}:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`visage exited during start-up; see ${data}/node.log`);
    try { const h = await api(base, '/health'); if (h.status === 'UP') break; } catch { /* not yet */ }
    if (Date.now() - t0 > 300000) throw new Error('visage not healthy after 300 s');
    progress(`visage: starting Payara Micro ... ${Math.round((Date.now() - t0) / 1000)}s`);
    await sleep(1000);
  }
  endProgress();
  const pid = parseInt(readFileSync(join(data, 'node.pid'), 'utf8'), 10);
  log(`visage up at ${base} (java pid ${pid}, log ${data}/node.log)`);
  return {
    name: 'Visage', pid, base,
    async counters() {
      try {
        const t = await (await fetch(`${base}/metrics`)).text();
        const m = {};
        for (const line of t.split('\n')) { const mm = line.match(/^(visage_sfu_[a-z_]+)(?:\{[^}]*\})?\s+([0-9.eE+-]+)/); if (mm) m[mm[1]] = +mm[2]; }
        return m;
      } catch { return {}; }
    },
    async stop() { child.kill('SIGTERM'); await Promise.race([new Promise((r) => child.once('exit', r)), sleep(30000)]); },
  };
}

export async function startJanusServer({ runDir, ip, iface }) {
  const dir = join(runDir, 'janus');
  const wsPort = 8188;
  writeJanusConfig(dir, { ip, iface, wsPort });
  const child = startJanus(dir, join(runDir, 'janus.log'));
  const url = `ws://${ip}:${wsPort}`;
  const t0 = Date.now();
  const { default: WebSocket } = await import('ws');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`janus exited during start-up; see ${runDir}/janus.log`);
    const ok = await new Promise((r) => { const ws = new WebSocket(url, 'janus-protocol'); ws.on('open', () => { ws.close(); r(true); }); ws.on('error', () => r(false)); });
    if (ok) break;
    if (Date.now() - t0 > 30000) throw new Error('janus not listening after 30 s');
    progress(`janus: starting ... ${Math.round((Date.now() - t0) / 1000)}s`);
    await sleep(300);
  }
  endProgress();
  log(`janus up at ${url} (pid ${child.pid}, log ${runDir}/janus.log)`);
  return { name: 'Janus', pid: child.pid, url, async counters() { return {}; },
    async stop() { child.kill('SIGTERM'); await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10000)]); if (child.exitCode === null) child.kill('SIGKILL'); } };
}
