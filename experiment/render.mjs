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

// The links a packet crosses per scenario and direction, and what the delay switch applied on them.
const LINKS = {
  1: { euToVn: ['ceu>sg', 'sg>hcm', 'hcm>cvn'], vnToEu: ['cvn>hcm', 'hcm>sg', 'sg>ceu'] },
  2: { euToVn: ['ceu>hcm', 'hcm>cvn'], vnToEu: ['cvn>hcm', 'hcm>ceu'] },
  3: { euToVn: ['ceu>sg', 'sg>cvn'], vnToEu: ['cvn>sg', 'sg>ceu'] },
};
const netOneWay = (id, dir) => {
  const net = r.scenarios[id].network || {};
  const ls = LINKS[id][dir].map((k) => net[k]);
  return ls.every((l) => l && Number.isFinite(l.meanDelayMs)) ? ls.reduce((a, l) => a + l.meanDelayMs + (l.meanLateMs || 0), 0) : null;
};

// ------------------------------------------------------------------ markdown
const md = [];
md.push(`# The relay experiment — ${r.startedAt} UTC`, '');
let build = '';
try { build = readFileSync(join(OUT, 'build.txt'), 'utf8').trim().split('\n').join('; '); } catch { /* older run */ }
md.push(`Measuring window ${r.seconds} s per scenario (after both pages decode video and ${r.warmup} s of warm-up), run order ${r.order.join(', ')}. `
  + `Browsers: Debian Chromium with the real web client (\`/r/<room>?node=<id>\`), fake microphone and, as camera, ${r.video === 'pattern' ? "Chromium's fake pattern" : 'a 640x480 30 fps clip with a wandering patch of fresh noise (more to send than Chromium\'s 1.7 Mbit/s ceiling for 640x480, so congestion control sets the bitrate)'}${r.degradation ? `, video senders set to degradationPreference ${r.degradation}` : ''}. `
  + (build ? `Build: ${build}.` : ''), '');
