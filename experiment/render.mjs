// Renders OUT/results.json (experiment.mjs) into OUT/results.md (tables) and OUT/results.png
// (bars: received video Mbit/s, one-way latency, jitter, loss per scenario and direction), the
// PNG being an SVG page screenshotted by headless Debian Chromium. No network.
//   node experiment/render.mjs OUT
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OUT = process.argv[2];
const r = JSON.parse(readFileSync(join(OUT, 'results.json'), 'utf8'));
const links = readFileSync(join(OUT, 'links.conf'), 'utf8');
const order = [1, 2, 3].filter((id) => r.scenarios[id]);
const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
const PATHS = {
  1: 'EU ⇄ node-sg ⇄ relay ⇄ node-hcm ⇄ VN',
  2: 'EU ⇄ node-hcm ⇄ VN (direct EU–VN)',
  3: 'EU ⇄ node-sg ⇄ VN',
};

// ------------------------------------------------------------------ markdown
const md = [];
md.push(`# The relay experiment — ${r.startedAt} UTC`, '');
let build = '';
try { build = readFileSync(join(OUT, 'build.txt'), 'utf8').trim().split('\n').join('; '); } catch { /* older run */ }
md.push(`Measuring window ${r.seconds} s per scenario (after both pages decode video and ${r.warmup} s of warm-up), run order ${r.order.join(', ')}. `
  + `Browsers: Debian Chromium with the real web client (\`/r/<room>?node=<id>\`), fake microphone and, as camera, ${r.video === 'pattern' ? "Chromium's fake pattern" : 'a 640x480 30 fps clip with a wandering patch of fresh noise (more to send than Chromium\'s 1.7 Mbit/s ceiling for 640x480, so congestion control sets the bitrate)'}${r.degradation ? `, video senders set to degradationPreference ${r.degradation}` : ''}. `
  + (build ? `Build: ${build}.` : ''), '');
