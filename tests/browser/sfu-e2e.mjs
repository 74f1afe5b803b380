// Drives N headless Chromium pages against the SFU test harness and prints a JSON verdict built
// from Chromium's own getStats(). Usage: node sfu-e2e.mjs BASE_URL PAGES SECONDS
import { harnessPages, video } from './harness-pages.mjs';

const base = process.argv[2] || 'http://localhost:8089';
const pages = parseInt(process.argv[3] || '3', 10);
const seconds = parseInt(process.argv[4] || '10', 10);
const log = (...a) => console.error('[e2e]', ...a);
// Video "plays" at >= 3 fps on average: the fake camera sends 30, a busy 2-core machine makes
// Chromium encode fewer, a frozen stream decodes none. How well it plays is a benchmark's figure.
const PLAYING_FPS = 3;
// the others decode this many frames of a late joiner: its stream plays, not just one key frame
const LATE_DECODED = 30;

async function inbound(page) {
  return page.evaluate(async () => {
    const c = window.visage && window.visage.client;
    if (!c || !c.sub) return [];
    const rs = [];
    (await c.sub.getStats()).forEach((r) => {
      if (r.type === 'transport') rs.push({ kind: 'transport', dtlsState: r.dtlsState, iceState: r.iceState, selectedCandidatePairId: r.selectedCandidatePairId, bytesReceived: r.bytesReceived });
      if (r.type === 'inbound-rtp') rs.push({ kind: r.kind, ssrc: r.ssrc, framesDecoded: r.framesDecoded || 0, frameWidth: r.frameWidth || 0, frameHeight: r.frameHeight || 0, packetsReceived: r.packetsReceived || 0, packetsLost: r.packetsLost || 0, nackCount: r.nackCount || 0, pliCount: r.pliCount || 0, bytesReceived: r.bytesReceived || 0, codecId: r.codecId });
    });
    return rs;
  });
}
async function outbound(page) {
  return page.evaluate(async () => {
    const c = window.visage && window.visage.client;
    if (!c || !c.pub) return [];
    const rs = [];
    (await c.pub.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp') rs.push({ kind: r.kind, packetsSent: r.packetsSent, framesEncoded: r.framesEncoded, targetBitrate: r.targetBitrate, frameWidth: r.frameWidth, pliCount: r.pliCount, nackCount: r.nackCount });
      if (r.type === 'remote-inbound-rtp') rs.push({ kind: 'remote-inbound-' + r.kind, packetsLost: r.packetsLost, fractionLost: r.fractionLost, roundTripTime: r.roundTripTime, reportsReceived: r.reportsReceived });
      if (r.type === 'candidate-pair' && r.nominated) rs.push({ kind: 'pair', state: r.state, availableOutgoingBitrate: r.availableOutgoingBitrate, currentRoundTripTime: r.currentRoundTripTime });
    });
    return rs;
  });
}

// Installed in the late page before its scripts run: notes when each RTCPeerConnection reaches
// connectionState "connected" and, polling getStats every 100 ms, when each subscribed video (by
// mid) first has framesDecoded > 0. Times are Date.now(): the host's wall clock, which node and
// every page share, so they compare with node-side instants.
const FIRST_FRAME_SAMPLER = `(() => {
  const Orig = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Orig {
    constructor(...a) {
      super(...a);
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected' && !this.__connectedAt) this.__connectedAt = Date.now();
      });
    }
  };
  const firsts = {};
  window.__firstFrames = firsts;
  setInterval(async () => {
    const c = window.visage && window.visage.client;
    if (!c || !c.sub) return;
    const stats = await c.sub.getStats();
    const now = Date.now();
    stats.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video' && (r.framesDecoded || 0) > 0 && !(r.mid in firsts)) firsts[r.mid] = now;
    });
  }, 100);
})();`;

