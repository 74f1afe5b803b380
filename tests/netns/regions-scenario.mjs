// Browser scenarios over the region namespaces (started by regions-scenario.sh, which runs this
// inside the "core" namespace). Prints one JSON verdict on stdout; progress and [figure] lines
// go to stderr.
//   selection: a page in the eu client namespace, loaded from the FAR node (sg), must open its
//              session on node-eu (nearest by RTT); a page in the sg namespace must pick node-sg.
//   failover:  both pages in one room with camera on, decoding each other; a chat message; then
//              kill -9 of node-sg. The survivor must show no trace of node-sg's sessions, the
//              sg page must be back in the room on node-eu and its video play again (getStats),
//              and users, room and chat must be intact (waited for up to a minute; the times
//              are ./visage bench join's figures).
//   blackout:  (delay switch only) every UDP frame is dropped for 17 s while TCP, and so the
//              signalling socket, keeps going: the node sees consent lost (15 s) and says
//              media-failed; both pages must rejoin by themselves and decode video again once
//              UDP is back.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { PLAYING_FPS, rest, login, shareScreen, sleep, waitFor } from './scenario-lib.mjs';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cfg = JSON.parse(process.env.VISAGE_SCENARIO);
// playwright-core from NODE_PATH, as scenario-lib.mjs takes it (regions-scenario.sh sets it)
const { chromium } = createRequire(join(process.env.NODE_PATH, '..', 'noop.js'))('playwright-core');

const log = (...a) => console.error('[driver]', ...a);
const result = { ok: false, run: cfg.run, mode: cfg.mode, delays: cfg.delays, startupMs: cfg.startupMs, figures: [], selection: {}, failover: {} };
const figure = (line) => { result.figures.push(line); console.error(`[figure] ${line}`); };
const EU = cfg.nodes.eu, SG = cfg.nodes.sg;

const flags = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required',
  // http://<node ip> is not a secure context; getUserMedia needs one
  `--unsafely-treat-insecure-origin-as-secure=${EU.url},${SG.url}`];

const contexts = [];
const dirs = [];
async function openPage(client, origin, token, username, roomId) {
  const dir = mkdtempSync(join(tmpdir(), `visage-${client}-`));
  dirs.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: cfg.clients[client], headless: true, args: flags, ignoreDefaultArgs: ['--headless'] });
  contexts.push(ctx);
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('console', (m) => log(`${client} console.${m.type()}:`, m.text()));
  page.on('pageerror', (e) => log(`${client} pageerror:`, e.message));
  await page.goto(`${origin}/health`);
  await page.evaluate(([t, u]) => {
    localStorage.setItem('visage.userToken', t);
    localStorage.setItem('visage.user', JSON.stringify({ username: u, displayName: u }));
  }, [token, username]);
  await page.goto(`${origin}/r/${encodeURIComponent(roomId)}`);
  return page;
}

const view = (page) => page.evaluate(() => {
  const v = window.visage;
  return v ? { joined: v.joined, node: v.node, nodeRtt: v.nodeRtt, ranking: v.ranking, pickMethod: v.pickMethod, sessionId: v.sessionId,
    status: v.status, moves: v.moves, chat: v.chat, members: v.members.length, lastRecoveryMs: v.lastRecoveryMs } : null;
});

/** Video packets this page has sent to its node (publish transport up, camera on). */
const videoPacketsSent = (page) => page.evaluate(async () => {
  const m = window.visage && window.visage.media;
  if (!m || !m.pub) return 0;
  let n = 0;
  (await m.pub.getStats()).forEach((r) => { if (r.type === 'outbound-rtp' && r.kind === 'video') n += r.packetsSent || 0; });
  return n;
});

/** Sum of framesDecoded over the page's inbound video streams (Chromium's own getStats). */
const framesDecoded = (page) => page.evaluate(async () => {
  const m = window.visage && window.visage.media;
  if (!m || !m.sub) return 0;
  let n = 0;
  (await m.sub.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.framesDecoded || 0; });
  return n;
});

