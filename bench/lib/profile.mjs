// A JFR profile of a running JVM (the Visage node) with the JDK's own tools: jcmd starts a timed
// recording with the "profile" settings (Java stacks sampled every 10 ms), `jfr print` reads its
// execution samples back. Samples cover threads running Java code only: time inside system calls
// (the UDP sendto of each forwarded packet) does not show here.
import { execFile } from 'node:child_process';
import { existsSync, statSync, rmSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from './console.mjs';

const run = promisify(execFile);

/** Records `seconds` of the JVM `pid` into `file`; resolves when the file is complete. */
export async function recordProfile(pid, seconds, file) {
  rmSync(file, { force: true });
  mkdirSync(dirname(file), { recursive: true }); // the JVM does not make it
  await run('jcmd', [String(pid), 'JFR.start', 'name=visage-bench', 'settings=profile', `duration=${seconds}s`, `filename=${file}`]);
  const t0 = Date.now();
  await sleep(seconds * 1000);
  // the JVM writes the file when the recording ends
  while (!(existsSync(file) && statSync(file).size > 0)) {
    if (Date.now() - t0 > (seconds + 30) * 1000) throw new Error(`no ${file} 30 s after the recording's end`);
    await sleep(500);
  }
  await sleep(1000);
  return { file, seconds, bytes: statSync(file).size };
}

const typeName = (f) => f.method.type.name.replaceAll('/', '.');
const frameName = (f) => `${typeName(f)}.${f.method.name}`;

/**
 * The recording's hot methods: `top` by own samples (the frame on top of the stack) and, for each
 * sample, the first frame in a package starting with `ours` (where our code spends or calls it).
 */
export async function hotMethods(file, ours = 'dev.visage', top = 15) {
  const { stdout } = await run('jfr', ['print', '--json', '--stack-depth', '64', '--events', 'jdk.ExecutionSample', file], { maxBuffer: 1 << 30 });
  const events = JSON.parse(stdout).recording.events;
  const self = new Map(), inOurs = new Map(), threads = new Map();
  for (const e of events) {
    const frames = e.values.stackTrace?.frames || [];
    if (!frames.length) continue;
    const name = frameName(frames[0]);
    self.set(name, (self.get(name) || 0) + 1);
    const mine = frames.find((f) => typeName(f).startsWith(ours));
    const key = mine ? frameName(mine) : '(no frame of ours)';
    inOurs.set(key, (inOurs.get(key) || 0) + 1);
    const thread = (e.values.sampledThread?.javaName || e.values.sampledThread?.osName || '?').replace(/[-#]?\d+$/, '');
    threads.set(thread, (threads.get(thread) || 0) + 1);
  }
  const total = events.length;
  const rank = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, n]) => ({ name, samples: n, pct: (100 * n) / total }));
  return { samples: total, self: rank(self), ours: rank(inOurs), threads: rank(threads) };
}
