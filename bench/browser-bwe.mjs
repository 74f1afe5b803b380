// ./visage bench bwe: bandwidth estimation towards a subscriber, through the real web client in
// headless Chromium (tests/media/room-scenario.sh with VISAGE_ROOM_BWE_ROUNDS): one node, four
// pages in a room (alice talks, bob and carol listen: silent microphones), the fourth (dave) in a
// client namespace of his own; ROUNDS times his downlink is capped at 300 kbit/s and then lifted.
// Per round, from his page's getStats (sampled every 250 ms): the time from the cap until every
// camera he receives is <= 320 wide, from the lift until every one is >= 640 again, the longest stretch without a new frame from one camera,
// and his frames per second and loss under the cap; with the node's estimate of his downlink.
// Prints p50/p95/max against the targets and appends them to the results.
// --far: the same over two nodes (tests/relay/relay-scenario.sh with VISAGE_RELAY_CAP_ROUNDS):
// alice's camera on node a, bob and the capped viewer1 (a client namespace of its own) on node b,
// so one camera the capped page receives crosses the relay and the other is local.
//   node browser-bwe.mjs [--rounds 3] [--far] [--out results/bwe-latest.md]
import { appendFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './lib/console.mjs';
import { parseArgs, percentile } from './lib/figures.mjs';
import { runScenario } from './lib/scenario.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const ROUNDS = Math.max(1, +(args.rounds || 3));
const OUT = args.out || join(HERE, 'results', 'bwe-latest.md');
const FAR = args.far === true;
const TARGET_MS = { switchDownMs: 2000, climbBackMs: 10000, longestFreezeMs: 1000 };
const LABELS = {
  switchDownMs: 'cap at 300 kbit/s → every camera <= 320 wide',
  climbBackMs: 'cap lifted → every camera >= 640 wide',
  longestFreezeMs: 'longest stretch without a new frame from one camera (cap → climb back)',
};

log(`${ROUNDS} rounds of a page's downlink capped at 300 kbit/s and lifted, through the web client${FAR ? ', the page on the far node of a relayed camera' : ''}`);
const run = FAR
  ? await runScenario('tests/relay/relay-scenario.sh', { VISAGE_RELAY_CAP_ROUNDS: String(ROUNDS), VISAGE_RELAY_RUN: `bf${process.pid % 1000}` })
  : await runScenario('tests/media/room-scenario.sh', { VISAGE_ROOM_BWE_ROUNDS: String(ROUNDS), VISAGE_ROOM_RUN: `bb${process.pid % 1000}` });
const rounds = (FAR ? run.farLayers && run.farLayers.capped : run.cappedDownlink)?.rounds || [];
if (rounds.length === 0) {
  log('the rounds failed:', run.error || JSON.stringify(run).slice(0, 400));
  process.exit(1);
}
const lines = ['| through the web client (Chromium) | rounds | p50 ms | p95 ms | max ms | target | met |', '|---|---|---|---|---|---|---|'];
for (const key of Object.keys(TARGET_MS)) {
  const v = rounds.map((r) => r[key]);
  const p95 = percentile(v, 0.95);
  lines.push(`| ${LABELS[key]} | ${v.length} | ${percentile(v, 0.5)} | ${p95} | ${Math.max(...v)} | ≤ ${TARGET_MS[key]} ms | ${p95 <= TARGET_MS[key] ? 'yes' : 'no'} |`);
}
const table = lines.join('\n');
const detail = rounds.map((r, i) => `round ${i + 1}: down in ${r.switchDownMs} ms, back in ${r.climbBackMs} ms, longest freeze `
  + `${r.longestFreezeMs} ms; under the cap ${r.cappedFrameWidths.join('/')} wide, fps decoded per page and camera ${JSON.stringify(r.fps)}, `
  + `loss ${r.cappedLossPct.toFixed(2)} %, estimate ${r.node.estimateBps} bit/s (acked ${r.node.ackedBps}); the others ${JSON.stringify(r.othersWidths)}${r.othersAt640Share === undefined ? '' : ` (all at >= 640 in ${Math.round(100 * r.othersAt640Share)} % of samples)`}; `
  + `lifted: ${r.liftedWidths.join('/')} wide, estimate ${r.nodeLifted.estimateBps} bit/s`
  + (r.capTrace && r.cappedLossPct >= 1 ? `; the node per 2 s window under the cap:\n    ${r.capTrace.join('\n    ')}` : '')
  + (r.climbTrace && r.climbBackMs > TARGET_MS.climbBackMs ? `; the node once a second during the climb:\n    ${r.climbTrace.join('\n    ')}` : '')).join('\n');
console.log(`\n${table}\n\n${detail}\n`);
const setting = FAR
  ? 'Two nodes joined by the relay: alice publishes on node a, bob on node b; the receive-only viewer1 on node b decodes both '
    + "(alice's camera crosses the relay as its layers, bob's is local); viewer1's downlink"
  : "One node, four Chromium pages (fake cameras with three simulcast layers each; alice's fake microphone beeps, bob's and carol's hear silence); the fourth one's downlink";
appendFileSync(OUT, `\n## Bandwidth estimation towards a subscriber${FAR ? ' on the far node' : ''}\n\n${setting} is ${ROUNDS} times capped at `
  + `300 kbit/s (token bucket, 200 ms drop-tail queue) and lifted (times from the page's getStats, sampled every 250 ms).\n\n${table}\n\n${detail}\n`);
log(`appended to ${OUT}`);
process.exit(rounds.every((r) => r.ok) ? 0 : 1);
