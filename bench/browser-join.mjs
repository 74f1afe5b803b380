// Browser part of ./visage bench join, through the real web client in headless Chromium:
// - one node, three pages already in a room; ROUNDS times a fourth page joins late and then clicks
//   Leave (tests/media/room-scenario.sh with VISAGE_ROOM_REPEAT): the late page's first decoded
//   frame of every other (after its own join), the leaver's tile leaving the others' grids (after
//   its click);
// - two nodes in two regions, a page on each; ROUNDS times kill -9 of one node
//   (tests/netns/regions-scenario.sh with VISAGE_REGIONS_REPEAT): until its page decodes video on
//   the survivor.
// Prints p50/p95/max of each against the targets and appends them to the join results.
//   node browser-join.mjs [--rounds 10] [--out results/join-latest.md]
import { appendFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './lib/console.mjs';
import { parseArgs, percentile } from './lib/figures.mjs';
import { runScenario } from './lib/scenario.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const ROUNDS = Math.max(1, +(args.rounds || 10));
const OUT = args.out || join(HERE, 'results', 'join-latest.md');
const TARGET_MS = { lateJoinFirstFrameMs: 1000, leaveTileGoneMs: 1000, failoverFirstFrameMs: 3000 };

const rows = [];
const measured = {};
log(`${ROUNDS} rounds of a late page joining and leaving, through the web client`);
const room = await runScenario('tests/media/room-scenario.sh', { VISAGE_ROOM_REPEAT: String(ROUNDS), VISAGE_ROOM_RUN: `bj${process.pid % 1000}` });
if (room.bench) {
  rows.push(['lateJoinFirstFrameMs', 'late joiner: join → first frame of every other', room.bench.lateJoinFirstFrameMs]);
  rows.push(['leaveTileGoneMs', 'Leave click → tile gone from every other grid', room.bench.leaveTileGoneMs]);
  measured.room = room.bench;
} else log('the late-join rounds failed:', room.error || JSON.stringify(room).slice(0, 400));
log(`${ROUNDS} rounds of kill -9 of a node during a call, through the web client`);
const regions = await runScenario('tests/netns/regions-scenario.sh', { VISAGE_REGIONS_REPEAT: String(ROUNDS), VISAGE_REGIONS_RUN: `bf${process.pid % 1000}` });
if (regions.bench) {
  rows.push(['failoverFirstFrameMs', 'kill -9 of the page\'s node → page decodes video on the survivor', regions.bench.failoverFirstFrameMs]);
  measured.failover = regions.bench;
} else log('the failover rounds failed:', regions.error || JSON.stringify(regions).slice(0, 400));

const lines = ['| through the web client (Chromium) | rounds | p50 ms | p95 ms | max ms | target p95 | met |', '|---|---|---|---|---|---|---|'];
for (const [key, label, v] of rows) {
  const p95 = percentile(v, 0.95);
  lines.push(`| ${label} | ${v.length} | ${percentile(v, 0.5)} | ${p95} | ${Math.max(...v)} | ≤ ${TARGET_MS[key]} ms | ${p95 <= TARGET_MS[key] ? 'yes' : 'no'} |`);
}
const table = lines.join('\n');
console.log('\n' + table + '\n');
appendFileSync(OUT, `\n## Through the web client\n\nLate join and Leave: one node, three Chromium pages (fake camera and microphone) in a room; ${ROUNDS} times a `
  + 'fourth page joins, then clicks Leave (times taken inside the pages). Failover: the regions scenario (nodes eu and sg, 40 ms apart), '
  + `a page in each region decoding the other; ${ROUNDS} times node-sg is killed with kill -9 (and started again between rounds).\n\n${table}\n\n`
  + `Per round: ${JSON.stringify(measured)}\n`);
log(`appended to ${OUT}`);
process.exit(rows.length === 3 ? 0 : 1);