const two = r.people === 2;
const dist = (d) => [d.mean, d.p50, d.p95, d.p99, d.max].map((x) => fmt(x)).join(' / ');
const tr = (d) => (d && d.traced && d.traced.video) || null;
const CLASSES = ['EU→EU', 'EU→VN', 'VN→EU', 'VN→VN'];
if (two) {
  md.push('Two people per region: pages eu, eu2 (EU) and vn, vn2 (VN), all publishing. Per pair of regions (publisher → subscriber), the traced video one-way delay and its jitter, '
    + 'means over the page pairs of that class (EU→EU and VN→VN: the two pages of one region; EU→VN, VN→EU: four pairs).', '');
  md.push('| # | path | publisher → subscriber | pairs | one-way ms, traced (worst p95) | links configured ms | of which in nodes ms | traced jitter ms | RTP jitter at the hub ms: sent / received | via |');
  md.push('|---|---|---|---|---|---|---|---|---|');
  for (const id of order) {
    const s = r.scenarios[id];
    if (!s.ok) {
      md.push(`| ${id} | ${PATHS[id]} | **failed** | | ${String(s.error || '').replace(/\|/g, '/')} | | | | |`);
      continue;
    }
    for (const k of CLASSES) {
      const c = (s.classes || {})[k];
      if (c) md.push(`| ${id} | ${PATHS[id]} | ${k} | ${c.pairs} | **${fmt(c.oneWayMs)}** (${fmt(c.oneWayP95Ms)}) | ${fmt(c.configuredMs, 0)} | ${fmt(c.nodesMs)} | ${fmt(c.jitterMs, 2)} | ${fmt(c.senderJitterMs, 2)} / ${fmt(c.receiverJitterMs, 2)} | ${c.via.join(' ')} |`);
    }
  }
  md.push('', 'What each page received (all its remote video streams together; getStats):', '');
  md.push('| # | page | streams | video Mbit/s | fps per stream | jitter ms (browser, RFC 3550) | jitter buffer ms | loss % | freezes (s) |');
  md.push('|---|---|---|---|---|---|---|---|---|');
  for (const id of order) {
    const s = r.scenarios[id];
    if (!s.ok) continue;
    for (const [k, p] of Object.entries(s.pages || {})) {
      md.push(`| ${id} | ${k} | ${p.streams} | ${fmt(p.videoMbps, 2)} | ${fmt(p.framesPerSecondPerStream)} | ${fmt(p.jitterMs, 1)} | ${fmt(p.jitterBufferMs)} | ${fmt(p.lossPercent, 2)} | ${p.freezes} (${fmt(p.freezeSeconds)}) |`);
    }
  }
  md.push('');
} else {
  md.push('| # | path | direction (receiver) | video Mbit/s | one-way ms, traced (p95) | links configured ms | of which in nodes ms | traced jitter ms | RTP jitter at the hub ms: sent / received | one-way ms, RTT estimate | = (sender leg RTT + receiver leg RTT + relay RTT) / 2 | jitter ms (browser, RFC 3550) | jitter buffer ms | loss % | fps | resolution | freezes (s) |');
  md.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const id of order) {
    const s = r.scenarios[id];
    if (!s.ok) {
      md.push(`| ${id} | ${PATHS[id]} | — | **failed** | | ${String(s.error || '').replace(/\|/g, '/')} | | | | | | | | | | |`);
      continue;
    }
    for (const [label, d] of [['EU → VN (VN page)', s.euToVn, 'euToVn'], ['VN → EU (EU page)', s.vnToEu, 'vnToEu']]) {
      const t = tr(d);
      const nodesMs = t ? Object.values(t.nodesMeanMs).reduce((a, x) => a + x, 0) : null;
      md.push(`| ${id} | ${PATHS[id]} | ${label} | ${fmt(d.videoMbps, 2)} | **${fmt(t && t.oneWayMs.mean)}** (${fmt(t && t.oneWayMs.p95)}) | ${fmt(t && t.configuredMs, 0)} | ${fmt(nodesMs)} | ${fmt(t && t.jitterMs, 2)} | ${fmt(t && t.senderJitterMs, 2)} / ${fmt(t && t.receiverJitterMs, 2)} | ${fmt(d.latencyMs)} | (${fmt(d.senderLegRttMs)} + ${fmt(d.receiverLegRttMs)}${id === 1 ? ` + ${fmt(d.relayLegRttMs)}` : ''}) / 2 | ${fmt(d.jitterMs, 1)} | ${fmt(d.jitterBufferMs)} | ${fmt(d.lossPercent, 2)} | ${fmt(d.framesPerSecond)} | ${d.resolution || '–'} | ${d.freezes} (${fmt(d.freezeSeconds)}) |`);
    }
  }
  md.push('');
  md.push('Sender side (the publishing page\'s outbound-rtp): what it sent and why it held back.', '');
  md.push('| # | sender | sent video Mbit/s | GoogCC target Mbit/s | quality limitation | RTCP RTT to its node ms (remote-inbound-rtp) | NACKs / PLIs sent by the receiver |');
  md.push('|---|---|---|---|---|---|---|');
  for (const id of order) {
    const s = r.scenarios[id];
    if (!s.ok) continue;
    for (const [label, d] of [['EU page', s.euToVn], ['VN page', s.vnToEu]]) {
      md.push(`| ${id} | ${label} | ${fmt(d.sentVideoMbps, 2)} | ${fmt(d.senderTargetMbps, 2)} | ${d.senderLimitation || '–'} | ${fmt(d.senderRtcpRttMs)} | ${d.nacks} / ${d.plis} |`);
    }
  }
  md.push('');
}
md.push('Nodes (`/metrics` deltas over the window; relay RTT = mean of `visage_relay_leg_rtt_seconds` samples every 5 s; room stats = `GET /api/rooms/{id}/stats` at the end, raw in `raw/`).', '');
md.push('| # | node | RTP in /s | RTP forwarded /s | NACKed packets asked /s | retransmissions /s | PLIs sent | relay out Mbit/s | relay leg RTT ms | room stats streams |');
md.push('|---|---|---|---|---|---|---|---|---|---|');
for (const id of order) {
  const s = r.scenarios[id];
  if (!s.ok || !s.nodes) continue;
  for (const [node, n] of Object.entries(s.nodes)) {
    const rt = n.rates || {};
    const streams = n.roomStatsLast && Array.isArray(n.roomStatsLast.streams) ? n.roomStatsLast.streams.length : '–';
    md.push(`| ${id} | ${node} | ${fmt(rt.visage_sfu_rtp_received_per_s)} | ${fmt(rt.visage_sfu_rtp_forwarded_per_s)} | ${fmt(rt.visage_sfu_nack_requested_packets_per_s)} | ${fmt(rt.visage_sfu_retransmissions_per_s)} | ${n.deltas ? n.deltas.visage_sfu_pli_sent_total ?? '–' : '–'} | ${fmt(n.relayMbps, 2)} | ${fmt(n.relayLegRttMs)} | ${streams} |`);
  }
}
md.push('');
md.push('The nodes\' per-stream view of the video (`GET /api/rooms/{id}/stats` every 5 s, mean over the window; publish = browser → node as the node receives it, subscribe = node → browser as the browser\'s receiver reports tell the node).', '');
md.push('| # | node | direction | stream | bitrate Mbit/s | jitter ms | fraction lost | other numeric fields (mean) |');
md.push('|---|---|---|---|---|---|---|---|');
for (const id of order) {
  const s = r.scenarios[id];
  if (!s.ok || !Array.isArray(s.roomStats)) continue;
  for (const row of s.roomStats.filter((x) => x.kind === 'video')) {
    const f = row.fields || {};
    const other = Object.entries(f).filter(([k]) => !['bitrateBps', 'jitterMs', 'fractionLost'].includes(k)).map(([k, v]) => `${k} ${v}`).join(', ');
    md.push(`| ${id} | ${row.node} | ${row.direction} | ${row.who} | ${f.bitrateBps !== undefined ? fmt(f.bitrateBps / 1e6, 2) : '–'} | ${fmt(f.jitterMs)} | ${fmt(f.fractionLost, 3)} | ${other || '–'} |`);
  }
}
md.push('');
md.push('The packet trace at the hub (`tests/netns/frame-trace.py`, kernel timestamps, the first '
  + `${(order.map((id) => r.scenarios[id].trace && r.scenarios[id].trace.seconds).find(Boolean)) || '–'} s of each window): the delay each switch hop really applied to the RTP packets, `
  + 'and the time each node held a packet (from the switch delivering it to the node until the node\'s copy of it left the node), per stream.', '');