// the page's inbound video streams: SSRC -> framesDecoded
const videoBySsrc = (page) => page.evaluate(async () => {
  const m = window.visage && window.visage.media;
  const out = {};
  if (m && m.sub) (await m.sub.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') out[r.ssrc] = r.framesDecoded || 0; });
  return out;
});

const ranking = (v) => v.ranking.map((r) => `${r.id} ${r.rtt} ms`).join(', ');

try {
  // Users and the room, through the eu node (any node would do: one cluster, one store).
  const password = 'regions-pass-123';
  const aliceToken = await login(EU.url, 'alice', password);
  const bobToken = await login(EU.url, 'bob', password);
  const room = await rest(EU.url, 'POST', '/api/rooms', { name: 'Regions' }, aliceToken);
  if (room.status !== 201) throw new Error(`room: ${room.status}`);
  const roomId = room.json.roomId;
  log('room', roomId);

  // --- selection -------------------------------------------------------------------------------
  const t0 = Date.now();
  const pageA = await openPage('ceu', SG.url, aliceToken, 'alice', roomId); // loaded from the far node
  const a = await waitFor('eu page joined', async () => { const v = await view(pageA); return v && v.joined ? v : null; }, 45000, log, 200);
  result.selection.eu = { ...a, chat: undefined, joinMs: Date.now() - t0 };
  figure(`selection eu client (page from ${SG.id}): ${ranking(a)} -> ${a.node.id} [${a.pickMethod}] status "${a.status}"`);

  const t1 = Date.now();
  const pageB = await openPage('csg', SG.url, bobToken, 'bob', roomId);
  const b = await waitFor('sg page joined', async () => { const v = await view(pageB); return v && v.joined ? v : null; }, 45000, log, 200);
  result.selection.sg = { ...b, chat: undefined, joinMs: Date.now() - t1 };
  figure(`selection sg client: ${ranking(b)} -> ${b.node.id} [${b.pickMethod}] status "${b.status}"`);

  // the server agrees: the room's members carry the node that owns each session
  const members = (await rest(EU.url, 'GET', `/api/rooms/${roomId}`, undefined, aliceToken)).json.members;
  result.selection.serverNodeOfEuPage = (members.find((m) => m.sessionId === a.sessionId) || {}).nodeId || null;
  result.selection.serverNodeOfSgPage = (members.find((m) => m.sessionId === b.sessionId) || {}).nodeId || null;

  if (cfg.repeat > 0) {
    result.bench = await repeatFailover(pageA, pageB, cfg.repeat);
    result.ok = true;
  } else {
    // --- server fallback and CORS, asked of the sg node ------------------------------------------
    const nearest = async (q) => (await rest(SG.url, 'GET', `/api/nodes/nearest${q}`)).json.id;
    result.api = {
      nearestEu: await nearest('?region=eu'), nearestSg: await nearest('?region=sg'),
      nearestUnknownRegion: await nearest('?region=mars'), nearestNoHint: await nearest(''),
    };
    const pre = await fetch(`${SG.url}/api/sessions`, { method: 'OPTIONS', headers: { Origin: EU.url,
      'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } });
    result.api.preflight = { status: pre.status, allowOrigin: pre.headers.get('access-control-allow-origin'),
      allowHeaders: pre.headers.get('access-control-allow-headers'), allowMethods: pre.headers.get('access-control-allow-methods') };

    // --- failover --------------------------------------------------------------------------------
    const f = result.failover;
    // Both publish their camera to their own node. (Until the SFU-to-SFU relay exists, pages on
    // different nodes do not receive each other's media; after the move both are on node-eu.)
    await waitFor('both pages sending video', async () => (await videoPacketsSent(pageA)) > 0 && (await videoPacketsSent(pageB)) > 0, 60000, log, 500);
    // precondition of the continuity check: each page decodes the other's video (through the relay)
    // before the kill; sampling once here had caught the eu page before its first relayed frame
    await waitFor('each page decoding the other\'s video through the relay', async () =>
      (await framesDecoded(pageA)) > 10 && (await framesDecoded(pageB)) > 10, 60000, log, 250);
    f.framesDecodedBeforeKill = { eu: await framesDecoded(pageA), sg: await framesDecoded(pageB) };
    const text = `hello before the kill ${Date.now()}`;
    await pageA.fill('#chat-input', text);
    await pageA.press('#chat-input', 'Enter');
    await waitFor('chat seen by the sg page', async () => (await view(pageB)).chat.includes(text), 10000, log, 200);
    f.chatText = text;
    // a screen shared on one node reaches the page on the other through the relay
    result.screen = await shareScreen({ name: 'alice', page: pageA }, [{ name: 'bob', page: pageB }], log);
    figure(`screen shared by the eu page, through the relay: decoded on the sg page ${result.screen.shownMs} ms after the click, `
      + `gone ${result.screen.stoppedMs} ms after sharing stopped; ${JSON.stringify(result.screen.viewers)}`);

    const euViewBeforeKill = await videoBySsrc(pageA);
    const deadPid = Number(readFileSync(SG.pidFile, 'utf8').trim());
    const oldB = await view(pageB);
    const killAt = Date.now();
    process.kill(deadPid, 'SIGKILL');
    log('kill -9', SG.id, 'pid', deadPid);

    let movedMs = null, cleanMs = null, videoMs = null;
    // a minute means "never": how fast it goes is ./visage bench join's figure (target 3 s)
    const end = killAt + 60000;
    while (Date.now() < end && (movedMs === null || cleanMs === null || videoMs === null)) {
      const now = Date.now() - killAt;
      if (movedMs === null) {
        const v = await view(pageB).catch(() => null);
        if (v && v.joined && v.node && v.node.id === EU.id) { movedMs = now; f.sgPageAfter = { ...v, chat: undefined }; }
      }
      if (cleanMs === null) {
        try {
          const r = await rest(EU.url, 'GET', `/api/rooms/${roomId}`, undefined, aliceToken);
          const n = await rest(EU.url, 'GET', '/api/nodes');
          const stale = r.json.members.filter((m) => m.nodeId === SG.id || m.sessionId === oldB.sessionId);
          if (stale.length === 0 && !n.json.some((x) => x.id === SG.id)) { cleanMs = now; f.membersAfterClean = r.json.members; }
        } catch (e) { log('survivor probe', e.message); }
      }
      if (movedMs !== null && videoMs === null && (await framesDecoded(pageB).catch(() => 0)) > 0) videoMs = Date.now() - killAt;
      await sleep(100);
    }
    f.movedMs = movedMs; f.cleanMs = cleanMs; f.videoMs = videoMs;
    figure(`failover: kill -9 ${SG.id} -> sg page rejoined on ${EU.id} in ${movedMs} ms (page's own count ${f.sgPageAfter && f.sgPageAfter.lastRecoveryMs} ms), survivor clean in ${cleanMs} ms, first video frame decoded at ${videoMs} ms`);

    // video keeps flowing on the new node: it plays over 5 s, on both pages
    const b0 = await framesDecoded(pageB), a0 = await framesDecoded(pageA);
    await sleep(5000);
    const b1 = await framesDecoded(pageB), a1 = await framesDecoded(pageA);
    f.sgPageFramesDelta5s = b1 - b0;
    f.euPageFramesDelta5s = a1 - a0;
    figure(`after failover, frames decoded in 5 s: sg page ${b1 - b0}, eu page ${a1 - a0}`);
    // The eu page watched the sg user through the relay; after the move the sg user publishes on
    // node-eu itself. The SFU continues the stream the eu page had (same SSRC, still decoding).
    const euViewAfter = await videoBySsrc(pageA);
    f.euStreamContinued = Object.keys(euViewBeforeKill).some((ssrc) => ssrc in euViewAfter && euViewAfter[ssrc] >= euViewBeforeKill[ssrc] + PLAYING_FPS * 5);
    f.euVideoSsrcs = { beforeKill: euViewBeforeKill, after: euViewAfter };
    figure(`eu page's video of the sg user across the failover: ${f.euStreamContinued ? 'the same stream (SSRC) continued' : 'a new stream'} `
      + `(framesDecoded by SSRC before the kill ${JSON.stringify(euViewBeforeKill)}, after ${JSON.stringify(euViewAfter)})`);

    // users, room and chat intact
    const afterB = await view(pageB);
    f.sgPageHasChat = afterB.chat.includes(text);
    f.sgPageMembers = afterB.members;
    f.loginAfter = [];
    for (const u of ['alice', 'bob']) f.loginAfter.push((await rest(EU.url, 'POST', '/api/login', { username: u, password })).status);
    const roomAfter = await rest(EU.url, 'GET', `/api/rooms/${roomId}`, undefined, aliceToken);
    f.roomStatusAfter = roomAfter.status;
    f.roomMembersAfter = roomAfter.json.members;
    const history = await rest(EU.url, 'GET', `/api/rooms/${roomId}/messages`, undefined, aliceToken);
    f.historyHasChat = Array.isArray(history.json) && history.json.some((m) => m.text === text);
    f.nodesAfter = (await rest(EU.url, 'GET', '/api/nodes')).json.map((n) => n.id);
    f.nearestSgAfter = (await rest(EU.url, 'GET', '/api/nodes/nearest?region=sg')).json.id;

    // --- media blackout: UDP gone, the signalling socket alive ----------------------------------
    const bl = result.blackout = {};
    if (cfg.mode !== 'switch') {
      bl.skipped = `needs the delay switch (delays made by ${cfg.mode})`;
    } else {
      const pages = { eu: pageA, sg: pageB };
      const sessionsBefore = {};
      for (const [k, p] of Object.entries(pages)) sessionsBefore[k] = (await view(p)).sessionId;
      const udp = (state) => execFileSync(cfg.netns, ['udp-blackout', cfg.run, state]);
      udp('on');
      const onAt = Date.now();
      bl.seconds = 17;
      await sleep(bl.seconds * 1000);
      udp('off');
      const offAt = Date.now();
      bl.rejoinedMsAfterBlackoutStart = {};
      bl.videoMsAfterUdpBack = {};
      const newFrames = {};
      await waitFor('both pages rejoined with video after the blackout', async () => {
        for (const [k, p] of Object.entries(pages)) {
          const v = await view(p);
          if (!(k in bl.rejoinedMsAfterBlackoutStart) && v.joined && v.sessionId !== sessionsBefore[k]) {
            bl.rejoinedMsAfterBlackoutStart[k] = Date.now() - onAt;
          }
          if (k in bl.rejoinedMsAfterBlackoutStart && !(k in bl.videoMsAfterUdpBack) && (await framesDecoded(p)) > 0) {
            bl.videoMsAfterUdpBack[k] = Date.now() - offAt;
            newFrames[k] = await framesDecoded(p);
          }
        }
        return Object.keys(bl.videoMsAfterUdpBack).length === 2;
      }, 60000, log, 100);
      await sleep(5000);
      bl.framesDelta5s = {};
      for (const [k, p] of Object.entries(pages)) bl.framesDelta5s[k] = (await framesDecoded(p)) - newFrames[k];
      bl.udpDropped = JSON.parse(execFileSync(cfg.netns, ['stats', cfg.run]).toString()).udpBlackoutDropped;
      figure(`UDP blackout ${bl.seconds} s (${bl.udpDropped} UDP frames dropped, TCP untouched): pages rejoined by themselves `
        + `${JSON.stringify(bl.rejoinedMsAfterBlackoutStart)} ms after it began; video decoded again ${JSON.stringify(bl.videoMsAfterUdpBack)} ms `
        + `after UDP came back; frames in the next 5 s ${JSON.stringify(bl.framesDelta5s)}`);
    }
    result.ok = true;
  }
} catch (e) {
  result.error = String((e && e.stack) || e);
} finally {
  for (const c of contexts) await c.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
console.log(JSON.stringify(result));


/**
 * Bench mode (VISAGE_REGIONS_REPEAT, ./visage bench join): `rounds` times node-sg is killed with
 * kill -9 while the eu and sg pages decode each other; timed from the kill until the sg page,
 * moved to node-eu by itself, decodes video again. Then node-sg is started again
 * (LOGDIR/restart-node.sh, written by regions-scenario.sh) and the sg page reloaded, so it picks
 * node-sg again for the next round.
 */
async function repeatFailover(pageEu, pageSg, rounds) {
  const bench = { failoverFirstFrameMs: [], rejoinedMs: [] };
  const decodingEachOther = () => waitFor('each page decoding the other\'s video', async () =>
    (await framesDecoded(pageEu)) > 10 && (await framesDecoded(pageSg)) > 10, 90000, log, 250);
  for (let i = 1; i <= rounds; i++) {
    await waitFor('the sg page on node-sg', async () => { const v = await view(pageSg); return v && v.joined && v.node.id === SG.id; }, 90000, log, 250);
    await decodingEachOther();
    const killAt = Date.now();
    process.kill(Number(readFileSync(SG.pidFile, 'utf8').trim()), 'SIGKILL');
    const moved = await waitFor('the sg page back in the room on node-eu', async () => {
      const v = await view(pageSg);
      return v && v.joined && v.node.id === EU.id ? Date.now() - killAt : null;
    }, 60000, log, 50);
    const video = await waitFor('the sg page decoding video on node-eu', async () =>
      ((await framesDecoded(pageSg)) > 0 ? Date.now() - killAt : null), 60000, log, 50);
    bench.rejoinedMs.push(moved);
    bench.failoverFirstFrameMs.push(video);
    figure(`round ${i}/${rounds}: kill -9 ${SG.id} -> sg page in the room on ${EU.id} after ${moved} ms, decoding video after ${video} ms`);
    if (i === rounds) break;
    execFileSync(cfg.restartNode, ['sg', SG.ip, 'sg']);
    await waitFor('node-sg back in the cluster', async () => {
      const h = await rest(EU.url, 'GET', '/health');
      return h.status === 200 && h.json.clusterSize === 2 && (await rest(SG.url, 'GET', '/health')).status === 200;
    }, 240000, log, 1000);
    // a node answers before its application is loaded; reload until the room page comes
    await waitFor('the sg page reloaded from node-sg', async () => {
      const response = await pageSg.reload();
      return !response || response.ok();
    }, 60000, log, 1000);
  }
  return bench;
}