// Per watcher page: the subscribe-side view of one publisher's audio and video (by user).
function streamsOf(page, userId) {
  return page.evaluate(async (user) => {
    const c = window.visage.client;
    const out = {};
    const stats = await c.sub.getStats();
    for (const [mid, t] of c.midToTrack) {
      if (t.userId !== user) continue;
      const tr = c.sub.getTransceivers().find((x) => x.mid === mid);
      const s = { mid, sessionId: t.sessionId, trackId: tr ? tr.receiver.track.id : null };
      stats.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.mid === mid) Object.assign(s, { ssrc: r.ssrc, framesDecoded: r.framesDecoded || 0, packetsReceived: r.packetsReceived || 0, packetsLost: r.packetsLost || 0, jitter: r.jitter, freezeCount: r.freezeCount || 0, totalFreezesDuration: r.totalFreezesDuration || 0 });
      });
      out[t.kind] = s;
    }
    out.mLines = (c.sub.remoteDescription.sdp.match(/^m=/gm) || []).length;
    out.tiles = [...document.querySelectorAll('.tile')].map((t) => t.dataset.sessionId);
    return out;
  }, userId);
}

async function publisherReconnect(ps, oldId, newId) {
  const user = `user-${oldId}`;
  const watchers = ps.slice(1);
  const before = await Promise.all(watchers.map((p) => streamsOf(p, user)));
  const droppedAt = Date.now();
  await ps[0].evaluate(async (id) => {
    window.visage.client.stop();
    await fetch('/drop?id=' + id, { method: 'POST' });
  }, oldId);
  await new Promise((r) => setTimeout(r, 300));
  const stopped = await Promise.all(watchers.map((p) => streamsOf(p, user)));
  await ps[0].goto(`${base}/?room=e2e&id=${newId}&user=${user}&video=${video}`);
  // first decoded frame of the continued stream, per watcher (polled every 100 ms)
  const resumedMs = watchers.map(() => -1);
  const until = Date.now() + 15000;
  while (Date.now() < until && resumedMs.some((m) => m < 0)) {
    const now = await Promise.all(watchers.map((p) => streamsOf(p, user)));
    now.forEach((n, i) => {
      if (resumedMs[i] < 0 && n.video && n.video.framesDecoded > stopped[i].video.framesDecoded) resumedMs[i] = Date.now() - droppedAt;
    });
    await new Promise((r) => setTimeout(r, 100));
  }
  const from = await Promise.all(watchers.map((p) => streamsOf(p, user)));
  await new Promise((r) => setTimeout(r, 5000));
  const to = await Promise.all(watchers.map((p) => streamsOf(p, user)));
  const perWatcher = watchers.map((_, i) => {
    const b = before[i], f = from[i], t = to[i];
    const v = t.video || {}, a = t.audio || {};
    const w = {
      page: `p${i + 1}`, resumedAfterDropMs: resumedMs[i],
      sameMid: !!(v.mid && v.mid === b.video.mid && a.mid === b.audio.mid),
      sameSsrc: v.ssrc === b.video.ssrc && a.ssrc === b.audio.ssrc,
      sameReceiverTrack: v.trackId === b.video.trackId && a.trackId === b.audio.trackId,
      sessionBefore: b.video.sessionId, sessionAfter: v.sessionId, mLinesBefore: b.mLines, mLinesAfter: t.mLines,
      tilesAfter: t.tiles,
      framesIn5s: (v.framesDecoded || 0) - ((f.video || {}).framesDecoded || 0),
      audioPacketsIn5s: (a.packetsReceived || 0) - ((f.audio || {}).packetsReceived || 0),
      // over the whole reconnect, from before the drop to 5 s after the stream came back
      videoLostDuring: (v.packetsLost || 0) - b.video.packetsLost, videoReceivedDuring: (v.packetsReceived || 0) - b.video.packetsReceived,
      audioLostDuring: (a.packetsLost || 0) - b.audio.packetsLost, audioReceivedDuring: (a.packetsReceived || 0) - b.audio.packetsReceived,
      videoJitterAfter: v.jitter, freezesDuring: (v.freezeCount || 0) - b.video.freezeCount,
    };
    const lossPct = (lost, got) => (100 * Math.max(0, lost)) / Math.max(1, got + Math.max(0, lost));
    w.videoLossPct = lossPct(w.videoLostDuring, w.videoReceivedDuring);
    w.audioLossPct = lossPct(w.audioLostDuring, w.audioReceivedDuring);
    w.ok = w.resumedAfterDropMs >= 0 && w.sameMid && w.sameSsrc && w.sameReceiverTrack && w.sessionAfter === newId
      && w.mLinesAfter === w.mLinesBefore && w.tilesAfter.includes(newId) && !w.tilesAfter.includes(oldId)
      && w.framesIn5s >= PLAYING_FPS * 5 && w.audioPacketsIn5s > 0 && w.videoLossPct < 1 && w.audioLossPct < 1;
    return w;
  });
  log('publisher reconnect:', JSON.stringify(perWatcher));
  return { ok: perWatcher.every((w) => w.ok), perWatcher };
}