md.push('| # | switch hop | packets | applied delay ms: mean / p50 / p95 / p99 / max | configured ms |');
md.push('|---|---|---|---|---|');
for (const id of order) {
  const t = r.scenarios[id].trace;
  if (!t || !t.hops) continue;
  for (const [k, h] of Object.entries(t.hops)) {
    if (!h.configured || !h.delayMs || h.delayMs.n < 50) continue;
    const d = h.delayMs;
    md.push(`| ${id} | ${k} | ${d.n} | ${dist(d)} | ${fmt(h.configured.delayMs, 0)} ± ${fmt(h.configured.jitterMs, 0)} |`);
  }
}
md.push('', '| # | node | stream in > out | packets | time in the node ms: mean / p50 / p95 / p99 / max |');
md.push('|---|---|---|---|---|');
for (const id of order) {
  const t = r.scenarios[id].trace;
  if (!t || !t.nodes) continue;
  for (const [node, streams] of Object.entries(t.nodes)) {
    for (const [k, d] of Object.entries(streams)) {
      if (d && d.n >= 50) md.push(`| ${id} | ${node} | ${k} | ${d.n} | ${dist(d)} |`);
    }
  }
}
md.push('');
md.push('The network as the delay switch applied it during each window (per direction: frames, loss, mean one-way delay drawn incl. jitter and queueing order; switch lag = how late the switch, a user-space process, actually sent the held frames).', '');
md.push('| # | link | frames | lost % (configured) | mean delay ms (configured ± jitter) | switch lag ms |');
md.push('|---|---|---|---|---|---|');
for (const id of order) {
  const s = r.scenarios[id];
  if (!s.network) continue;
  for (const [k, v] of Object.entries(s.network)) {
    if (k.startsWith('core') || k.endsWith('>core')) continue;
    const c = v.configured || {};
    md.push(`| ${id} | ${k} | ${v.frames} | ${fmt(v.lossPercent, 2)} (${fmt(c.lossPercent, 1)}) | ${fmt(v.meanDelayMs)} (${fmt(c.delayMs, 0)} ± ${fmt(c.jitterMs, 0)}) | ${fmt(v.meanLateMs, 2)} |`);
  }
}
md.push('');
md.push('Machine load (1-min load average at start / end of each window): '
  + order.filter((id) => r.scenarios[id].load).map((id) => `#${id} ${r.scenarios[id].load.start} / ${r.scenarios[id].load.end}`).join(', ') + '.', '');
