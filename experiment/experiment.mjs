// The relay experiment's driver (started by experiment/run.sh inside the "core" namespace).
// For each scenario: a fresh room, the EU page (ceu namespace) and the VN page (cvn namespace),
// with --people 2 also eu2 (ceu2) and vn2 (cvn2), each loaded from the node its region uses with
// ?node=<id> (js/api.js pins the page to that node), the real join flow of the web client with
// the fake camera and microphone; once every page decodes video and the warm-up has passed,
// getStats of every page every second, the nodes' /metrics every 5 s and the hub's packet trace
// (tests/netns/frame-trace.py) for the measuring window. Writes OUT/results.json and OUT/raw/*;
// progress on stderr.
import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { rest, login, sleep } from '../tests/netns/scenario-lib.mjs';
import { applyTrace, mean, pagesOf, round } from './traced.mjs';

const cfg = JSON.parse(process.env.VISAGE_EXPERIMENT);
const { chromium } = createRequire(join(process.env.NODE_PATH, '..', 'noop.js'))('playwright-core');
const log = (...a) => console.error('[experiment]', ...a);
const SG = cfg.nodes.sg, HCM = cfg.nodes.hcm;
const OUT = cfg.out;

const SCENARIOS = {
  1: { id: 1, title: 'EU → node-sg ⇄ relay ⇄ node-hcm → VN', short: 'EU-SG=relay=HCM-VN', eu: SG, vn: HCM, relay: true },
  2: { id: 2, title: 'EU → node-hcm → VN (direct EU↔VN path)', short: 'EU-HCM-VN', eu: HCM, vn: HCM, relay: false },
  3: { id: 3, title: 'EU → node-sg → VN', short: 'EU-SG-VN', eu: SG, vn: SG, relay: false },
};

const flags = [...(cfg.videoFile ? [`--use-file-for-fake-video-capture=${cfg.videoFile}`] : []), '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required',
  `--unsafely-treat-insecure-origin-as-secure=${SG.url},${HCM.url}`];