const result = { pages, seconds, video, ok: false, perPage: [] };
const browsers = harnessPages(base, 'e2e', log);
try {
  const ps = [];
  for (let i = 0; i < pages; i++) ps.push(await browsers.open(`p${i}`));
  // wait until every page decodes video from every other page
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const all = await Promise.all(ps.map(inbound));
    const ready = all.every((rs) => rs.filter((r) => r.kind === 'video' && r.framesDecoded > 0).length >= pages - 1);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const t0 = await Promise.all(ps.map(inbound));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const t1 = await Promise.all(ps.map(inbound));
  const out = await Promise.all(ps.map(outbound));
  let ok = true;
  for (let i = 0; i < pages; i++) {
    const transports = t1[i].filter((r) => r.kind === 'transport');
    const streams = t1[i].filter((r) => r.kind === 'audio' || r.kind === 'video').map((r) => {
      const before = t0[i].find((x) => x.ssrc === r.ssrc) || { framesDecoded: 0, packetsReceived: 0, packetsLost: 0 };
      return { kind: r.kind, ssrc: r.ssrc, framesDecodedDelta: r.framesDecoded - before.framesDecoded, frameWidth: r.frameWidth, frameHeight: r.frameHeight,
        packetsReceivedDelta: r.packetsReceived - before.packetsReceived, packetsReceived: r.packetsReceived, packetsLost: r.packetsLost,
        lossPct: r.packetsReceived > 0 ? (100 * Math.max(0, r.packetsLost)) / (r.packetsReceived + Math.max(0, r.packetsLost)) : 100, nackCount: r.nackCount, pliCount: r.pliCount, bytesReceived: r.bytesReceived };
    });
    const video = streams.filter((s) => s.kind === 'video');
    const audio = streams.filter((s) => s.kind === 'audio');
    const pageOk = video.length >= pages - 1 && audio.length >= pages - 1 &&
      video.every((s) => s.framesDecodedDelta >= PLAYING_FPS * seconds && s.frameWidth > 0 && s.lossPct < 1) &&
      audio.every((s) => s.packetsReceivedDelta > 0 && s.lossPct < 1);
    ok = ok && pageOk;
    result.perPage.push({ page: `p${i}`, ok: pageOk, inbound: streams, outbound: out[i], subscribeTransport: transports });
  }
  try { result.streamStats = await (await fetch(`${base}/stats?room=e2e`)).json(); } catch (e) { /* optional */ }
  // Publisher reconnect: p0's connection is lost (client stopped, the server told so), then p0
  // comes back as the same user in a new session. The others must keep the same stream: same mid,
  // SSRC and receiver track, no new m-section, no sequence jump (packetsLost stays low), frames
  // decoding again, the tile now under the new session id.
  const rc = await publisherReconnect(ps, 'p0', 'p0b');
  result.reconnect = rc;
  ok = ok && rc.ok;
  // signalling: mute reaches the others; a leave renegotiates everyone and media keeps flowing
  const sig = {};
  await ps[0].evaluate(() => window.visage.client.setMuted('audio', true));
  await new Promise((r) => setTimeout(r, 1500));
  sig.muteSeen = await ps[1].evaluate(() => window.visage.muted.some((m) => m[0] === 'p0b' && m[1] === 'audio' && m[2] === true));
  const last = pages - 1;
  // Acceptance 2b: the leaver's tile (div.tile[data-session-id], the web client's grid shape) must
  // vanish from every other page's DOM (node's Date.now() right before the leaving page POSTs
  // /leave; each page notes Date.now() when its tile is gone, via a MutationObserver plus a 20 ms
  // check). Waited for up to 30 s; how fast is ./visage bench join's figure.
  await Promise.all(ps.slice(0, last).map((p) => p.evaluate((id) => {
    const sel = `.tile[data-session-id="${id}"]`;
    window.__tileBefore = !!document.querySelector(sel);
    window.__goneAt = 0;
    const check = () => { if (!window.__goneAt && !document.querySelector(sel)) window.__goneAt = Date.now(); };
    new MutationObserver(check).observe(document.body, { childList: true, subtree: true });
    setInterval(check, 20);
  }, `p${last}`)));
  const leaveAt = Date.now();
  await ps[last].evaluate(() => fetch('/leave?id=' + new URLSearchParams(location.search).get('id'), { method: 'POST' }));
  await ps[last].context().close().catch(() => {});
  for (const until = Date.now() + 30000; Date.now() < until;) {
    const gone = await Promise.all(ps.slice(0, last).map((p) => p.evaluate(() => !window.__tileBefore || window.__goneAt > 0)));
    if (gone.every(Boolean)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  sig.tileGone = await Promise.all(ps.slice(0, last).map(async (p, i) => {
    const r = await p.evaluate(() => ({ before: window.__tileBefore, goneAt: window.__goneAt }));
    return { page: `p${i}`, tileBefore: r.before, goneMs: r.goneAt ? r.goneAt - leaveAt : -1 };
  }));
  sig.tileGoneMaxMs = Math.max(...sig.tileGone.map((g) => (g.tileBefore && g.goneMs >= 0 ? g.goneMs : 1e9)));
  sig.leaveSeen = await ps[0].evaluate((id) => window.visage.removed.some((x) => x[0] === id && x[2] === true), `p${last}`);
  if (pages >= 3) {
    const before = (await inbound(ps[0])).filter((r) => r.kind === 'video' && r.frameWidth > 0);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await inbound(ps[0]);
    sig.framesAfterLeave = Math.max(0, ...before.map((b) => {
      const a = after.find((x) => x.ssrc === b.ssrc);
      return a ? a.framesDecoded - b.framesDecoded : 0;
    }));
  }
  // a newcomer after the leave: the others must receive it (the server recycles the inactive
  // m-sections the leave left behind, so the subscribe SDP does not grow)
  const mlines = () => ps[0].evaluate(() => (window.visage.client.sub.remoteDescription.sdp.match(/^m=/gm) || []).length);
  sig.mLinesBeforeJoin = await mlines();
  const late = await browsers.open('late', FIRST_FRAME_SAMPLER);
  {
    const navAt = late.navigatedAt;
    const until = Date.now() + 60000;
    sig.lateDecoded = 0;
    while (Date.now() < until && sig.lateDecoded < LATE_DECODED) {
      await new Promise((r) => setTimeout(r, 500));
      sig.lateDecoded = await ps[0].evaluate(async () => {
        const c = window.visage.client;
        const info = [...c.midToTrack.values()].find((t) => t.sessionId === 'late' && t.kind === 'video');
        if (!info) return 0;
        let n = 0;
        (await c.sub.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video' && r.mid === info.mid) n = r.framesDecoded || 0; });
        return n;
      });
    }
    // Acceptance 2a: the late page's first decoded frame of every remote video, measured from its
    // subscribe PeerConnection reaching "connected" (ICE + DTLS up: the SFU then sends PLIs), and
    // also from its /join answer and from navigation; wait until all remote videos have one
    while (Date.now() < until) {
      const n = await late.evaluate(() => Object.keys(window.__firstFrames || {}).length);
      if (n >= pages - 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const ff = await late.evaluate(() => {
      const c = window.visage.client;
      const firsts = window.__firstFrames || {};
      const perRemote = Object.entries(firsts).map(([mid, at]) => ({ mid, at, sessionId: (c.midToTrack.get(mid) || {}).sessionId }));
      return { subConnectedAt: (c.sub && c.sub.__connectedAt) || 0, joinedAt: window.visage.joinedAt || 0, perRemote };
    });
    sig.lateFirstFrame = ff.perRemote.map((r) => ({ from: r.sessionId, mid: r.mid,
      afterSubscribeConnectedMs: ff.subConnectedAt ? r.at - ff.subConnectedAt : null,
      afterJoinMs: ff.joinedAt ? r.at - ff.joinedAt : -1, afterNavigationMs: r.at - navAt }));
    sig.lateFirstFrameRemotes = ff.perRemote.length;
    const worst = (k) => (sig.lateFirstFrame.length ? Math.max(...sig.lateFirstFrame.map((r) => r[k])) : -1);
    // null if the connected event never came; may be <= 0 on a starved main thread (the event is
    // dispatched late, after the first 100 ms poll already saw a decoded frame)
    sig.lateFirstFrameMaxAfterSubscribeConnectedMs = ff.subConnectedAt ? worst('afterSubscribeConnectedMs') : null;
    sig.lateFirstFrameMaxAfterJoinMs = worst('afterJoinMs');
    sig.lateSubscribeConnectedAfterJoinMs = ff.subConnectedAt && ff.joinedAt ? ff.subConnectedAt - ff.joinedAt : -1;
    sig.lateSeesOthers = await late.evaluate(async () => {
      const c = window.visage.client;
      let n = 0;
      if (c && c.sub) (await c.sub.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video' && (r.framesDecoded || 0) > 0) n++; });
      return n;
    });
  }
  sig.mLinesAfterJoin = await mlines();
  // a browser that vanishes without a leave: the SFU notices (DTLS close or ICE consent expiry)
  {
    const t0 = Date.now();
    await late.context().close().catch(() => {});
    sig.vanishedDetectedMs = -1;
    while (Date.now() - t0 < 30000) {
      const h = await (await fetch(`${base}/history?id=late`)).json();
      const f = h.find((m) => m.type === 'media-failed');
      if (f) { sig.vanishedDetectedMs = Date.now() - t0; sig.vanishedReason = f.reason; break; }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  sig.errors = await ps[0].evaluate(() => window.visage.errors);
  result.signalling = sig;
  ok = ok && sig.muteSeen && sig.leaveSeen && (pages < 3 || sig.framesAfterLeave >= PLAYING_FPS * 3)
    && sig.vanishedDetectedMs >= 0 && sig.lateDecoded >= LATE_DECODED
    && sig.tileGoneMaxMs < 1e9 && sig.lateFirstFrameRemotes >= pages - 1
    && sig.lateFirstFrameMaxAfterSubscribeConnectedMs !== null && sig.lateSeesOthers >= pages - 1 && sig.mLinesAfterJoin === sig.mLinesBeforeJoin;
  try { result.metrics = await (await fetch(`${base}/metrics`)).json(); } catch (e) { /* harness may be gone */ }
  result.ok = ok;
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  await browsers.close();
}
console.log(JSON.stringify(result));