md.push('Link rules (`links.conf`, one-way, per direction):', '', '```', links.trim(), '```', '');
md.push('Definitions: **video Mbit/s** = Δ`bytesReceived` of the receiving page\'s video inbound-rtp × 8 / window. '
  + '**One-way, traced** = from the moment the publishing browser\'s RTP packet reaches the hub to the moment the subscribing browser\'s copy of it leaves the hub towards that browser, kernel timestamps of one clock, '
  + 'packet by packet through every node on the way (the copies are matched by their SSRC, sequence and timestamp offsets), mean and p95 over the traced video packets; **links configured** = the sum of the configured one-way delays of those links; '
  + '**of which in nodes** = the part of it spent inside the nodes; **traced jitter** = the RFC 3550 interarrival jitter of that traced delay (what the network and the nodes add, without the sender\'s pacing or the receiver\'s stack), '
  + 'its running value averaged over the traced packets; packets a node resent after a loss are left out of both (a relay leg resends the packet itself, a node answers a browser with RTX, which the matching does not see). '
  + '**RTP jitter at the hub** = the RFC 3550 jitter against the RTP clock at the publisher\'s port (sent: the browser\'s own pacing) and at the subscriber\'s (received: what the browser computes, without its own stack), averaged the same way. '
  + '**One-way, RTT estimate** = half the sum of the round trips of each leg: the sender\'s and the receiver\'s ICE candidate-pair RTT '
  + '(Δ`totalRoundTripTime` / Δ`responsesReceived` over the window: STUN consent checks between browser and node) plus, for scenario 1, the relay leg RTT the nodes report (includes the browsers\' and nodes\' STUN and RTCP handling). '
  + '**Jitter (browser)** = mean of the receiving page\'s inbound-rtp `jitter` (RFC 3550 interarrival jitter of the video stream, end to end since the SFU keeps RTP timestamps); '
  + '**jitter buffer** = Δ`jitterBufferDelay` / Δ`jitterBufferEmittedCount` (what the receiver adds to absorb it). **Loss** = Δ`packetsLost` / (Δ`packetsReceived` + Δ`packetsLost`) after NACK recovery as seen by the receiver.', '');
writeFileSync(join(OUT, 'results.md'), md.join('\n'));

