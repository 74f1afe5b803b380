// Recomputes a kept run's trace figures with the current tests/netns/frame-trace.py and renders
// it again:   node experiment/reanalyse.mjs OUT
// Needs OUT/logs/scenario-N-trace.bin (a run keeps its captures there; they are not committed).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyTrace, pagesOf } from './traced.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = process.argv[2];
if (!OUT) { console.error('usage: node experiment/reanalyse.mjs OUT'); process.exit(2); }
const file = join(OUT, 'results.json');
const r = JSON.parse(readFileSync(file, 'utf8'));
for (const [id, res] of Object.entries(r.scenarios)) {
  const bin = join(OUT, 'logs', `scenario-${id}-trace.bin`);
  if (!existsSync(bin)) { console.error(`[reanalyse] scenario ${id}: no ${bin}, left as it was`); continue; }
  console.error(`[reanalyse] scenario ${id}: analysing ${bin}`);
  const trace = JSON.parse(execFileSync('python3', [join(HERE, '..', 'tests', 'netns', 'frame-trace.py'), 'analyse', bin, 'sg,hcm', join(OUT, 'links.conf')],
    { maxBuffer: 64 << 20 }));
  trace.seconds = res.trace && res.trace.seconds;
  applyTrace(res, trace, pagesOf(r.people));
  writeFileSync(join(OUT, 'raw', `scenario-${id}-trace.json`), JSON.stringify(trace, null, 1));
}
r.reanalysedAt = new Date().toISOString();
writeFileSync(file, JSON.stringify(r, null, 2));
execFileSync('node', [join(HERE, 'render.mjs'), OUT], { stdio: 'inherit',
  env: { ...process.env, NODE_PATH: process.env.NODE_PATH || join(HERE, '..', 'tests', 'browser', 'node_modules') } });
