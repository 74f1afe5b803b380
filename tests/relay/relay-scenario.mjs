// Relay scenario driver (started by relay-scenario.sh inside the "core" namespace). Prints one
// JSON verdict on stdout; progress and [figure] lines go to stderr.
//   alice (client namespace ca, camera+mic) joins through node a; bob (cb, camera+mic) and three
//   receive-only viewers (cb, no devices) join through node b; one room.
//   Checks, from Chromium's own getStats and the nodes' /metrics:
//   - alice decodes bob's video and bob alice's: video plays (scenario-lib's plays(): >= 3 fps
//     over SECONDS s), frame size > 0; audio packets received rise on both;
//   - every viewer decodes alice's video (relayed once, fanned out on node b);
//   - relayed streams: node a sends exactly 2 (alice's tracks) and node b exactly 2 (bob's),
//     one leg each, whatever the number of viewers on node b;
//   - simulcast across the relay (farLayers): a thumbnail on node b gets alice's small layer, and
//     viewer1 (client namespace cc) under a 300 kbit/s downlink cap gets the small layers of
//     alice's (relayed) and bob's (local) cameras, keeps decoding both, and climbs back once lifted;
//   - when everyone on node b has left, both nodes close the leg.
import { execFileSync } from 'node:child_process';
import { browsers, capWindowCounters, climbTrace, inbound, login, plays, rest, sleep, subscriberDetail, sum, view, waitFor as waitForLogged } from '../netns/scenario-lib.mjs';

const cfg = JSON.parse(process.env.VISAGE_SCENARIO);
const log = (...a) => console.error('[driver]', ...a);
const A = cfg.nodes.a, B = cfg.nodes.b;
const result = { ok: false, run: cfg.run, mode: cfg.mode, delays: cfg.delays, startupMs: cfg.startupMs, figures: [], checks: {} };
const figure = (line) => { result.figures.push(line); console.error(`[figure] ${line}`); };
const check = (name, ok, detail) => { result.checks[name] = { ok: !!ok, detail }; log(ok ? 'PASS' : 'FAIL', name, JSON.stringify(detail)); };
const waitFor = (what, fn, timeoutMs) => waitForLogged(what, fn, timeoutMs, log);

/** /metrics as {name -> value} for the relay series (labels other than peer dropped). */
async function metrics(node) {
  const r = await rest(node.url, 'GET', '/metrics');
  const out = {};
  for (const line of String(r.text).split('\n')) {
    const m = line.match(/^(visage_(?:relay|sfu)_[a-z_]+)(\{[^}]*\})? (\S+)$/);
    if (!m) continue;
    const peer = m[2] && m[2].match(/peer="([^"]+)"/);
    out[m[1] + (peer ? `{${peer[1]}}` : '')] = Number(m[3]);
  }
  return out;
}

const { openPage, close } = browsers({ clients: cfg.clients, origins: [A.url, B.url], prefix: 'visage-relay', log });

