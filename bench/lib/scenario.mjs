// A namespace scenario script (tests/*/…-scenario.sh) run in one of its bench modes, for the
// browser benchmarks: progress and the driver's [figure] lines on stderr, the JSON verdict returned.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { log, progress, endProgress } from './console.mjs';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** Runs a namespace scenario script in bench mode and returns its JSON verdict; progress on stderr. */
export async function runScenario(script, env) {
  const logs = mkdtempSync(join(tmpdir(), 'visage-bench-browser-'));
  log(`${script} (logs ${logs})`);
  const child = spawn('bash', [join(ROOT, script), logs], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = Date.now();
  createInterface({ input: child.stderr }).on('line', (line) => progress(`${Math.round((Date.now() - started) / 1000)}s ${line.slice(0, 120)}`));
  // the driver's [figure] lines (one per round) go to its log in LOGDIR
  const driverLog = spawn('tail', ['-n', '+1', '-F', join(logs, 'driver.log')], { stdio: ['ignore', 'pipe', 'ignore'] });
  createInterface({ input: driverLog.stdout }).on('line', (line) => {
    if (line.includes('[figure]')) { endProgress(); log(line.slice(line.indexOf('[figure]') + 9)); }
  });
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => { if (line.trim()) last = line; });
  await new Promise((resolve) => child.on('close', resolve));
  driverLog.kill();
  endProgress();
  try { return JSON.parse(last); } catch { return { error: `no verdict from ${script}; logs in ${logs}` }; }
}