md.push('| # | path | direction (receiver) | video Mbit/s | one-way latency ms | = (sender leg RTT + receiver leg RTT + relay RTT) / 2 | network alone ms | jitter ms (RFC 3550) | jitter buffer ms | loss % | fps | resolution | freezes (s) |');
md.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const id of order) {
  const s = r.scenarios[id];
  if (!s.ok) {
    md.push(`| ${id} | ${PATHS[id]} | — | **failed** | | ${String(s.error || '').replace(/\|/g, '/')} | | | | | | | |`);
    continue;
  }
  for (const [label, d, dir] of [['EU → VN (VN page)', s.euToVn, 'euToVn'], ['VN → EU (EU page)', s.vnToEu, 'vnToEu']]) {
    md.push(`| ${id} | ${PATHS[id]} | ${label} | ${fmt(d.videoMbps, 2)} | **${fmt(d.latencyMs)}** | (${fmt(d.senderLegRttMs)} + ${fmt(d.receiverLegRttMs)}${id === 1 ? ` + ${fmt(d.relayLegRttMs)}` : ''}) / 2 | ${fmt(netOneWay(id, dir))} | ${fmt(d.jitterMs, 1)} | ${fmt(d.jitterBufferMs)} | ${fmt(d.lossPercent, 2)} | ${fmt(d.framesPerSecond)} | ${d.resolution || '–'} | ${d.freezes} (${fmt(d.freezeSeconds)}) |`);
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
  + '**Latency** = estimated one-way sender-to-receiver delay = half the sum of the round trips of each leg: the sender\'s and the receiver\'s ICE candidate-pair RTT '
  + '(Δ`totalRoundTripTime` / Δ`responsesReceived` over the window: STUN consent checks between browser and node) plus, for scenario 1, the relay leg RTT the nodes report. '
  + '**Network alone** = the sum of the mean one-way delays the delay switch applied on the links of that path during the window (what an idle host would show; the rest of the latency is time in the browsers\' and nodes\' network stacks, which grows with the machine\'s load). **Jitter** = mean of the receiving page\'s inbound-rtp `jitter` (RFC 3550 interarrival jitter of the video stream, end to end since the SFU keeps RTP timestamps); '
  + '**jitter buffer** = Δ`jitterBufferDelay` / Δ`jitterBufferEmittedCount` (what the receiver adds to absorb it). **Loss** = Δ`packetsLost` / (Δ`packetsReceived` + Δ`packetsLost`) after NACK recovery as seen by the receiver.', '');
writeFileSync(join(OUT, 'results.md'), md.join('\n'));

// ------------------------------------------------------------------ plot
const panels = [
  { key: 'videoMbps', title: 'Received video (Mbit/s)', d: 2 },
  { key: 'latencyMs', title: 'One-way latency, est. (ms)', d: 0 },
  { key: 'jitterMs', title: 'Jitter, RFC 3550 (ms)', d: 1 },
  { key: 'lossPercent', title: 'Loss after recovery (%)', d: 2 },
  { key: 'freezePercent', title: 'Video frozen (% of the time)', d: 1 },
];
for (const id of order) {
  const s = r.scenarios[id];
  if (s.ok) for (const d of [s.euToVn, s.vnToEu]) d.freezePercent = d.seconds ? (d.freezeSeconds || 0) / d.seconds * 100 : null;
}
const colors = { euToVn: '#2f6fdf', vnToEu: '#f08c2e' };
const W = 330, H = 300, PAD = 44;
let svg = '';
panels.forEach((p, pi) => {
  const x0 = pi * (W + 20) + 20, y0 = 70;
  const vals = order.flatMap((id) => (r.scenarios[id].ok ? [r.scenarios[id].euToVn[p.key], r.scenarios[id].vnToEu[p.key]] : [])).filter((v) => Number.isFinite(v));
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
    ['euToVn', 'vnToEu'].forEach((dir, di) => {
      const v = s[dir][p.key];
      const bw = Math.min(34, slot / 2 - 6), bx = cx - bw - 2 + di * (bw + 4);
      if (!Number.isFinite(v)) return;
      const h = (v / max) * (H - PAD), y = y0 + H - PAD - h;
      svg += `<rect x="${bx}" y="${y}" width="${bw}" height="${Math.max(h, 0.5)}" fill="${colors[dir]}"/>`;
      svg += `<text x="${bx + bw / 2}" y="${y - 3}" text-anchor="middle" font-size="9.5">${v.toFixed(p.d)}</text>`;
      const net = p.key === 'latencyMs' ? netOneWay(id, dir) : null;
      if (Number.isFinite(net)) {
        const ny = y0 + H - PAD - (Math.min(net, max) / max) * (H - PAD);
        svg += `<line x1="${bx - 2}" y1="${ny}" x2="${bx + bw + 2}" y2="${ny}" stroke="#111" stroke-width="2" stroke-dasharray="4 2"/>`;
      }
    });
  });
});
const legend = `<rect x="20" y="${70 + H + 4}" width="12" height="12" fill="${colors.euToVn}"/><text x="37" y="${70 + H + 14}" font-size="12">EU → VN (received by the VN page)</text>`
  + `<rect x="260" y="${70 + H + 4}" width="12" height="12" fill="${colors.vnToEu}"/><text x="277" y="${70 + H + 14}" font-size="12">VN → EU (received by the EU page)</text>`
  + `<line x1="20" y1="${70 + H + 30}" x2="34" y2="${70 + H + 30}" stroke="#111" stroke-width="2" stroke-dasharray="4 2"/><text x="37" y="${70 + H + 34}" font-size="12">latency of the network alone (delay switch), the rest is time in browsers and nodes on a busy 2-core host</text>`
  + `<text x="520" y="${70 + H + 14}" font-size="11" fill="#444">#1 EU–node-sg=relay=node-hcm–VN · #2 EU–node-hcm–VN (direct EU–VN: 140±20 ms, 2 %) · #3 EU–node-sg–VN (80±2 + 15±1 ms)</text>`;
const totalW = panels.length * (W + 20) + 20, totalH = 70 + H + 44;
const title = `<text x="20" y="28" font-size="19" font-weight="700">Visage relay experiment — ${r.startedAt} UTC, ${r.seconds} s per scenario</text>`;
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