try {
  const password = 'relay-pass-123';
  const names = ['alice', 'bob', ...Array.from({ length: cfg.viewers }, (_, i) => `viewer${i + 1}`)];
  const tokens = {};
  for (const n of names) tokens[n] = await login(A.url, n, password);
  const room = await rest(A.url, 'POST', '/api/rooms', { name: 'Relay' }, tokens.alice);
  if (room.status !== 201) throw new Error(`room: ${room.status}`);
  const roomId = room.json.roomId;
  log('room', roomId);

  const t0 = Date.now();
  const alice = await openPage('alice', 'ca', A, tokens.alice, roomId, true);
  const bob = await openPage('bob', 'cb', B, tokens.bob, roomId, true);
  const viewers = [];
  // viewer1 alone in client namespace cc, whose downlink farLayers caps
  for (let i = 1; i <= cfg.viewers; i++) viewers.push(await openPage(`viewer${i}`, i === 1 ? 'cc' : 'cb', B, tokens[`viewer${i}`], roomId, false));
  const all = [alice, bob, ...viewers];
  for (const p of all) p.view = await waitFor(`${p.name} joined`, async () => { const v = await view(p); return v && v.joined ? v : null; }, 60000);
  check('aliceOnNodeA', alice.view.node === A.id, alice.view);
  check('bobAndViewersOnNodeB', [bob, ...viewers].every((p) => p.view.node === B.id), [bob, ...viewers].map((p) => p.view.node));

  // first frames across the relay
  await waitFor('video decoded on every page', async () => {
    const s = await Promise.all(all.map(inbound));
    return s.every((rs) => sum(rs, 'video', 'framesDecoded') > 0) ? s : null;
  }, 45000);
  figure(`first relayed frames decoded on all ${all.length} pages ${Date.now() - t0} ms after the first page opened`);

  const before = await Promise.all(all.map(inbound));
  const m0 = { a: await metrics(A), b: await metrics(B) };
  const tWindow = Date.now();
  if (cfg.midCall) {
    // the cluster backend goes away and comes back inside the measured window: media must not notice
    const [command, ...args] = cfg.midCall.split(' ');
    let midCallError = null;
    try { execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 }); } catch (e) { midCallError = String(e.stderr || e.message); }
    const outageSeconds = (Date.now() - tWindow) / 1000;
    check('clusterBackendRestartedMidCall', !midCallError, midCallError || `${Math.round(outageSeconds * 1000)} ms`);
    // every page kept decoding every remote video while the backend was down (and coming back)
    const during = await Promise.all(all.map(inbound));
    const decoded = all.map((p, i) => sum(during[i], 'video', 'framesDecoded') - sum(before[i], 'video', 'framesDecoded'));
    figure(`cluster backend killed and restarted in the call: frames decoded per page meanwhile (${outageSeconds.toFixed(1)} s): ${all.map((p, i) => `${p.name} +${decoded[i]}`).join(', ')}`);
    check('videoPlaysWhileTheBackendIsDown', decoded.every((d, i) => plays(d, outageSeconds, i < 2 ? 1 : 2)), decoded);
  }
  await sleep(Math.max(0, cfg.seconds * 1000 - (Date.now() - tWindow)));
  const after = await Promise.all(all.map(inbound));
  const m1 = { a: await metrics(A), b: await metrics(B) };

  const delta = (i, kind, f) => sum(after[i], kind, f) - sum(before[i], kind, f);
  const pageStats = all.map((p, i) => ({
    page: p.name, node: p.view.node,
    videoStreams: after[i].filter((r) => r.kind === 'video').length, audioStreams: after[i].filter((r) => r.kind === 'audio').length,
    framesDecodedDelta: delta(i, 'video', 'framesDecoded'), audioPacketsDelta: delta(i, 'audio', 'packetsReceived'),
    videoPacketsDelta: delta(i, 'video', 'packetsReceived'), videoPacketsLost: sum(after[i], 'video', 'packetsLost'),
    nackCount: sum(after[i], 'video', 'nackCount'), pliCount: sum(after[i], 'video', 'pliCount'),
    frame: after[i].filter((r) => r.kind === 'video').map((r) => `${r.frameWidth}x${r.frameHeight}`).join(','),
  }));
  result.pages = pageStats;
  for (const s of pageStats) {
    figure(`${s.page} (${s.node}): ${s.videoStreams} video/${s.audioStreams} audio inbound; in ${cfg.seconds} s framesDecoded +${s.framesDecodedDelta}, `
      + `video packets +${s.videoPacketsDelta} (lost ${s.videoPacketsLost}, NACKs ${s.nackCount}, PLIs ${s.pliCount}), audio packets +${s.audioPacketsDelta}, frame ${s.frame}`);
  }
  const [sa, sb, ...sv] = pageStats;
  check('aliceDecodesBob', sa.videoStreams === 1 && plays(sa.framesDecodedDelta, cfg.seconds) && /^[1-9]/.test(sa.frame), sa);
  check('bobDecodesAlice', sb.videoStreams === 1 && plays(sb.framesDecodedDelta, cfg.seconds) && /^[1-9]/.test(sb.frame), sb);
  check('aliceHearsBob', sa.audioStreams === 1 && sa.audioPacketsDelta > 0, sa.audioPacketsDelta);
  check('bobHearsAlice', sb.audioStreams === 1 && sb.audioPacketsDelta > 0, sb.audioPacketsDelta);
  check('viewersDecodeBoth', sv.every((s) => s.videoStreams === 2 && plays(s.framesDecodedDelta, cfg.seconds, 2)), sv.map((s) => s.framesDecodedDelta));

  // once per track and node pair
  const r = { a: m1.a, b: m1.b };
  result.metrics = r;
  check('nodeARelaysAlicesTwoTracksOnce', r.a.visage_relay_streams_out === 2 && r.a.visage_relay_legs === 1, { streamsOut: r.a.visage_relay_streams_out, legs: r.a.visage_relay_legs });
  check('nodeBRelaysBobsTwoTracksOnce', r.b.visage_relay_streams_out === 2 && r.b.visage_relay_legs === 1, { streamsOut: r.b.visage_relay_streams_out, legs: r.b.visage_relay_legs });
  check('streamsInMatch', r.a.visage_relay_streams_in === 2 && r.b.visage_relay_streams_in === 2, { a: r.a.visage_relay_streams_in, b: r.b.visage_relay_streams_in });
  for (const [k, node, peer] of [['a', A, B], ['b', B, A]]) {
    const p = `{${peer.id}}`;
    const sent = m1[k][`visage_relay_leg_packets_sent_total${p}`] - (m0[k][`visage_relay_leg_packets_sent_total${p}`] || 0);
    const bytes = m1[k][`visage_relay_leg_bytes_sent_total${p}`] - (m0[k][`visage_relay_leg_bytes_sent_total${p}`] || 0);
    const recv = m1[k][`visage_relay_leg_packets_received_total${p}`] - (m0[k][`visage_relay_leg_packets_received_total${p}`] || 0);
    figure(`${node.id} -> ${peer.id} leg: ${sent} packets / ${Math.round(bytes * 8 / cfg.seconds / 1000)} kbit/s sent and ${recv} received in ${cfg.seconds} s; `
      + `RTT ${(Number(m1[k][`visage_relay_leg_rtt_seconds${p}`]) * 1000).toFixed(1)} ms; loss reported by peer ${m1[k][`visage_relay_leg_packets_lost_sent${p}`]} packets; `
      + `PLIs in/out ${m1[k][`visage_relay_leg_plis_received_total${p}`]}/${m1[k][`visage_relay_leg_plis_sent_total${p}`]}; `
      + `NACKs in/out ${m1[k][`visage_relay_leg_nacks_received_total${p}`]}/${m1[k][`visage_relay_leg_nacks_sent_total${p}`]}; `
      + `SRTP drops ${m1[k][`visage_relay_leg_dropped_srtp_total${p}`]}`);
  }
  const fwdA = m1.a.visage_sfu_rtp_forwarded_total - m0.a.visage_sfu_rtp_forwarded_total;
  const fwdB = m1.b.visage_sfu_rtp_forwarded_total - m0.b.visage_sfu_rtp_forwarded_total;
  figure(`RTP forwarded to subscribers in ${cfg.seconds} s: node a ${fwdA}, node b ${fwdB} (b fans each relayed packet out to ${1 + cfg.viewers} local subscribers)`);

  if (viewers.length >= 3) await farLayers(bob, viewers, roomId, tokens.viewer1);

  // tear-down: everyone on node b leaves; both nodes drop the leg
  const tLeave = Date.now();
  for (const p of [bob, ...viewers]) await p.ctx.close().catch(() => {});
  const gone = await waitFor('leg closed on both nodes', async () => {
    const a = await metrics(A), b = await metrics(B);
    return a.visage_relay_legs === 0 && b.visage_relay_legs === 0 && a.visage_relay_streams_out === 0 ? { a, b } : null;
  }, 30000).catch((e) => ({ error: e.message }));
  check('legClosedWhenFarSideLeft', !gone.error, gone.error || `${Date.now() - tLeave} ms`);
  if (!gone.error) figure(`relay leg closed on both nodes ${Date.now() - tLeave} ms after the last page on node b closed`);

  result.ok = Object.values(result.checks).every((c) => c.ok);
} catch (e) {
  result.error = String(e && e.stack || e);
  log(result.error);
} finally {
  await close();
}
console.log(JSON.stringify(result));