// ------------------------------------------------------------------ plot
const panels = two ? [
  { key: 'oneWayMs', title: 'Video one-way, traced (ms)', d: 0 },
  { key: 'jitterMs', title: 'Jitter of that delay, traced (ms)', d: 1 },
  { key: 'nodesMs', title: 'Of the one-way: in nodes (ms)', d: 1 },
] : [
  { key: 'videoMbps', title: 'Received video (Mbit/s)', d: 2 },
  { key: 'oneWayMs', title: 'Video one-way, traced (ms)', d: 0 },
  { key: 'tracedJitterMs', title: 'Jitter of that delay, traced (ms)', d: 1 },
  { key: 'jitterMs', title: 'Jitter in the browser, RFC 3550 (ms)', d: 1 },
  { key: 'freezePercent', title: 'Video frozen (% of the time)', d: 1 },
];
const series = two
  ? [{ key: 'EU→EU', color: '#7aa6f0' }, { key: 'EU→VN', color: '#2f6fdf' }, { key: 'VN→EU', color: '#f08c2e' }, { key: 'VN→VN', color: '#f5bd85' }]
  : [{ key: 'euToVn', color: '#2f6fdf' }, { key: 'vnToEu', color: '#f08c2e' }];
for (const id of order) {
  const s = r.scenarios[id];
  if (!s.ok || two) continue;
  for (const d of [s.euToVn, s.vnToEu]) {
    const t = tr(d);
    d.freezePercent = d.seconds ? (d.freezeSeconds || 0) / d.seconds * 100 : null;
    d.oneWayMs = t ? t.oneWayMs.mean : null;
    d.tracedJitterMs = t ? t.jitterMs : null;
    d.configuredMs = t ? t.configuredMs : null;
  }
}
const valueOf = (s, series, key) => (two ? ((s.classes || {})[series] || {})[key] : (s[series] || {})[key]);
const configuredOf = (s, series) => (two ? ((s.classes || {})[series] || {}).configuredMs : (s[series] || {}).configuredMs);
const W = 330, H = 300, PAD = 44;
let svg = '';
panels.forEach((p, pi) => {
  const x0 = pi * (W + 20) + 20, y0 = 70;
  const vals = order.flatMap((id) => (r.scenarios[id].ok ? series.map((se) => valueOf(r.scenarios[id], se.key, p.key)) : [])).filter((v) => Number.isFinite(v));
  const top = Math.max(1e-9, ...vals) * 1.12;
  const raw = top / 4, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((k) => k >= raw);
  const max = step * 4;
  svg += `<text x="${x0 + W / 2}" y="${y0 - 14}" text-anchor="middle" font-size="15" font-weight="600">${p.title}</text>`;
  svg += `<line x1="${x0 + PAD}" y1="${y0 + H - PAD}" x2="${x0 + W - 6}" y2="${y0 + H - PAD}" stroke="#444"/>`;
  svg += `<line x1="${x0 + PAD}" y1="${y0}" x2="${x0 + PAD}" y2="${y0 + H - PAD}" stroke="#444"/>`;
  for (let g = 0; g <= 4; g++) {
    const v = step * g, y = y0 + H - PAD - (v / max) * (H - PAD);
    svg += `<line x1="${x0 + PAD}" y1="${y}" x2="${x0 + W - 6}" y2="${y}" stroke="#ddd"/><text x="${x0 + PAD - 4}" y="${y + 4}" text-anchor="end" font-size="10" fill="#555">${+v.toFixed(3)}</text>`;
  }
  const slot = (W - PAD - 10) / order.length;
  order.forEach((id, si) => {
    const s = r.scenarios[id];
    const cx = x0 + PAD + slot * si + slot / 2;
    svg += `<text x="${cx}" y="${y0 + H - PAD + 16}" text-anchor="middle" font-size="12" font-weight="600">#${id}</text>`;
    svg += `<text x="${cx}" y="${y0 + H - PAD + 30}" text-anchor="middle" font-size="9.5" fill="#333">${{ 1: 'SG+relay+HCM', 2: 'HCM only', 3: 'SG only' }[id]}</text>`;
    if (!s.ok) {
      svg += `<text x="${cx}" y="${y0 + H - PAD - 10}" text-anchor="middle" font-size="12" fill="#c00" font-weight="700">failed</text>`;
      return;
    }
    const bw = Math.min(34, (slot - 8) / series.length - 4);
    series.forEach((se, di) => {
      const v = valueOf(s, se.key, p.key);
      const bx = cx - (series.length * (bw + 4)) / 2 + di * (bw + 4);
      if (!Number.isFinite(v)) return;
      const h = (v / max) * (H - PAD), y = y0 + H - PAD - h;
      svg += `<rect x="${bx}" y="${y}" width="${bw}" height="${Math.max(h, 0.5)}" fill="${se.color}"/>`;
      svg += `<text x="${bx + bw / 2}" y="${y - 3}" text-anchor="middle" font-size="9.5">${v.toFixed(p.d)}</text>`;
      const net = p.key === 'oneWayMs' ? configuredOf(s, se.key) : null;
      if (Number.isFinite(net)) {
        const ny = y0 + H - PAD - (Math.min(net, max) / max) * (H - PAD);
        svg += `<line x1="${bx - 2}" y1="${ny}" x2="${bx + bw + 2}" y2="${ny}" stroke="#111" stroke-width="2" stroke-dasharray="4 2"/>`;
      }
    });
  });
});
const labels = two ? { 'EU→EU': 'EU → EU', 'EU→VN': 'EU → VN', 'VN→EU': 'VN → EU', 'VN→VN': 'VN → VN' }
  : { euToVn: 'EU → VN (received by the VN page)', vnToEu: 'VN → EU (received by the EU page)' };