async function openPage(client, node, token, username, roomId, open) {
  const dir = mkdtempSync(join(tmpdir(), `visage-exp-${client}-`));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: cfg.clients[client], headless: true, args: flags, ignoreDefaultArgs: ['--headless'] });
  open.push({ ctx, dir });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`[page ${client}] console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => console.error(`[page ${client}] pageerror: ${e.message}`));
  await page.goto(`${node.url}/health`);
  await page.evaluate(([t, u]) => {
    localStorage.setItem('visage.userToken', t);
    localStorage.setItem('visage.user', JSON.stringify({ username: u, displayName: u }));
  }, [token, username]);
  await page.goto(`${node.url}/r/${encodeURIComponent(roomId)}?node=${encodeURIComponent(node.id)}`);
  return page;
}

/** One sample of the page: the WebRTC reports that matter, raw, from Chromium's getStats(). */
const sample = (page) => page.evaluate(async () => {
  const v = window.visage;
  const out = { t: Date.now(), joined: !!(v && v.joined), node: v && v.node ? v.node.id : null };
  const m = v && v.media;
  const keep = new Set(['inbound-rtp', 'outbound-rtp', 'remote-inbound-rtp', 'remote-outbound-rtp', 'transport', 'candidate-pair']);
  const grab = async (pc) => {
    if (!pc) return null;
    const all = [];
    (await pc.getStats()).forEach((r) => { if (keep.has(r.type)) all.push(r); });
    const transport = all.find((r) => r.type === 'transport');
    const selId = transport && transport.selectedCandidatePairId;
    return all.filter((r) => r.type !== 'candidate-pair' || r.id === selId || (!selId && r.nominated && r.state === 'succeeded'));
  };
  if (m) { out.pub = await grab(m.pub); out.sub = await grab(m.sub); }
  return out;
});

const find = (reports, type, kind) => (reports || []).filter((r) => r.type === type && (!kind || r.kind === kind));
const pair = (reports) => (reports || []).find((r) => r.type === 'candidate-pair');
const sum = (rs, f) => rs.reduce((a, r) => a + (r[f] || 0), 0);
const videoIn = (s) => find(s.sub, 'inbound-rtp', 'video');
const framesDecoded = (s) => sum(videoIn(s), 'framesDecoded');

function parseProm(text) {
  const m = {};
  for (const line of String(text).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    const v = Number(line.slice(i + 1));
    if (!Number.isFinite(v)) continue;
    // drop the node and region labels every metric carries; keep the others (peer=...)
    let key = line.slice(0, i);
    const b = key.indexOf('{');
    if (b > 0) {
      const labels = key.slice(b + 1, -1).split(/,(?=[a-zA-Z_]+=)/).filter((l) => !/^(node|region)=/.test(l));
      key = key.slice(0, b) + (labels.length ? `{${labels.join(',')}}` : '');
    }
    m[key] = v;
  }
  return m;
}

async function metrics(node) {
  try { const r = await rest(node.url, 'GET', '/metrics'); return { text: r.text, map: parseProm(r.text), t: Date.now() }; } catch (e) { return { text: `error: ${e.message}`, map: {}, t: Date.now() }; }
}

function switchStats() {
  try { return JSON.parse(readFileSync(cfg.switchStats, 'utf8')); } catch { return { pairs: {} }; }
}

/** Mean RTT (ms) of a candidate pair over the window: STUN requests answered in it. */
function pairRtt(first, last, samples) {
  const a = pair(first), b = pair(last);
  if (a && b && a.id === b.id && (b.responsesReceived - a.responsesReceived) > 0) {
    return { ms: (b.totalRoundTripTime - a.totalRoundTripTime) / (b.responsesReceived - a.responsesReceived) * 1000, responses: b.responsesReceived - a.responsesReceived, how: 'Δtotal/Δresponses' };
  }
  const cur = samples.map((s) => pair(s)).filter(Boolean).map((p) => p.currentRoundTripTime * 1000);
  return { ms: mean(cur), responses: 0, how: 'mean currentRoundTripTime' };
}

/** RTCP RTT (ms) the sender sees for its video, from remote-inbound-rtp (the node's receiver reports). */
function rtcpRtt(firstPub, lastPub) {
  const a = find(firstPub, 'remote-inbound-rtp', 'video')[0], b = find(lastPub, 'remote-inbound-rtp', 'video')[0];
  if (a && b && (b.roundTripTimeMeasurements - a.roundTripTimeMeasurements) > 0) {
    return (b.totalRoundTripTime - a.totalRoundTripTime) / (b.roundTripTimeMeasurements - a.roundTripTimeMeasurements) * 1000;
  }
  return b && Number.isFinite(b.roundTripTime) ? b.roundTripTime * 1000 : null;
}

/** What the receiving page saw of the other page's video over the window. */
function direction(recv, send, relayRttMs) {
  const r0 = recv[0], r1 = recv[recv.length - 1], s0 = send[0], s1 = send[send.length - 1];
  const dt = (r1.t - r0.t) / 1000;
  const d = (f) => sum(videoIn(r1), f) - sum(videoIn(r0), f);
  const bytes = d('bytesReceived'), pkts = d('packetsReceived'), lost = d('packetsLost');
  const jbDelay = d('jitterBufferDelay'), jbCount = d('jitterBufferEmittedCount');
  const jitters = recv.map((s) => { const v = videoIn(s); return v.length ? mean(v.map((r) => r.jitter)) * 1000 : null; });
  const audioJitters = recv.map((s) => { const a = find(s.sub, 'inbound-rtp', 'audio'); return a.length ? mean(a.map((r) => r.jitter)) * 1000 : null; });
  const sendLeg = pairRtt(s0.pub, s1.pub, send.map((s) => s.pub));
  const recvLeg = pairRtt(r0.sub, r1.sub, recv.map((s) => s.sub));
  const last = videoIn(r1)[0] || {};
  const oneWay = sendLeg.ms !== null && recvLeg.ms !== null ? (sendLeg.ms + recvLeg.ms + (relayRttMs || 0)) / 2 : null;
  return {
    seconds: round(dt, 1),
    videoMbps: round(bytes * 8 / dt / 1e6, 3),
    framesPerSecond: round(d('framesDecoded') / dt, 1),
    resolution: last.frameWidth ? `${last.frameWidth}x${last.frameHeight}` : null,
    latencyMs: round(oneWay, 1),
    senderLegRttMs: round(sendLeg.ms, 1), receiverLegRttMs: round(recvLeg.ms, 1), relayLegRttMs: round(relayRttMs, 1),
    senderRtcpRttMs: round(rtcpRtt(s0.pub, s1.pub), 1),
    rttHow: `${sendLeg.how} (${sendLeg.responses}) / ${recvLeg.how} (${recvLeg.responses})`,
    jitterMs: round(mean(jitters), 2),
    jitterMaxMs: round(Math.max(...jitters.filter(Number.isFinite)), 2),
    audioJitterMs: round(mean(audioJitters), 2),
    jitterBufferMs: jbCount > 0 ? round(jbDelay / jbCount * 1000, 1) : null,
    packetsReceived: pkts, packetsLost: lost,
    lossPercent: pkts + lost > 0 ? round(lost / (pkts + lost) * 100, 2) : null,
    nacks: d('nackCount'), plis: d('pliCount'), freezes: d('freezeCount'), freezeSeconds: round(d('totalFreezesDuration'), 2),
    sentVideoMbps: round((sum(find(s1.pub, 'outbound-rtp', 'video'), 'bytesSent') - sum(find(s0.pub, 'outbound-rtp', 'video'), 'bytesSent')) * 8 / ((s1.t - s0.t) / 1000) / 1e6, 3),
    senderTargetMbps: round(mean(send.map((s) => sum(find(s.pub, 'outbound-rtp', 'video'), 'targetBitrate') / 1e6)), 3),
    senderLimitation: (find(s1.pub, 'outbound-rtp', 'video')[0] || {}).qualityLimitationReason || null,
  };
}

const NODE_COUNTERS = ['visage_sfu_rtp_received_total', 'visage_sfu_rtp_forwarded_total', 'visage_sfu_nack_requested_packets_total',
  'visage_sfu_retransmissions_total', 'visage_sfu_nacks_sent_total', 'visage_sfu_recovered_total', 'visage_sfu_pli_sent_total',
  'visage_relay_packets_sent_total', 'visage_relay_packets_received_total', 'visage_relay_bytes_sent_total', 'visage_relay_bytes_received_total'];

function nodeSide(first, last, series) {
  const dt = (last.t - first.t) / 1000;
  const out = { seconds: round(dt, 1), rates: {}, deltas: {}, gauges: {} };
  for (const k of NODE_COUNTERS) {
    if (!(k in last.map)) continue;
    const dv = last.map[k] - (first.map[k] || 0);
    out.deltas[k] = dv;
    out.rates[k.replace(/_total$/, '_per_s')] = round(dv / dt, 1);
  }
  for (const [k, v] of Object.entries(last.map)) {
    if (/rtt|jitter|fraction_lost|packets_lost|legs_ready|_leg_ready|endpoints|^visage_sfu_rooms|streams/.test(k)) out.gauges[k] = v;
  }
  const rtts = series.flatMap((m) => Object.entries(m.map).filter(([k, v]) => k.startsWith('visage_relay_leg_rtt_seconds') && v > 0).map(([, v]) => v * 1000));
  out.relayLegRttMs = round(mean(rtts), 1);
  out.relayLegRttSamples = rtts.length;
  out.relayMbps = 'visage_relay_bytes_sent_total' in out.deltas ? round(out.deltas.visage_relay_bytes_sent_total * 8 / dt / 1e6, 3) : null;
  return out;
}

/**
 * The nodes' own per-stream view (GET /api/rooms/{id}/stats, sampled every 5 s): the mean of each
 * numeric quality field per (node, direction, kind, who) over the window.
 */
function roomStatsSummary(series) {
  const names = {};
  for (const list of Object.values(series)) for (const st of list) for (const x of st.streams) if (x.displayName) names[x.sessionId] = x.displayName;
  const rows = {};
  for (const [node, list] of Object.entries(series)) {
    for (const st of list) {
      for (const x of st.streams) {
        const who = x.direction === 'publish' ? `${names[x.sessionId] || x.sessionId} → ${node}`
          : `${node} → ${names[x.sessionId] || x.sessionId} (from ${names[x.fromSessionId] || x.fromSessionId || '?'}${x.relayed ? ', relayed' : ''})`;
        const key = `${node}|${x.direction}|${x.kind}|${who}`;
        const row = rows[key] || (rows[key] = { node, direction: x.direction, kind: x.kind, who, relayed: !!x.relayed, samples: 0, fields: {} });
        row.samples++;
        for (const [k, v] of Object.entries(x)) {
          if (typeof v !== 'number' || /ssrc|^packets$|^bytes$|packetsLost/i.test(k)) continue;
          (row.fields[k] = row.fields[k] || []).push(v);
        }
      }
    }
  }
  return Object.values(rows).map((r) => ({ ...r, fields: Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, round(mean(v), 3)])) }));
}

function networkDelta(a, b) {
  const out = {};
  for (const [k, v] of Object.entries(b.pairs || {})) {
    const p = (a.pairs || {})[k] || { frames: 0, lost: 0, meanDelayMs: 0 };
    const frames = v.frames - p.frames, lost = v.lost - p.lost;
    if (frames + lost < 20) continue;
    const delaySum = v.meanDelayMs * v.frames - (p.meanDelayMs || 0) * p.frames;
    const lateSum = (v.meanLateMs || 0) * v.frames - (p.meanLateMs || 0) * p.frames;
    out[k] = { frames, lost, lossPercent: round(lost / (frames + lost) * 100, 2), meanDelayMs: round(delaySum / frames, 1), meanLateMs: round(lateSum / frames, 2), configured: v.configured };
  }
  return out;
}

/** The hub's packet trace for the first `seconds` of the window (tests/netns/frame-trace.py). */
function startTrace(file, seconds) {
  return new Promise((resolve) => {
    const p = spawn(cfg.trace, [file, String(seconds)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => { if (code) log(`trace failed (${code}): ${err.trim()}`); resolve(); });
  });
}

/** Per hop, per node and per publisher > subscriber path: what the trace measured. */
function analyseTrace(file) {
  try {
    const out = execFileSync('python3', [cfg.traceTool, 'analyse', file, 'sg,hcm', cfg.linksFile], { maxBuffer: 64 << 20 });
    return JSON.parse(out);
  } catch (e) {
    return { error: String(e.message || e) };
  }
}

const PAGES = pagesOf(cfg.people);

/** What one page received over the window, all its remote video streams together. */
function received(recv) {
  const r0 = recv[0], r1 = recv[recv.length - 1];
  const dt = (r1.t - r0.t) / 1000;
  const d = (f) => sum(videoIn(r1), f) - sum(videoIn(r0), f);
  const pkts = d('packetsReceived'), lost = d('packetsLost'), jbCount = d('jitterBufferEmittedCount');
  const streams = videoIn(r1).length;
  return {
    streams, videoMbps: round(d('bytesReceived') * 8 / dt / 1e6, 3),
    framesPerSecondPerStream: streams ? round(d('framesDecoded') / dt / streams, 1) : null,
    jitterMs: round(mean(recv.map((s) => { const v = videoIn(s); return v.length ? mean(v.map((x) => x.jitter)) * 1000 : null; })), 2),
    jitterBufferMs: jbCount > 0 ? round(d('jitterBufferDelay') / jbCount * 1000, 1) : null,
    lossPercent: pkts + lost > 0 ? round(lost / (pkts + lost) * 100, 2) : null,
    freezes: d('freezeCount'), freezeSeconds: round(d('totalFreezesDuration'), 2),
  };
}

async function runScenario(sc, tokens) {
  const open = [];
  const res = { id: sc.id, title: sc.title, short: sc.short, euNode: sc.eu.id, vnNode: sc.vn.id, people: cfg.people, ok: false };
  const rawFile = join(OUT, 'raw', `scenario-${sc.id}-getstats.jsonl`);
  const nodeOf = (pg) => (pg.region === 'eu' ? sc.eu : sc.vn);
  try {
    const room = await rest(SG.url, 'POST', '/api/rooms', { name: `Experiment ${sc.id}` }, tokens.eu);
    if (room.status !== 201) throw new Error(`room: ${room.status} ${room.text}`);
    const roomId = room.json.roomId;
    res.roomId = roomId;
    log(`scenario ${sc.id}: ${sc.title}; room ${roomId}; ${PAGES.length} pages`);
    const pages = [];
    for (const pg of PAGES) pages.push(await openPage(pg.client, nodeOf(pg), tokens[pg.key], pg.user, roomId, open));
    const sampleAll = () => Promise.all(pages.map((p) => sample(p)));
    // joined, on the intended nodes (the page's view and the server's view)
    const t0 = Date.now();
    for (;;) {
      const ss = await Promise.all(pages.map((p) => sample(p).catch(() => null)));
      if (ss.every((x) => x && x.joined)) {
        res.pageNodes = Object.fromEntries(PAGES.map((pg, i) => [pg.key, ss[i].node]));
        break;
      }
      if (Date.now() - t0 > 60000) throw new Error('pages did not join within 60 s');
      await sleep(500);
    }
    const members = (await rest(SG.url, 'GET', `/api/rooms/${roomId}`, undefined, tokens.eu)).json.members || [];
    res.serverNodes = members.map((m) => m.nodeId);
    const wrong = PAGES.filter((pg) => res.pageNodes[pg.key] !== nodeOf(pg).id);
    if (wrong.length) {
      throw new Error(`pages on the wrong nodes: ${wrong.map((pg) => `${pg.key} on ${res.pageNodes[pg.key]} (want ${nodeOf(pg).id})`).join(', ')}; is ?node= in js/api.js deployed?`);
    }
    log(`scenario ${sc.id}: joined in ${Date.now() - t0} ms; pages on ${PAGES.map((pg) => `${pg.key} ${res.pageNodes[pg.key]}`).join(', ')}; server: ${res.serverNodes.join(', ')}`);
    // Keep the resolution, give up frame rate instead: with the noise camera, Chromium's QP-based
    // quality scaler would otherwise fall to 320x240 and its 0.6 Mbit/s ceiling, whatever the path.
    const keepResolution = (page) => page.evaluate(async (pref) => {
      const s = window.visage.media && window.visage.media.senders && window.visage.media.senders.video;
      if (!s) return null;
      const p = s.getParameters();
      p.degradationPreference = pref;
      try { await s.setParameters(p); } catch (e) { return `error: ${e.message}`; }
      return s.getParameters().degradationPreference || pref;
    }, cfg.degradation);
    res.degradationPreference = {};
    // every page decodes video
    const t1 = Date.now();
    for (;;) {
      if (cfg.degradation) {
        for (const [i, pg] of PAGES.entries()) res.degradationPreference[pg.key] = res.degradationPreference[pg.key] || await keepResolution(pages[i]);
      }
      const ss = await sampleAll();
      if (ss.every((x) => framesDecoded(x) > 0)) break;
      if (Date.now() - t1 > 60000) {
        res.framesAtTimeout = Object.fromEntries(PAGES.map((pg, i) => [pg.key, framesDecoded(ss[i])]));
        for (const n of [SG, HCM]) writeFileSync(join(OUT, 'raw', `scenario-${sc.id}-metrics-${n.id}-failed.txt`), (await metrics(n)).text);
        throw new Error(`no video decoded within 60 s (frames decoded: ${JSON.stringify(res.framesAtTimeout)})${sc.relay ? ': the relay did not deliver' : ''}`);
      }
      await sleep(500);
    }
    res.firstVideoMs = Date.now() - t1;
    log(`scenario ${sc.id}: every page decodes video after ${res.firstVideoMs} ms; warm-up ${cfg.warmup} s`);
    await sleep(cfg.warmup * 1000);

    // measuring window
    const series = PAGES.map(() => []), mSeries = { [SG.id]: [], [HCM.id]: [] }, rsSeries = { [SG.id]: [], [HCM.id]: [] };
    const [eu, vn] = series;
    const net0 = switchStats();
    const load0 = loadavg()[0];
    const traceFile = join(OUT, 'logs', `scenario-${sc.id}-trace.bin`);
    const traceSeconds = Math.min(cfg.traceSeconds, cfg.seconds);
    const tracing = traceSeconds > 0 ? startTrace(traceFile, traceSeconds) : null;
    const start = Date.now(), end = start + cfg.seconds * 1000;
    let nextMetrics = 0, nextLog = start + 10000;
    for (let tick = 0; ; tick++) {
      const now = Date.now();
      if (now >= nextMetrics || now >= end) {
        for (const n of [SG, HCM]) {
          mSeries[n.id].push(await metrics(n));
          const st = await rest(n.url, 'GET', `/api/rooms/${roomId}/stats`, undefined, tokens.eu).catch(() => null);
          if (st && st.json && Array.isArray(st.json.streams)) {
            rsSeries[n.id].push(st.json);
            appendFileSync(join(OUT, 'raw', `scenario-${sc.id}-roomstats-${n.id}.jsonl`), JSON.stringify({ t: Date.now(), ...st.json }) + '\n');
          }
        }
        nextMetrics = now + 5000;
      }
      const ss = await sampleAll();
      ss.forEach((x, i) => series[i].push(x));
      appendFileSync(rawFile, JSON.stringify(Object.fromEntries(PAGES.map((pg, i) => [pg.key, ss[i]]))) + '\n');
      if (now >= end) break;
      if (now >= nextLog) {
        const rate = (xs) => { const k = Math.max(0, xs.length - 11); const s0 = xs[k], s1 = xs[xs.length - 1]; return ((sum(videoIn(s1), 'bytesReceived') - sum(videoIn(s0), 'bytesReceived')) * 8 / ((s1.t - s0.t) / 1000) / 1e6).toFixed(2); };
        const rtt = (s) => { const p = pair(s); return p ? Math.round(p.currentRoundTripTime * 1000) : '?'; };
        log(`scenario ${sc.id}: ${Math.round((now - start) / 1000)}/${cfg.seconds} s  video in: ${PAGES.map((pg, i) => `${pg.key} ${rate(series[i])}`).join(', ')} Mbit/s; leg RTT ${PAGES.map((pg, i) => `${pg.key} ${rtt(ss[i].pub)}`).join(', ')} ms; load ${loadavg()[0].toFixed(1)}`);
        nextLog = now + 10000;
      }
      await sleep(Math.max(0, start + (tick + 1) * 1000 - Date.now()));
    }
    const net1 = switchStats();
    res.network = networkDelta(net0, net1);
    if (tracing) {
      await tracing;
      res.trace = analyseTrace(traceFile);
      res.trace.seconds = traceSeconds;
      writeFileSync(join(OUT, 'raw', `scenario-${sc.id}-trace.json`), JSON.stringify(res.trace, null, 1));
    }
    res.load = { start: round(load0, 2), end: round(loadavg()[0], 2) };
    res.nodes = {};
    for (const n of [SG, HCM]) {
      const s = mSeries[n.id];
      res.nodes[n.id] = nodeSide(s[0], s[s.length - 1], s);
      writeFileSync(join(OUT, 'raw', `scenario-${sc.id}-metrics-${n.id}-start.txt`), s[0].text);
      writeFileSync(join(OUT, 'raw', `scenario-${sc.id}-metrics-${n.id}-end.txt`), s[s.length - 1].text);
      res.nodes[n.id].roomStatsLast = rsSeries[n.id].length ? rsSeries[n.id][rsSeries[n.id].length - 1] : null;
    }
    res.roomStats = roomStatsSummary(rsSeries);
    const relayRtt = sc.relay ? mean([res.nodes[SG.id].relayLegRttMs, res.nodes[HCM.id].relayLegRttMs]) : null;
    res.relayLegRttMs = round(relayRtt, 1);
    if (cfg.people === 2) {
      res.pages = Object.fromEntries(PAGES.map((pg, i) => [pg.key, received(series[i])]));
      applyTrace(res, res.trace, PAGES);
      res.ok = true;
      log(`scenario ${sc.id}: done. ${Object.entries(res.classes).map(([k, c]) => `${k} ${c.oneWayMs} ms (network ${c.configuredMs}) jitter ${c.jitterMs} ms`).join('; ')}`);
    } else {
      // vn page receives the EU peer's video and vice versa
      res.euToVn = direction(vn, eu, relayRtt);
      res.vnToEu = direction(eu, vn, relayRtt);
      applyTrace(res, res.trace, PAGES);
      res.ok = true;
      const traced = (d) => (d.traced.video ? `, traced ${d.traced.video.oneWayMs.mean} ms (network ${d.traced.video.configuredMs}) jitter ${d.traced.video.jitterMs} ms` : '');
      log(`scenario ${sc.id}: done. EU→VN ${res.euToVn.videoMbps} Mbit/s ${res.euToVn.latencyMs} ms jitter ${res.euToVn.jitterMs} ms loss ${res.euToVn.lossPercent}%${traced(res.euToVn)}; `
        + `VN→EU ${res.vnToEu.videoMbps} Mbit/s ${res.vnToEu.latencyMs} ms jitter ${res.vnToEu.jitterMs} ms loss ${res.vnToEu.lossPercent}%${traced(res.vnToEu)}`);
    }
  } catch (e) {
    res.error = String((e && e.message) || e);
    log(`scenario ${sc.id} FAILED: ${res.error}`);
  } finally {
    for (const o of open) { await o.ctx.close().catch(() => {}); rmSync(o.dir, { recursive: true, force: true }); }
  }
  return res;
}

const result = { run: cfg.run, people: cfg.people, startedAt: cfg.startedAt, video: cfg.video, degradation: cfg.degradation, seconds: cfg.seconds, warmup: cfg.warmup, order: cfg.scenarios, scenarios: {} };
try {
  const password = 'experiment-pass-123';
  const tokens = {};
  for (const pg of PAGES) tokens[pg.key] = await login(SG.url, pg.user, password);
  result.nodesSeen = (await rest(SG.url, 'GET', '/api/nodes')).json;
  for (const id of cfg.scenarios) {
    result.scenarios[id] = await runScenario(SCENARIOS[id], tokens);
    writeFileSync(join(OUT, 'results.json'), JSON.stringify(result, null, 2));
    await sleep(3000); // sessions of the closed pages leave the room
  }
} catch (e) {
  result.error = String((e && e.stack) || e);
  log('FAILED:', result.error);
}
result.finishedAt = new Date().toISOString();
writeFileSync(join(OUT, 'results.json'), JSON.stringify(result, null, 2));
log('results.json written');