/**
 * Simulcast across the relay, from the far pages' own getStats (frameWidth of the camera each tile
 * shows): alice's camera crosses to node b as its layers, and each page there gets the layer
 * its own tile and downlink call for, as on alice's node.
 *   thumbnail: viewer2 shrinks alice's tile to 160 px wide: <= 320 from alice, decoding on; bob
 *     and viewer3 sampled meanwhile (the share at >= 640 is a figure), then at >= 640 again;
 *   cap: viewer1's downlink is capped at 300 kbit/s: <= 320 from both cameras (alice's relayed,
 *     bob's local; in 80 % of the samples and at the end), frames of both decoded in every 2 s
 *     window of 6 s; bob and viewer3 sampled meanwhile (a figure), then at >= 640 again;
 *     lifted, viewer1 climbs back to >= 640 from both.
 * The others are not held to >= 640 throughout: on this 2-core machine node b's estimate of an
 * uncapped page fell to 0.8-1.1 Mbit/s at times and alice's camera reached it at 320 (8 of 19
 * samples in one CI run); the first such moment keeps the nodes' view of the layers in the figure.
 * Waits up to a minute for each change (a minute means "never"); the times are figures.
 */
async function farLayers(bob, [capped, thumb, free], roomId, token) {
  const CAP_KBPS = 300;
  const camera = (rs, from) => rs.find((x) => x.kind === 'video' && x.from === from)
    || { frameWidth: 0, framesDecoded: 0, packetsReceived: 0, packetsLost: 0 };
  const widths = async (p, from) => { const rs = await inbound(p); return from.map((n) => camera(rs, n)); };
  // a node's view: the simulcast layers published there (rid, size, bitrate) and each consumer's layer and estimate
  const nodeLayers = async (node = B) => {
    const st = await rest(node.url, 'GET', `/api/rooms/${roomId}/stats`, undefined, token);
    const streams = (st.json && (st.json.streams || st.json)) || [];
    return Array.isArray(streams) ? streams.filter((x) => x.layer !== undefined || x.rid)
      .map((x) => x.rid ? `${x.sessionId.slice(0, 6)} ${x.rid} ${x.width}x${x.height} ${Math.round(x.bitrateBps / 1000)} kbit/s`
        : `${x.sessionId.slice(0, 6)}<-${x.fromSessionId.slice(0, 6)}${x.relayed ? ' (relayed)' : ''} layer ${x.layer}`
          + `${x.maxTemporalLayer === undefined ? '' : `/t${x.maxTemporalLayer}`} est ${x.estimateBps}`) : st.text;
  };
  const until = (p, from, ok, what) => waitFor(what, async () => {
    const vs = await widths(p, from);
    return vs.every((v) => ok(v.frameWidth)) ? vs : null;
  }, 60000).catch(async (e) => {
    log(`${p.name} at the timeout: ${JSON.stringify(await widths(p, from))}; node b's layers: ${JSON.stringify(await nodeLayers())}`);
    throw e;
  });
  const high = (w) => w >= 640;
  const low = (w) => w > 0 && w <= 320;
  const tileWidth = (p, name, px) => p.page.evaluate(({ name, px }) => {
    const sid = window.visage.members.find((m) => m.displayName === name).sessionId;
    const tile = document.querySelector(`.tile[data-session-id="${CSS.escape(sid)}"]`);
    Object.assign(tile.style, px ? { width: `${px}px`, height: `${Math.round(px * 9 / 16)}px`, flex: 'none', alignSelf: 'center' }
      : { width: '', height: '', flex: '', alignSelf: '' });
  }, { name, px });
  const cap = (kbps) => execFileSync(cfg.netns, ['rate-cap', cfg.run, 'cc', String(kbps)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const cameras = ['alice', 'bob'];
  const estimate = async () => {
    const st = await rest(B.url, 'GET', `/api/rooms/${roomId}/stats`, undefined, token);
    const session = (await view(capped)).sessionId;
    const mine = ((st.json && (st.json.streams || st.json)) || []).filter((x) => x.direction === 'subscribe' && x.sessionId === session);
    return { estimateBps: mine.length ? mine[0].estimateBps : null, ackedBps: mine.length ? mine[0].estimateAckedBps : null,
      layers: mine.filter((x) => x.layer !== undefined).map((x) => `${x.layer}${x.maxTemporalLayer === undefined ? '' : `/t${x.maxTemporalLayer}`}`).join(' '),
      detail: subscriberDetail(mine) };
  };
  /**
   * One round: cap, wait for <= 320 from both cameras, 6 s in 2 s windows (sampled every 250 ms),
   * lift, wait for >= 640 from both. Times and the longest stretch without a new frame of one
   * camera (cap to climb back) as ./visage bench bwe reports them.
   */
  const capRound = async () => {
    const samples = [];
    const sample = async () => {
      const vs = await widths(capped, cameras);
      samples.push({ t: Date.now(), vs });
      return vs;
    };
    const sampleUntil = (ok, what) => waitFor(what, async () => { const vs = await sample(); return vs.every((v) => ok(v.frameWidth)) ? vs : null; }, 60000)
      .catch(async (e) => {
        log(`${capped.name} at the timeout: ${JSON.stringify(samples[samples.length - 1])}; node b: ${JSON.stringify(await nodeLayers())}`);
        throw e;
      });
    await sample();
    cap(CAP_KBPS);
    let t = Date.now();
    await sampleUntil(low, `${capped.name} down to <= 320 wide from both cameras under the ${CAP_KBPS} kbit/s cap`);
    const round = { switchDownMs: Date.now() - t, framesPer2sWindow: [], others: {} };
    const start = await sample();
    let last = start, lowSamples = 0, windowSamples = 0;
    // node b's view of the capped page once per 2 s window: why a round loses (estimate, probes, layers)
    round.capTrace = [];
    const sinceLastWindow = await capWindowCounters(cfg.netns, cfg.run, B.url);
    for (let w = 0; w < 3; w++) {
      const from = last;
      const end = Date.now() + 2000;
      while (Date.now() < end) {
        await sleep(250);
        last = await sample();
        windowSamples++;
        if (last.every((v) => low(v.frameWidth))) lowSamples++;
        await watchOthers(round.others, [bob, free]);
      }
      round.framesPer2sWindow.push(last.map((v, k) => v.framesDecoded - from[k].framesDecoded));
      round.capTrace.push(`window ${w + 1}: lost ${last.map((v, k) => v.packetsLost - from[k].packetsLost).join('/')} of `
        + `${last.map((v, k) => v.packetsReceived - from[k].packetsReceived).join('/')} received, node b: ${await sinceLastWindow()}; `
        + (await estimate()).detail);
    }
    const seconds = (samples[samples.length - 1].t - samples[samples.length - 1 - windowSamples].t) / 1000;
    const lost = last.reduce((n, v, k) => n + v.packetsLost - start[k].packetsLost, 0);
    const received = last.reduce((n, v, k) => n + v.packetsReceived - start[k].packetsReceived, 0);
    round.cappedLossPct = 100 * lost / Math.max(1, received + lost);
    if (round.cappedLossPct >= 1) log(`${round.cappedLossPct.toFixed(2)} % lost under the cap; node b per 2 s window:\n  ${round.capTrace.join('\n  ')}`);
    round.cappedLowShare = lowSamples / Math.max(1, windowSamples);
    round.cappedFrameWidths = last.map((v) => v.frameWidth);
    round.fps = { [capped.name]: last.map((v, k) => +((v.framesDecoded - start[k].framesDecoded) / seconds).toFixed(1)) };
    round.othersWidths = { bob: [(await widths(bob, ['alice']))[0].frameWidth], [free.name]: [(await widths(free, ['alice']))[0].frameWidth] };
    round.node = await estimate();
    cap('off');
    t = Date.now();
    const climb = climbTrace(async () => `widths ${samples[samples.length - 1].vs.map((v) => v.frameWidth).join('/')}; ${(await estimate()).detail}`);
    const back = await sampleUntil(high, `${capped.name} back to >= 640 wide from both cameras once the cap is lifted`)
      .finally(async () => { round.climbTrace = await climb.stop(); });
    round.climbBackMs = Date.now() - t;
    if (round.climbBackMs > 10000) log(`slow climb back (${round.climbBackMs} ms), node b once a second:\n  ${round.climbTrace.join('\n  ')}`);
    round.liftedWidths = back.map((v) => v.frameWidth);
    round.nodeLifted = await estimate();
    round.longestFreezeMs = 0;
    for (let c = 0; c < cameras.length; c++) {
      let since = samples[0].t;
      for (let k = 1; k < samples.length; k++) {
        if (samples[k].vs[c].framesDecoded > samples[k - 1].vs[c].framesDecoded) since = samples[k].t;
        else round.longestFreezeMs = Math.max(round.longestFreezeMs, samples[k].t - since);
      }
    }
    // the other pages: their share of samples at >= 640 is a figure (on this 2-core machine node
    // b's estimate of an uncapped page fell to 0.8-1.1 Mbit/s at times, and it got alice at 320);
    // what must hold is that they decode her at >= 640 again (a minute means "never")
    for (const p of [bob, free]) await until(p, ['alice'], high, `${p.name} decodes alice at >= 640 again after the capped round`);
    round.ok = round.cappedLowShare >= 0.8 && round.cappedFrameWidths.every(low)
      && round.framesPer2sWindow.every((w) => w.every((f) => f > 0));
    return round;
  };
  /**
   * Samples the pages not under test (bob, and `free` for the thumbnail step) decoding alice's
   * camera into tally (samples, at >= 640, narrowest); the first time one is below 640 the nodes'
   * view of the layers is kept, to tell why.
   */
  const watchOthers = async (tally, pages) => {
    const ws = await Promise.all(pages.map(async (p) => (await widths(p, ['alice']))[0].frameWidth));
    tally.samples = (tally.samples || 0) + 1;
    tally.high = (tally.high || 0) + (ws.every(high) ? 1 : 0);
    tally.narrowest = Math.min(tally.narrowest ?? Infinity, ...ws);
    if (!ws.every(high) && !tally.layersWhenNarrow) tally.layersWhenNarrow = { widths: ws, a: await nodeLayers(A), b: await nodeLayers(B) };
  };
  const out = {};
  try {
    for (const p of [capped, thumb, free]) await until(p, ['alice'], high, `${p.name} decodes alice's relayed camera at >= 640 wide`);
    // a thumbnail of the relayed camera
    await tileWidth(thumb, 'alice', 160);
    let t = Date.now();
    const small = await until(thumb, ['alice'], low, `${thumb.name}'s thumbnail of alice down to <= 320 wide`);
    out.thumbnail = { downMs: Date.now() - t, frameWidth: small[0].frameWidth };
    // 4 s at the thumbnail size, the others sampled meanwhile
    out.thumbnail.others = {};
    for (const end = Date.now() + 4000; Date.now() < end;) {
      await sleep(250);
      await watchOthers(out.thumbnail.others, [bob, free]);
    }
    const [after] = await widths(thumb, ['alice']);
    out.thumbnail.framesIn4s = after.framesDecoded - small[0].framesDecoded;
    out.thumbnail.frameWidthAfter4s = after.frameWidth;
    await tileWidth(thumb, 'alice', 0);
    const others = out.thumbnail.others;
    for (const p of [bob, free]) await until(p, ['alice'], high, `${p.name} decodes alice at >= 640 after the thumbnail step`);
    check('farThumbnailGetsTheRelayedLowLayer', low(after.frameWidth) && plays(out.thumbnail.framesIn4s, 4), out.thumbnail);
    figure(`across the relay: ${thumb.name}'s thumbnail of alice down to ${out.thumbnail.frameWidth} wide after ${out.thumbnail.downMs} ms, `
      + `${out.thumbnail.framesIn4s} frames in 4 s at ${after.frameWidth}; bob and ${free.name} meanwhile at >= 640 in ${others.high}/${others.samples} `
      + `samples (narrowest ${others.narrowest})${others.layersWhenNarrow ? `; layers when narrow ${JSON.stringify(others.layersWhenNarrow)}` : ''}`);

    // a capped downlink on the far node, cfg.capRounds times (./visage bench bwe --far: several)
    await until(capped, cameras, high, `${capped.name} decodes both cameras at >= 640 wide`);
    out.capped = { capKbps: CAP_KBPS, rounds: [] };
    for (let r = 0; r < cfg.capRounds; r++) {
      const round = await capRound();
      out.capped.rounds.push(round);
      figure(`across the relay: ${capped.name}'s downlink capped at ${CAP_KBPS} kbit/s: alice (relayed) and bob (local) down to `
        + `${JSON.stringify(round.cappedFrameWidths)} wide ${round.switchDownMs} ms after the cap (node b's estimate ${round.node.estimateBps} bit/s, `
        + `layers ${round.node.layers}); frames per 2 s window ${JSON.stringify(round.framesPer2sWindow)}, ${Math.round(100 * round.cappedLowShare)} % `
        + `of the samples at <= 320, loss ${round.cappedLossPct.toFixed(2)} %, fps ${JSON.stringify(round.fps)}; bob and ${free.name} meanwhile `
        + `decode alice at >= 640 in ${round.others.high}/${round.others.samples} samples (narrowest ${round.others.narrowest}, at the end `
        + `${JSON.stringify(round.othersWidths)}); lifted: back to ${JSON.stringify(round.liftedWidths)} after `
        + `${round.climbBackMs} ms; longest freeze ${round.longestFreezeMs} ms${round.ok ? '' : '  <-- FAIL'}`
        + `${round.others.layersWhenNarrow ? `; layers when narrow ${JSON.stringify(round.others.layersWhenNarrow)}` : ''}`);
    }
    check('farCappedPageGetsTheLowLayers', out.capped.rounds.every((r) => r.ok), out.capped.rounds);
    check('farCappedPageClimbsBack', out.capped.rounds.every((r) => r.liftedWidths.every(high)), out.capped.rounds.map((r) => r.climbBackMs));
  } catch (e) {
    out.error = e.message;
    check('farLayersCompleted', false, out);
    cap('off');
  }
  result.farLayers = out;
}