const legend = series.map((se, i) => `<rect x="${20 + i * 250}" y="${70 + H + 4}" width="12" height="12" fill="${se.color}"/><text x="${37 + i * 250}" y="${70 + H + 14}" font-size="12">${labels[se.key]}</text>`).join('')
  + `<line x1="20" y1="${70 + H + 30}" x2="34" y2="${70 + H + 30}" stroke="#111" stroke-width="2" stroke-dasharray="4 2"/><text x="37" y="${70 + H + 34}" font-size="12">the links' configured one-way delays summed; traced = kernel timestamps at the hub, from the publishing browser's packet to the subscribing browser's copy of it</text>`
  + `<text x="20" y="${70 + H + 52}" font-size="11" fill="#444">#1 EU–node-sg=relay=node-hcm–VN · #2 EU–node-hcm–VN (direct EU–VN: 140±20 ms, 2 %) · #3 EU–node-sg–VN (80±2 + 15±1 ms)${two ? ' · two people per region' : ''}</text>`;
const totalW = panels.length * (W + 20) + 20, totalH = 70 + H + 62;
const title = `<text x="20" y="28" font-size="19" font-weight="700">Visage relay experiment — ${r.startedAt} UTC, ${r.seconds} s per scenario${two ? ', two people per region' : ''}</text>`;
const html = `<!doctype html><html><body style="margin:0;background:#fff;font-family:'DejaVu Sans',sans-serif">
<svg xmlns="http://www.w3.org/2000/svg" width="${totalW}" height="${totalH}" font-family="DejaVu Sans, sans-serif">${title}${svg}${legend}</svg></body></html>`;
writeFileSync(join(OUT, 'results.html'), html);

const { chromium } = createRequire(join(process.env.NODE_PATH, '..', 'noop.js'))('playwright-core');
const dir = mkdtempSync(join(tmpdir(), 'visage-render-'));
try {
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, ignoreDefaultArgs: ['--headless'],
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: totalW, height: totalH }, deviceScaleFactor: 2,
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  await page.setContent(html);
  await page.screenshot({ path: join(OUT, 'results.png'), clip: { x: 0, y: 0, width: totalW, height: totalH } });
  await ctx.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.error(`[experiment] wrote ${join(OUT, 'results.md')} and results.png`);
