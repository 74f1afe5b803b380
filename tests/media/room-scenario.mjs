// Room media scenario driver (started by room-scenario.sh inside the "core" namespace): issue 3,
// acceptances 1 and 2 through the real web client. Three Chromium pages with fake camera and
// microphone (client namespace c1) join ONE room on ONE node. For each page and each of the two
// others, from the page's own getStats over SECONDS s: inbound video plays (scenario-lib's
// plays()), frameWidth > 0, inbound audio packetsReceived rising, packets lost (audio + video) below 1 % of
// those expected. Then a 4th page joins late (time from its join to the first decoded frame of
// each of the three others, timed inside the page) and one of the first three clicks Leave (time
// until its tile is gone from the other pages' grids, timed inside those pages). Last, one page's
// client rejoins after a media failure and the others must keep receiving it on the same stream.
// The room is made the way a user makes one: alice picks its link (/r/weekly-sync) in the home
// page's form, the form refuses the same name again (409 room_taken, with a free variant), and the
// others open that link. Pictures of the home page and of the 4-person room go to LOGDIR/screenshots.
// Then a page's camera is shown large on one page and as a thumbnail on another: simulcast sends
// each the layer its tile's size calls for (getStats frameWidth). Then dave's downlink (his client
// namespace c2) is capped at 300 kbit/s: the SFU's estimate of it must bring him the low layers
// (the others keep the large ones), and lifting the cap must bring the large ones back
// (cappedDownlink). Then henry joins with ?codec=h264: his camera goes out as H.264 simulcast and
// the simulcast checks hold for it (h264Simulcast).
// VISAGE_ROOM_BWE_ROUNDS=N (./visage bench bwe): only that step, with a 4th page (dave) capped, N rounds of cap and lift, timed.
// Prints one JSON verdict on stdout; progress and [figure] lines go to stderr.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { browsers, capWindowCounters, climbTrace, inbound, login, outbound, plays, rest, screenshot, shareScreen, sleep, subscriberDetail, view, waitFor, withTimeout } from '../netns/scenario-lib.mjs';

const cfg = JSON.parse(process.env.VISAGE_SCENARIO);
const log = (...a) => console.error('[driver]', ...a);
const N = cfg.node;
const result = { ok: false, run: cfg.run, mode: cfg.mode, startupMs: cfg.startupMs, seconds: cfg.seconds, figures: [], pairs: [] };
const figure = (line) => { result.figures.push(line); console.error(`[figure] ${line}`); };
const { openPage, openFirefoxPage, close } = browsers({ clients: cfg.clients, origins: [N.url], prefix: 'visage-room', log, shared: true });

const names = ['alice', 'bob', 'carol'];
const remotes = (p) => names.filter((n) => n !== p.name);
const URL_NAME = 'weekly-sync';
const screenshots = join(cfg.logdir, 'screenshots');

try {
  const tokens = {};
  for (const n of names) tokens[n] = await login(N.url, n, 'room-pass-123');

  const t0 = Date.now();
  const alice = await openPage('alice', 'c1', N, tokens.alice, null, true);
  result.namedRoom = await createNamedRoomOnTheHomePage(alice.page, URL_NAME);
  const roomId = result.namedRoom.roomId;
  log('room', roomId, 'at', result.namedRoom.link);
  figure(`alice created ${result.namedRoom.link} in the home page's form (${result.namedRoom.createdStatus}); the same name again: `
    + `${result.namedRoom.takenStatus} ${result.namedRoom.taken.code}, suggestion ${result.namedRoom.taken.suggestion}; the form said "${result.namedRoom.formMessage}"`);
  await alice.page.goto(result.namedRoom.link);
  const pages = [alice];
  // the others open the link alice shares (openPage goes to <node>/r/<roomId>: the same URL, checked here)
  if (result.namedRoom.link !== `${N.url}/r/${roomId}`) throw new Error(`the room link is ${result.namedRoom.link}`);
  // in the bandwidth benchmark bob and carol listen while alice talks (their microphones hear silence)
  for (const n of names.slice(1)) pages.push(await openPage(n, 'c1', N, tokens[n], roomId, cfg.bweRounds > 0 ? 'silent' : true));
  for (const p of pages) p.view = await waitFor(`${p.name} joined`, async () => { const v = await view(p); return v && v.joined ? v : null; }, 60000, log);
  result.nodes = pages.map((p) => p.view.node);
  result.namedRoom.pagePaths = Object.fromEntries(await Promise.all(pages.map(async (p) => [p.name, new URL(p.page.url()).pathname])));
  // every page shows video and audio from both others, each mapped to its member's tile
  await waitFor('video decoded from both others on every page', async () => {
    const s = await Promise.all(pages.map(inbound));
    return s.every((rs, i) => remotes(pages[i]).every((r) => rs.some((x) => x.kind === 'video' && x.from === r && x.framesDecoded > 0)
      && rs.some((x) => x.kind === 'audio' && x.from === r))) ? s : null;
  }, 60000, log).catch(async (e) => {
    for (const p of pages) log(`${p.name} inbound at the timeout: ${JSON.stringify(await inbound(p))}`);
    const st = await rest(N.url, 'GET', `/api/rooms/${roomId}/stats`, undefined, tokens.alice);
    log(`node's stream stats at the timeout: ${st.text}`);
    log(`node's metrics at the timeout: ${(await rest(N.url, 'GET', '/metrics')).text.split('\n').filter((l) => l.startsWith('visage_sfu')).join(' ')}`);
    throw e;
  });
  figure(`3 pages in one room on ${N.id}: first frames from both others decoded on every page ${Date.now() - t0} ms after the first page opened`);

  if (cfg.repeat > 0) {
    result.bench = await repeatLateJoinAndLeave(pages, roomId, cfg.repeat);
    result.ok = true;
  } else if (cfg.bweRounds > 0) {
    // in the bandwidth benchmark a 4th page sits behind the downlink the rounds cap (c2)
    tokens.dave = await login(N.url, 'dave', 'room-pass-123');
    const dave = await openPage('dave', 'c2', N, tokens.dave, roomId, true);
    result.cappedDownlink = await cappedDownlink(pages, dave, roomId, tokens, cfg.bweRounds);
    result.ok = result.cappedDownlink.rounds.every((r) => r.ok);
  }
  else await checkedSteps(pages, tokens, roomId);
} catch (e) {
  result.error = e instanceof Error ? String(e.stack || e) : `${e && e.constructor && e.constructor.name}: ${(e && e.message) || JSON.stringify(e)}`;
  log(result.error);
} finally {
  await close();
}
console.log(JSON.stringify(result));

/**
 * The test's steps after every page decodes the others: 10 s of media per page and remote, a late
 * page, a Leave, a publisher's rejoin. Each records its figures in result.
 */
async function checkedSteps(pages, tokens, roomId) {
  // the node's /metrics read on both sides of each getStats snapshot, the mean of each pair taken
  // as the count at that snapshot: its count of forwarded packets must match what the pages
  // received in the window (on a busy machine the three pages' getStats take a while)
  const m0 = await forwardedPackets();
  const before = await Promise.all(pages.map(inbound));
  const m1 = await forwardedPackets();
  await sleep(cfg.seconds * 1000);
  const m2 = await forwardedPackets();
  const after = await Promise.all(pages.map(inbound));
  const m3 = await forwardedPackets();
  const forwardedBefore = (m0 + m1) / 2;
  const forwardedAfter = (m2 + m3) / 2;

  const pick = (rs, from, kind) => rs.filter((x) => x.from === from && x.kind === kind);
  const total = (rs, f) => rs.reduce((n, x) => n + x[f], 0);
  pages.forEach((p, i) => {
    for (const r of remotes(p)) {
      const v0 = pick(before[i], r, 'video'), v1 = pick(after[i], r, 'video');
      const a0 = pick(before[i], r, 'audio'), a1 = pick(after[i], r, 'audio');
      const recv = total(v1, 'packetsReceived') + total(a1, 'packetsReceived') - total(v0, 'packetsReceived') - total(a0, 'packetsReceived');
      const lost = Math.max(0, total(v1, 'packetsLost') + total(a1, 'packetsLost') - total(v0, 'packetsLost') - total(a0, 'packetsLost'));
      const s = {
        page: p.name, from: r, videoStreams: v1.length, audioStreams: a1.length,
        framesDecodedDelta: total(v1, 'framesDecoded') - total(v0, 'framesDecoded'),
        frameWidth: Math.max(0, ...v1.map((x) => x.frameWidth)), frameHeight: Math.max(0, ...v1.map((x) => x.frameHeight)),
        audioPacketsDelta: total(a1, 'packetsReceived') - total(a0, 'packetsReceived'),
        videoPacketsDelta: total(v1, 'packetsReceived') - total(v0, 'packetsReceived'),
        packetsLostDelta: lost, lossPct: recv + lost > 0 ? (100 * lost) / (recv + lost) : 100,
        nackCount: total(v1, 'nackCount'), pliCount: total(v1, 'pliCount'),
      };
      s.ok = s.videoStreams === 1 && s.audioStreams === 1 && plays(s.framesDecodedDelta, cfg.seconds) && s.frameWidth > 0
        && s.audioPacketsDelta > 0 && s.lossPct < 1;
      result.pairs.push(s);
      figure(`${s.page} <- ${s.from}: in ${cfg.seconds} s framesDecoded +${s.framesDecodedDelta} at ${s.frameWidth}x${s.frameHeight}, `
        + `video packets +${s.videoPacketsDelta}, audio packets +${s.audioPacketsDelta}, lost ${s.packetsLostDelta} (${s.lossPct.toFixed(2)} %), `
        + `NACKs ${s.nackCount}, PLIs ${s.pliCount}${s.ok ? '' : '  <-- FAIL'}`);
    }
  });
  const received = result.pairs.reduce((n, s) => n + s.videoPacketsDelta + s.audioPacketsDelta, 0);
  result.metrics = { forwarded: Math.round(forwardedAfter - forwardedBefore), received };
  result.metrics.ok = received > 0 && Math.abs(result.metrics.forwarded / received - 1) <= 0.05;
  figure(`/metrics visage_sfu_rtp_forwarded_total +${result.metrics.forwarded} in the window; the pages' getStats `
    + `packetsReceived +${received} (${(100 * (result.metrics.forwarded / received - 1)).toFixed(2)} %)${result.metrics.ok ? '' : '  <-- FAIL'}`);
  result.ok = result.pairs.length === 6 && result.pairs.every((s) => s.ok) && result.nodes.every((n) => n === N.id);

  // Acceptance 2a: a late 4th page decodes the three others; 2b: carol clicks Leave and her tile
  // leaves the other grids.
  tokens.dave = await login(N.url, 'dave', 'room-pass-123');
  // dave's client namespace is c2, whose downlink cappedDownlink caps later
  const dave = await openPage('dave', 'c2', N, tokens.dave, roomId, true);
  result.lateJoin = await lateJoinTimes(dave, 3);
  await screenshot(dave.page, screenshots, 'room-4-people.png');
  figure(`late 4th page: first frame of each remote ${JSON.stringify(result.lateJoin.joinToFirstFrameMs)} ms after it joined `
    + `(${result.lateJoin.openToJoinMs} ms from page open to joined; after joining: publish PC connected at ${result.lateJoin.joinToPubConnectedMs} ms, `
    + `subscribe PC created at ${result.lateJoin.joinToSubCreatedMs} ms and connected at ${result.lateJoin.joinToSubConnectedMs} ms; first frames `
    + `${JSON.stringify(result.lateJoin.subConnectedToFirstFrameMs)} ms after that)`);
  const watchers = [pages[0], pages[1], dave];
  result.leave = await leaveTimes(pages[2], watchers);
  figure(`carol clicked Leave: her tile gone from the others' grids after ${JSON.stringify(result.leave.tileGoneMs)} ms`);

  // Publisher reconnect: bob's client is told its media path failed (the node's media-failed
  // message) and rejoins in a new session. The others must keep receiving bob on the same
  // stream (SSRC), in the same tile (never removed), decoding again, with no sequence jump (loss < 1 %).
  const bobVideo = (rs) => rs.find((x) => x.kind === 'video' && x.from === 'bob');
  const bobBefore = await Promise.all(watchers.map(inbound));
  const bobSession = (await view(pages[1])).sessionId;
  // the others' tile for bob: marked, and watched for removal (it should stay, in place)
  await Promise.all(watchers.map((w) => w.page.evaluate((sid) => {
    const tile = document.querySelector(`.tile[data-session-id="${CSS.escape(sid)}"]`);
    tile.__bob = true;
    window.__bobTileRemoved = false;
    new MutationObserver(() => { if (!tile.isConnected) window.__bobTileRemoved = true; })
      .observe(document.getElementById('video-grid'), { childList: true });
  }, bobSession)));
  const failedAt = Date.now();
  await pages[1].page.evaluate(() => window.visage.media.handle({ type: 'media-failed', pc: 'publish', reason: 'test: media path lost' }));
  const others = [watchers[0], watchers[2]];
  const othersBefore = [bobBefore[0], bobBefore[2]];
  const resumed = await waitFor('bob\'s continued stream decoding again on the others\' pages', async () => {
    const now = await Promise.all(others.map(inbound));
    const v = await view(pages[1]);
    return v.joined && v.sessionId !== bobSession && now.every((rs, i) => {
      const b = bobVideo(othersBefore[i]);
      const a = rs.find((x) => x.kind === 'video' && x.ssrc === b.ssrc);
      return a && a.from === 'bob' && a.framesDecoded > b.framesDecoded + 5;
    }) ? now : null;
  }, 30000, log, 100);
  const resumedMs = Date.now() - failedAt;
  await sleep(5000);
  const bobAfter = await Promise.all(others.map(inbound));
  result.reconnect = { resumedMs, newSession: (await view(pages[1])).sessionId !== bobSession, watchers: {} };
  const bobNow = (await view(pages[1])).sessionId;
  const tiles = await Promise.all(others.map((w) => w.page.evaluate((sid) => {
    const tile = document.querySelector(`.tile[data-session-id="${CSS.escape(sid)}"]`);
    return { sameTile: !!(tile && tile.__bob), removed: window.__bobTileRemoved };
  }, bobNow)));
  others.forEach((w, i) => {
    const b = bobVideo(othersBefore[i]);
    const r = resumed[i].find((x) => x.kind === 'video' && x.ssrc === b.ssrc);
    const a = bobAfter[i].find((x) => x.kind === 'video' && x.ssrc === b.ssrc) || { framesDecoded: 0, packetsReceived: 0, packetsLost: 0 };
    const lost = Math.max(0, a.packetsLost - b.packetsLost), got = a.packetsReceived - b.packetsReceived;
    result.reconnect.watchers[w.name] = { sameSsrc: !!r, from: a.from, sameTile: tiles[i].sameTile, tileRemoved: tiles[i].removed,
      framesIn5s: a.framesDecoded - r.framesDecoded,
      lossPct: (100 * lost) / Math.max(1, got + lost), videoStreams: bobAfter[i].filter((x) => x.kind === 'video' && x.from === 'bob').length };
  });
  result.reconnect.ok = result.reconnect.newSession && Object.values(result.reconnect.watchers)
    .every((w) => w.sameSsrc && w.from === 'bob' && w.sameTile && !w.tileRemoved && plays(w.framesIn5s, 5) && w.lossPct < 1 && w.videoStreams === 1);
  figure(`bob's client rejoined after a media failure: the others decoded his continued stream (same SSRC) again ${resumedMs} ms later; `
    + `then ${JSON.stringify(result.reconnect.watchers)}`);

  // Alice shares Chromium's fake screen, then the browser's own "stop sharing" ends it
  result.screen = await shareScreen(pages[0], [pages[1], watchers[2]], log);
  figure(`${pages[0].name} shared a screen: decoded on the others' pages ${result.screen.shownMs} ms after the click; then ${JSON.stringify(result.screen.viewers)}`);
  figure(`${pages[0].name} stopped sharing (track ended): the screen tile left the others' pages ${result.screen.stoppedMs} ms later`);
  result.simulcast = await simulcastLayers(pages[0], watchers[1], watchers[2], roomId, tokens.alice);
  // three pages here (carol has left): with four, the capped page lost 8-17 % of its packets (see cappedDownlink)
  result.cappedDownlink = await cappedDownlink([pages[0], pages[1]], dave, roomId, tokens, 1);
  const henry = await h264Simulcast(pages[0], pages[1], roomId, tokens);
  if (cfg.firefox) await firefoxJoins(watchers, roomId, henry);
}

/**
 * On the home page (logged in), the user fills in a room name and the room link `urlName`, creates
 * the room (the page then shows the link; a screenshot is taken), and submits the same link again:
 * the server answers 409 room_taken with a free variant, and the form says so.
 */
async function createNamedRoomOnTheHomePage(page, urlName) {
  const roomsCall = () => page.waitForResponse((r) => new URL(r.url()).pathname === '/api/rooms' && r.request().method() === 'POST');
  await page.fill('#room-name', 'Weekly sync');
  await page.fill('#room-url-name', urlName);
  const [created] = await Promise.all([roomsCall(), page.click('#create-room-btn')]);
  const room = await created.json();
  await page.waitForSelector('#create-result:not([hidden])');
  const out = { createdStatus: created.status(), roomId: room.roomId, link: await page.getAttribute('#room-link', 'href') };
  await screenshot(page, screenshots, 'home-page.png');
  const [taken] = await Promise.all([roomsCall(), page.click('#create-room-btn')]);
  await page.waitForSelector('#create-error:not([hidden])');
  out.takenStatus = taken.status();
  out.taken = await taken.json();
  out.formMessage = (await page.textContent('#create-error-text')).trim();
  out.offered = (await page.textContent('#use-suggestion-btn')).trim();
  return out;
}

/**
 * Simulcast by tile size: the publisher's camera (Chromium's fake one at 1280x720, sent as three
 * layers) shows large on one page and shrinks to a thumbnail on another. Each page's own getStats
 * must show the large tile receiving at least 640 wide, the thumbnail dropping to 320 or less
 * while its frames keep rising, and climbing back to 640 or more once the tile grows again. A
 * switch of layer starts at a key frame of the new one: the subscriber's keyFramesDecoded rises
 * across each, and the longest stretch without a new decoded frame (polled every 500 ms) is
 * noted. Throws when a width is never reached (a minute each). largeHolds: the large tile must
 * still be at >= 640 after the thumbnail's 5 s (false where that is the publisher encoder's
 * business, see h264Simulcast).
 */
async function simulcastLayers(publisher, largePage, thumbPage, roomId, token, label = 'simulcast', largeHolds = true) {
  const LARGE = 960, THUMB = 160; // CSS pixels wide; tiles are 16:9
  const video = (rs) => rs.find((x) => x.kind === 'video' && x.from === publisher.name) || { frameWidth: 0, framesDecoded: 0, keyFramesDecoded: 0 };
  const resize = (p, width) => p.page.evaluate(({ name, width }) => {
    const sid = window.visage.members.find((m) => m.displayName === name).sessionId;
    const tile = document.querySelector(`.tile[data-session-id="${CSS.escape(sid)}"]`);
    // both sides: a flex row would otherwise stretch the tile to its line's height
    tile.style.width = `${width}px`;
    tile.style.height = `${Math.round(width * 9 / 16)}px`;
    tile.style.alignSelf = 'center';
    tile.style.flex = 'none';
  }, { name: publisher.name, width });
  // the node's view: the publisher's layers (rid, size of the last key frame, bitrate) and which
  // layer each subscriber's consumer sends
  const layers = async () => {
    const st = await rest(N.url, 'GET', `/api/rooms/${roomId}/stats`, undefined, token);
    const streams = (st.json && (st.json.streams || st.json)) || [];
    return JSON.stringify(Array.isArray(streams) ? streams.filter((x) => x.rid || x.layer !== undefined)
      .map((x) => x.rid ? `${x.rid} ${x.width}x${x.height} ${Math.round(x.bitrateBps / 1000)} kbit/s`
        : `${x.sessionId} <- ${x.fromSessionId} layer ${x.layer} (${x.layerSwitches} switches)`) : st.text);
  };
  let longestFreezeMs = 0;
  const widthReached = (p, what, ok) => {
    let last = null;
    return waitFor(what, async () => {
      const v = video(await inbound(p));
      const now = Date.now();
      if (!last || v.framesDecoded > last.frames) last = { frames: v.framesDecoded, at: now };
      longestFreezeMs = Math.max(longestFreezeMs, now - last.at);
      return ok(v.frameWidth) ? v : null;
    }, 60000, log, 500).catch(async (e) => {
      log(`${p.name}'s inbound video from ${publisher.name} at the timeout: ${JSON.stringify(video(await inbound(p)))}; sizes it reported: `
        + JSON.stringify(await p.page.evaluate(() => [...window.visage.media.videoSizes.values()])));
      log(`node's layers at the timeout: ${await layers()}`);
      throw e;
    });
  };
  const out = {};
  await resize(largePage, LARGE);
  let t = Date.now();
  const large = await widthReached(largePage, `${largePage.name}'s large tile of ${publisher.name} at >= 640 wide`, (w) => w >= 640);
  out.large = { frameWidth: large.frameWidth, ms: Date.now() - t };
  const beforeDown = video(await inbound(thumbPage));
  await resize(thumbPage, THUMB);
  t = Date.now();
  const low = await widthReached(thumbPage, `${thumbPage.name}'s thumbnail of ${publisher.name} down to <= 320 wide`, (w) => w > 0 && w <= 320);
  out.thumbnail = { fromWidth: beforeDown.frameWidth, frameWidth: low.frameWidth, downMs: Date.now() - t,
    keyFramesAtSwitch: low.keyFramesDecoded - beforeDown.keyFramesDecoded };
  await sleep(5000);
  const lowAfter = video(await inbound(thumbPage));
  const largeAfter = video(await inbound(largePage));
  out.thumbnail.framesIn5s = lowAfter.framesDecoded - low.framesDecoded;
  out.thumbnail.frameWidthAfter5s = lowAfter.frameWidth;
  out.large.frameWidthMeanwhile = largeAfter.frameWidth;
  await resize(thumbPage, LARGE);
  t = Date.now();
  const back = await widthReached(thumbPage, `${thumbPage.name}'s tile of ${publisher.name} back to >= 640 wide`, (w) => w >= 640);
  await sleep(2000);
  const backAfter = video(await inbound(thumbPage));
  out.grown = { frameWidth: back.frameWidth, upMs: Date.now() - t - 2000, framesIn2s: backAfter.framesDecoded - back.framesDecoded,
    keyFramesAtSwitch: back.keyFramesDecoded - lowAfter.keyFramesDecoded };
  out.longestFreezeMs = longestFreezeMs;
  out.nodeLayers = await layers();
  out.ok = (!largeHolds || out.large.frameWidthMeanwhile >= 640) && plays(out.thumbnail.framesIn5s, 5) && out.thumbnail.frameWidthAfter5s <= 320
    && out.grown.framesIn2s > 0 && out.grown.keyFramesAtSwitch > 0 && (out.thumbnail.fromWidth <= 320 || out.thumbnail.keyFramesAtSwitch > 0);
  figure(`${label}: ${largePage.name}'s large tile of ${publisher.name} decodes ${out.large.frameWidth} wide after ${out.large.ms} ms; `
    + `${thumbPage.name}'s thumbnail drops from ${out.thumbnail.fromWidth} to ${out.thumbnail.frameWidth} wide after ${out.thumbnail.downMs} ms `
    + `(${out.thumbnail.keyFramesAtSwitch} key frames decoded meanwhile) and decodes `
    + `${out.thumbnail.framesIn5s} frames in 5 s at ${out.thumbnail.frameWidthAfter5s} (the large tile meanwhile ${out.large.frameWidthMeanwhile}); `
    + `grown again it climbs to ${out.grown.frameWidth} after ${out.grown.upMs} ms (${out.grown.keyFramesAtSwitch} key frames, `
    + `${out.grown.framesIn2s} frames in 2 s); longest stretch without a new frame ${out.longestFreezeMs} ms; `
    + `the node's layers and consumers: ${out.nodeLayers}${out.ok ? '' : '  <-- FAIL'}`);
  return out;
}

/**
 * H.264 simulcast: henry opens the room with ?codec=h264 (the web client's publish option). His
 * camera must go out as H.264 in every layer (his outbound-rtp), and the simulcast step's moves
 * hold for it: `large`'s large tile decodes it (inbound codec video/H264) at >= 640 wide, `thumb`'s
 * thumbnail at <= 320 while its frames rise, and grown again at >= 640. Whether the large tile
 * stays at >= 640 meanwhile is the publisher's encoder's business, not asserted: on the loaded
 * 2-core box Chromium's H.264 encoder pauses its upper layers now and then (qualityLimitationReason
 * in the figure). Returns henry's page (he stays, so that the Firefox page meets an H.264 publisher).
 */
async function h264Simulcast(large, thumb, roomId, tokens) {
  tokens.henry = await login(N.url, 'henry', 'room-pass-123');
  const henry = await openPage('henry', 'c1', N, tokens.henry, roomId, true, '?codec=h264');
  const fromHenry = (rs) => rs.find((x) => x.kind === 'video' && x.from === 'henry') || { codec: null, framesDecoded: 0 };
  const t = Date.now();
  await waitFor('henry\'s camera decoded on the others\' pages', async () => {
    const s = await Promise.all([large, thumb].map(inbound));
    return s.every((rs) => fromHenry(rs).framesDecoded > 0) ? s : null;
  }, 60000, log).catch(async (e) => {
    log(`henry sends at the timeout: ${JSON.stringify(await outbound(henry))}`);
    for (const p of [large, thumb]) log(`${p.name} inbound at the timeout: ${JSON.stringify(await inbound(p))}`);
    throw e;
  });
  const out = { firstFrameMs: Date.now() - t };
  out.layers = await simulcastLayers(henry, large, thumb, roomId, tokens.henry, 'H.264 simulcast', false);
  out.sent = await outbound(henry);
  const seen = await Promise.all([large, thumb].map(inbound));
  out.received = Object.fromEntries([large, thumb].map((p, i) => [p.name, fromHenry(seen[i]).codec]));
  const l = out.layers;
  out.ok = l.large.frameWidth >= 640 && l.thumbnail.frameWidthAfter5s <= 320 && plays(l.thumbnail.framesIn5s, 5)
    && l.grown.frameWidth >= 640 && out.sent.length >= 2 && out.sent.every((x) => x.codec === 'video/H264')
    && Object.values(out.received).every((c) => c === 'video/H264');
  figure(`H.264: henry (?codec=h264) sends ${JSON.stringify(out.sent.map((x) => `${x.rid} ${x.codec} ${x.frameWidth} (limited by ${x.limitedBy})`))}; `
    + `first decoded on the others' pages ${out.firstFrameMs} ms after he opened the room; they decode ${JSON.stringify(out.received)}`
    + `${out.ok ? '' : '  <-- FAIL'}`);
  result.h264 = out;
  return henry;
}

/**
 * Bandwidth estimation towards a subscriber, seen from the pages' own getStats: `capped` in client
 * namespace c2 decoding the `others` (three pages in the test, four in the benchmark; >= 640 wide: his tiles are large
 * and his downlink free). Each round: his downlink is capped at 300 kbit/s (netns.sh rate-cap: a
 * token bucket with a 200 ms drop-tail queue); the SFU's estimate of it must bring him the low layer
 * of every camera (frameWidth <= 320) while the others keep >= 640; over the next 10 s his decoded
 * frames rise for every camera in every 2 s window and his packet loss is noted; then the cap is
 * lifted and every camera must climb back to >= 640. Waits up to a minute for each change (a minute
 * means "never"). Times (cap -> all low, lift -> all high, the longest stretch without a new frame
 * from one camera, sampled every 250 ms) are figures, for the benchmark to hold against its targets.
 * With four pages the lowest layers do not fit 300 kbit/s with room to spare: three Opus streams of
 * Chromium's fake microphone (never silent, so DTX saves nothing) are ~160 kbit/s on the wire, and
 * the three cameras' base temporal layers at 320 wide another ~110; the capped page lost 8-17 % of
 * its packets in the benchmark's runs, so the test asserts the bound on three pages only.
 */
async function cappedDownlink(others, capped, roomId, tokens, rounds) {
  const CAP_KBPS = 300;
  const names = others.map((p) => p.name);
  const all = [...others, capped];
  const cameras = (rs, from) => from.map((n) => rs.find((x) => x.kind === 'video' && x.from === n)
    || { frameWidth: 0, framesDecoded: 0, packetsReceived: 0, packetsLost: 0 });
  const othersOf = (p) => all.filter((q) => q !== p).map((q) => q.name);
  const cap = (kbps) => execFileSync(cfg.netns, ['rate-cap', cfg.run, 'c2', String(kbps)], { stdio: ['ignore', 'ignore', 'pipe'] });
  // the node's view: a page's (the capped one's) downlink estimate and the layer each of its consumers sends
  const nodeView = async (page = capped) => {
    const st = await rest(N.url, 'GET', `/api/rooms/${roomId}/stats`, undefined, tokens[capped.name]);
    const streams = ((st.json && (st.json.streams || st.json)) || []);
    const session = (await view(page)).sessionId;
    const mine = Array.isArray(streams) ? streams.filter((x) => x.direction === 'subscribe' && x.sessionId === session) : [];
    const e = mine.length ? mine[0] : {};
    return { estimateBps: e.estimateBps ?? null, ackedBps: e.estimateAckedBps ?? null, loss: e.estimateLossFraction, signal: e.estimateSignal,
      probes: e.estimateProbes, lastProbeBps: e.estimateLastProbeBps,
      layers: mine.filter((x) => x.layer !== undefined).map((x) => `${x.layer}${x.maxTemporalLayer === undefined ? '' : `/t${x.maxTemporalLayer}`}`),
      detail: subscriberDetail(mine) };
  };
  await waitFor(`${capped.name} decodes the others at >= 640 wide and they decode him`, async () => {
    const s = await Promise.all(all.map(inbound));
    return s.every((rs, i) => cameras(rs, othersOf(all[i])).every((v) => v.framesDecoded > 0))
      && cameras(s[s.length - 1], names).every((v) => v.frameWidth >= 640) ? s : null;
  }, 60000, log, 500).catch(async (e) => {
    log(`${capped.name}'s inbound at the timeout: ${JSON.stringify(await inbound(capped))}; node: ${JSON.stringify(await nodeView())}`);
    throw e;
  });
  const out = { capKbps: CAP_KBPS, rounds: [] };
  for (let r = 0; r < rounds; r++) {
    const round = {};
    const samples = []; // the capped page's cameras every 250 ms: {t, widths, frames}
    let lastSample = null;
    const sample = async () => {
      const rs = await inbound(capped);
      const vs = cameras(rs, names);
      lastSample = { t: Date.now(), widths: vs.map((v) => v.frameWidth), frames: vs.map((v) => v.framesDecoded),
        videoReceived: vs.map((v) => v.packetsReceived), videoLost: vs.map((v) => v.packetsLost),
        videoBytes: vs.map((v) => v.bytesReceived || 0), audioBytes: rs.filter((x) => x.kind === 'audio').reduce((n, x) => n + x.bytesReceived, 0),
        received: rs.reduce((n, x) => n + x.packetsReceived, 0), lost: rs.reduce((n, x) => n + Math.max(0, x.packetsLost), 0) };
      samples.push(lastSample);
      return lastSample;
    };
    await sample();
    const cappedAt = Date.now();
    cap(CAP_KBPS);
    await waitFor(`${capped.name} down to <= 320 wide from every camera under the ${CAP_KBPS} kbit/s cap`, async () => {
      const s = await sample();
      return s.widths.every((w) => w > 0 && w <= 320) ? s : null;
    }, 60000, log, 250).catch(async (e) => {
      log(`${capped.name} at the timeout: ${JSON.stringify(lastSample)}; node: ${JSON.stringify(await nodeView())}`);
      throw e;
    });
    round.switchDownMs = Date.now() - cappedAt;
    // 10 s under the cap, in 2 s windows
    const start = lastSample;
    const othersBefore = await Promise.all(others.map(inbound));
    // the other pages' cameras, once per 2 s window: the share of those samples with every camera
    // at >= 640 is a figure (on this 2-core machine their estimates sometimes sag for a few seconds;
    // see the plugin README), their climb back after the lift is checked
    let othersSamples = 0;
    let othersHigh = 0;
    const othersAllHigh = (seen) => others.every((p, i) => cameras(seen[i], othersOf(p)).every((v) => v.frameWidth >= 640));
    const windows = [];
    round.capTrace = [];
    let maxWidth = 0;
    let windowSamples = 0;
    let lowSamples = 0;
    const sinceLastWindow = await capWindowCounters(cfg.netns, cfg.run, N.url);
    for (let w = 0; w < 5; w++) {
      const from = lastSample;
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        await sleep(250);
        const widths = (await sample()).widths;
        maxWidth = Math.max(maxWidth, ...widths);
        windowSamples++;
        if (widths.every((x) => x > 0 && x <= 320)) lowSamples++;
      }
      othersSamples++;
      if (othersAllHigh(await Promise.all(others.map(inbound)))) othersHigh++;
      windows.push(lastSample.frames.map((f, i) => f - from.frames[i]));
      // the node's view once per window: why a round loses (estimate, probes, layers)
      const videoLost = lastSample.videoLost.map((n, i) => n - from.videoLost[i]);
      const audioLost = lastSample.lost - from.lost - videoLost.reduce((a, b) => a + b, 0);
      round.capTrace.push(`window ${w + 1}: video lost ${videoLost.join('/')} of ${lastSample.videoReceived.map((n, i) => n - from.videoReceived[i]).join('/')} `
        + `received, audio lost ${audioLost}, ${await sinceLastWindow()}; ${(await nodeView()).detail}`);
    }
    const end = lastSample;
    round.framesPer2sWindow = windows;
    round.cappedFrameWidths = end.widths;
    round.cappedMaxFrameWidth = maxWidth;
    // share of the window's samples at <= 320 from every camera: a probe that overshoots on a busy
    // machine can lift a camera to 640 for a moment before the estimate takes it back
    round.cappedLowShare = lowSamples / Math.max(1, windowSamples);
    const lost = end.lost - start.lost;
    round.cappedLossPct = (100 * lost) / Math.max(1, end.received - start.received + lost);
    // what reached him under the cap (payload bytes, no headers): each camera, and all audio together
    const kbps = (bytes) => Math.round((8 * bytes) / (end.t - start.t));
    round.cappedKbps = { video: end.videoBytes.map((b, i) => kbps(b - start.videoBytes[i])), audio: kbps(end.audioBytes - start.audioBytes) };
    // the publishers' own encoders: a layer they stopped sending (cpu) cannot reach anyone
    round.publishers = Object.fromEntries(await Promise.all(others.map(async (p) => [p.name,
      (await outbound(p)).map((o) => `${o.rid}:${o.frameWidth}@${Math.round(o.fps)}${o.limitedBy === 'none' ? '' : `(${o.limitedBy})`}`).join(' ')])));
    round.node = await nodeView();
    const seen = await Promise.all(others.map(inbound));
    round.othersWidths = Object.fromEntries(others.map((p, i) => [p.name, cameras(seen[i], othersOf(p)).map((v) => v.frameWidth)]));
    othersSamples++;
    if (othersAllHigh(seen)) othersHigh++;
    round.othersAt640Share = othersHigh / othersSamples;
    // why another page got less than 640 of a camera: its own estimate, or the publisher's encoder
    if (!Object.values(round.othersWidths).every((ws) => ws.every((x) => x >= 640))) {
      round.othersNode = Object.fromEntries(await Promise.all(others.map(async (p) => [p.name, await nodeView(p)])));
    }
    // frames per second each page decodes of each camera over the window
    const seconds = (end.t - start.t) / 1000;
    round.fps = Object.fromEntries(others.map((p, i) => [p.name, cameras(seen[i], othersOf(p))
      .map((v, k) => +((v.framesDecoded - cameras(othersBefore[i], othersOf(p))[k].framesDecoded) / seconds).toFixed(1))]));
    round.fps[capped.name] = end.frames.map((f, k) => +((f - start.frames[k]) / seconds).toFixed(1));
    const liftedAt = Date.now();
    cap('off');
    const climb = climbTrace(async () => `widths ${lastSample.widths.join('/')}; ${(await nodeView()).detail}`);
    await waitFor(`${capped.name} back to >= 640 wide from every camera once the cap is lifted`, async () => {
      const s = await sample();
      return s.widths.every((w) => w >= 640) ? s : null;
    }, 60000, log, 250).catch(async (e) => {
      log(`${capped.name} at the timeout: ${JSON.stringify(lastSample)}; node: ${JSON.stringify(await nodeView())}`);
      throw e;
    }).finally(async () => { round.climbTrace = await climb.stop(); });
    round.climbBackMs = Date.now() - liftedAt;
    if (round.climbBackMs > 10000) log(`slow climb back (${round.climbBackMs} ms), the node once a second:\n  ${round.climbTrace.join('\n  ')}`);
    round.liftedWidths = lastSample.widths;
    const othersLifted = await waitFor('the other pages back to >= 640 wide from every camera once the cap is lifted', async () => {
      const o = await Promise.all(others.map(inbound));
      return othersAllHigh(o) ? o : null;
    }, 60000, log, 500);
    round.othersLiftedWidths = Object.fromEntries(others.map((p, i) => [p.name, cameras(othersLifted[i], othersOf(p)).map((v) => v.frameWidth)]));
    round.nodeLifted = await nodeView();
    // the longest stretch without a new decoded frame from one camera, from the cap to the climb back
    round.longestFreezeMs = 0;
    for (let c = 0; c < names.length; c++) {
      let since = samples[0].t;
      for (let k = 1; k < samples.length; k++) {
        if (samples[k].frames[c] > samples[k - 1].frames[c]) since = samples[k].t;
        else round.longestFreezeMs = Math.max(round.longestFreezeMs, samples[k].t - since);
      }
    }
    round.ok = round.cappedLowShare >= 0.8 && round.cappedFrameWidths.every((x) => x > 0 && x <= 320)
      && windows.every((w) => w.every((f) => f > 0))
      && Object.values(round.othersLiftedWidths).every((ws) => ws.every((x) => x >= 640)) && round.liftedWidths.every((x) => x >= 640);
    figure(`${capped.name}'s downlink capped at ${CAP_KBPS} kbit/s: the cameras it receives down to ${JSON.stringify(round.cappedFrameWidths)} wide `
      + `${round.switchDownMs} ms after the cap (node's estimate then ${round.node.estimateBps} bit/s, acked ${round.node.ackedBps}, `
      + `layers ${round.node.layers.join(' ')}); `
      + `${Math.round(100 * round.cappedLowShare)} % of the capped window's samples at <= 320 (widest ${round.cappedMaxFrameWidth}); `
      + `frames per 2 s window ${JSON.stringify(windows)}, loss ${round.cappedLossPct.toFixed(2)} %, received kbit/s ${JSON.stringify(round.cappedKbps)}, `
      + `publishers' layers ${JSON.stringify(round.publishers)}, fps per page and camera `
      + `${JSON.stringify(round.fps)}, the others meanwhile at >= 640 from every camera in ${Math.round(100 * round.othersAt640Share)} % `
      + `of ${othersSamples} samples, at the window's end ${JSON.stringify(round.othersWidths)}${round.othersNode ? ` (their estimates and layers on the node: ${JSON.stringify(round.othersNode)})` : ''}; lifted: back to ${JSON.stringify(round.liftedWidths)} after ${round.climbBackMs} ms `
      + `(estimate ${round.nodeLifted.estimateBps}); longest freeze ${round.longestFreezeMs} ms${round.ok ? '' : '  <-- FAIL'}`);
    out.rounds.push(round);
  }
  return out;
}

/**
 * Firefox ESR (erin) joins the Chromium pages: she must decode and hear each of them, and each of
 * them must decode and hear her, for cfg.seconds s (the pages' own getStats on both browsers).
 * Then her camera: its size, the simulcast lines of her publish offer and what her encoder sends
 * (the web client sends Firefox's camera as one encoding; see media.js simulcastEncodings).
 *
 * `h264Publisher` (henry, sending H.264) is in the room too: erin must hear him and either decode
 * his camera or, where her browser says it cannot decode H.264 (no OpenH264 here), show on his tile
 * why it is not there; nothing of that may stop the pairs above.
 */
async function firefoxJoins(chromiumPages, roomId, h264Publisher) {
  const token = await login(N.url, 'erin', 'room-pass-123');
  const erin = await openFirefoxPage('erin', cfg.firefox, N, token, roomId);
  const all = [...chromiumPages, erin];
  const othersOf = (p) => all.filter((q) => q !== p).map((q) => q.name);
  const streams = (rs, from) => ({ video: rs.filter((x) => x.kind === 'video' && x.from === from), audio: rs.filter((x) => x.kind === 'audio' && x.from === from) });
  const decoding = (rs, from) => { const s = streams(rs, from); return s.video.some((x) => x.framesDecoded > 0) && s.audio.length > 0; };
  await waitFor('Firefox and Chromium pages decoding each other', async () => {
    const s = await Promise.all(all.map(inbound));
    return s.every((rs, i) => othersOf(all[i]).every((r) => decoding(rs, r))) ? s : null;
  }, 60000, log).catch(async (e) => {
    for (const p of all) log(`${p.name} inbound at the timeout: ${JSON.stringify(await inbound(p))}`);
    throw e;
  });
  const before = await Promise.all(all.map(inbound));
  await sleep(cfg.seconds * 1000);
  const after = await Promise.all(all.map(inbound));
  const total = (rs, f) => rs.reduce((n, x) => n + x[f], 0);
  result.firefox = { pairs: [] };
  all.forEach((p, i) => {
    for (const r of othersOf(p).filter((name) => p === erin || name === 'erin')) {
      const s0 = streams(before[i], r), s1 = streams(after[i], r);
      const pair = { page: p.name, from: r, framesDecodedDelta: total(s1.video, 'framesDecoded') - total(s0.video, 'framesDecoded'),
        frameWidth: Math.max(0, ...s1.video.map((x) => x.frameWidth)),
        audioPacketsDelta: total(s1.audio, 'packetsReceived') - total(s0.audio, 'packetsReceived') };
      pair.ok = plays(pair.framesDecodedDelta, cfg.seconds) && pair.frameWidth > 0 && pair.audioPacketsDelta > 0;
      result.firefox.pairs.push(pair);
      figure(`${p === erin ? 'Firefox' : 'Chromium'} ${p.name} <- ${r}: in ${cfg.seconds} s framesDecoded +${pair.framesDecodedDelta} `
        + `at width ${pair.frameWidth}, audio packets +${pair.audioPacketsDelta}${pair.ok ? '' : '  <-- FAIL'}`);
    }
  });
  result.firefox.ok = result.firefox.pairs.length === 2 * chromiumPages.length && result.firefox.pairs.every((x) => x.ok);
  result.firefox.publish = await publishedCamera(erin);
  figure(`Firefox ${erin.name}'s camera ${result.firefox.publish.camera}: her offer's simulcast lines ${JSON.stringify(result.firefox.publish.offer)}; `
    + `her encoder sends ${JSON.stringify(result.firefox.publish.layers)}`);
  if (h264Publisher) result.firefox.h264 = await firefoxMeetsH264(erin, h264Publisher.name);
}

/**
 * What a Firefox page shows of an H.264 publisher: his audio must play; his camera either decodes
 * or his tile says the browser cannot play it (the server leaves it out of her subscribe offer).
 */
async function firefoxMeetsH264(page, publisher) {
  const seen = await waitFor(`${page.name} hears ${publisher} and decodes his H.264 camera or says why not`, async () => {
    const rs = await inbound(page);
    const audio = rs.find((x) => x.kind === 'audio' && x.from === publisher);
    const video = rs.find((x) => x.kind === 'video' && x.from === publisher);
    const note = await page.page.evaluate((name) => {
      const sid = window.visage.members.find((m) => m.displayName === name).sessionId;
      const tile = document.querySelector(`.tile[data-session-id="${CSS.escape(sid)}"] .tile-undecodable`);
      return tile ? tile.textContent : '';
    }, publisher);
    const videoShown = video && video.framesDecoded > 0 ? 'decoded' : note ? 'notice' : null;
    return audio && audio.packetsReceived > 0 && videoShown ? { videoShown, note, codec: video ? video.codec : null,
      framesDecoded: video ? video.framesDecoded : 0, audioPackets: audio.packetsReceived } : null;
  }, 60000, log);
  figure(`Firefox ${page.name} <- ${publisher} (H.264): audio packets ${seen.audioPackets}; camera ${seen.videoShown === 'decoded'
    ? `decoded as ${seen.codec} (${seen.framesDecoded} frames)` : `not sent, the tile says "${seen.note}"`}`);
  return seen;
}

/**
 * A page's camera as it publishes it: the camera's size, the simulcast lines of its publish offer
 * (rids, the rid header extensions, RTX SSRC pairs) and what its encoder sends per layer.
 */
async function publishedCamera(p) {
  const camera = await p.page.evaluate(() => {
    const m = window.visage.media;
    const s = m.localStream.getVideoTracks()[0].getSettings();
    const sdp = m.pub.localDescription.sdp.split('\r\n');
    const video = sdp.slice(sdp.findIndex((l) => l.startsWith('m=video')));
    return { size: `${s.width}x${s.height}`, offer: video.filter((l) => /^a=(rid:|simulcast:|ssrc-group:|extmap:\d+ urn:ietf:params:rtp-hdrext:sdes:)/.test(l)) };
  });
  return { camera: camera.size, offer: camera.offer, layers: (await outbound(p)).map((o) => `${o.rid}:${o.frameWidth}@${Math.round(o.fps)}`) };
}

/**
 * Bench mode (VISAGE_ROOM_REPEAT, ./visage bench join): `rounds` times a new page joins late and
 * then clicks Leave; returns each round's join-to-first-frame (max over the three others) and
 * Leave-to-tile-gone (max over the three watchers) times.
 */
async function repeatLateJoinAndLeave(pages, roomId, rounds) {
  const bench = { lateJoinFirstFrameMs: [], leaveTileGoneMs: [] };
  for (let i = 1; i <= rounds; i++) {
    const name = `late${i}`;
    const { joinTimes, leave } = await withTimeout(`round ${i}`, (async () => {
      const token = await login(N.url, name, 'room-pass-123');
      const late = await openPage(name, 'c1', N, token, roomId, true);
      const round = { joinTimes: await lateJoinTimes(late, pages.length), leave: await leaveTimes(late, pages) };
      await late.ctx.close();
      return round;
    })(), 180000);
    bench.lateJoinFirstFrameMs.push(joinTimes.maxJoinToFirstFrameMs);
    bench.leaveTileGoneMs.push(leave.maxTileGoneMs);
    figure(`round ${i}/${rounds}: late page's first frames ${JSON.stringify(joinTimes.joinToFirstFrameMs)} ms after joining; `
      + `its tile gone from the others ${JSON.stringify(leave.tileGoneMs)} ms after its Leave click`);
  }
  return bench;
}

/**
 * Times a page that joins late, inside the page: its own joinedAt, when its PeerConnections
 * connected (their events), and the first decoded frame of each of `othersCount` others.
 */
async function lateJoinTimes(latePage, othersCount) {
  await latePage.page.evaluate((othersCount) => {
    const t = { opened: Math.round(performance.timeOrigin), joined: null, pubConnected: null, subCreated: null, subConnected: null, firstFrame: {} };
    window.__lateJoin = t;
    const tick = async () => {
      const v = window.visage;
      const now = Date.now();
      if (v && v.joined && t.joined === null) t.joined = v.joinedAt;
      // connection times from the PCs' own events (a poll can miss them: it stops at the last first frame)
      const onConnected = (pc, key) => {
        if (!pc || pc.__timed) return;
        pc.__timed = true;
        const note = () => { if (pc.connectionState === 'connected' && t[key] === null) t[key] = Date.now(); };
        pc.addEventListener('connectionstatechange', note);
        note();
      };
      const pub = v && v.media && v.media.pub;
      onConnected(pub, 'pubConnected');
      const sub = v && v.media && v.media.sub;
      if (sub && t.subCreated === null) t.subCreated = now;
      onConnected(sub, 'subConnected');
      if (sub) {
        const names = new Map(v.members.map((x) => [x.sessionId, x.displayName]));
        const owner = new Map();
        for (const tile of document.querySelectorAll('.tile')) {
          if (tile._stream) for (const tr of tile._stream.getTracks()) owner.set(tr.id, names.get(tile.dataset.sessionId));
        }
        (await sub.getStats()).forEach((r) => {
          const from = owner.get(r.trackIdentifier);
          if (r.type === 'inbound-rtp' && r.kind === 'video' && r.framesDecoded > 0 && from && !(from in t.firstFrame)) t.firstFrame[from] = Date.now();
        });
      }
      if (Object.keys(t.firstFrame).length < othersCount) setTimeout(tick, 20);
    };
    tick();
  }, othersCount);
  const late = await waitFor(`the late page ${latePage.name} decodes the ${othersCount} others`, async () => {
    const t = await latePage.page.evaluate(() => window.__lateJoin);
    return t && t.joined !== null && t.subConnected !== null && Object.keys(t.firstFrame).length >= othersCount ? t : null;
  }, 60000, log);
  const times = { joinToFirstFrameMs: {}, subConnectedToFirstFrameMs: {}, joinToSubConnectedMs: Math.round(late.subConnected - late.joined),
    openToJoinMs: late.joined - late.opened, joinToPubConnectedMs: late.pubConnected === null ? null : late.pubConnected - late.joined,
    joinToSubCreatedMs: late.subCreated - late.joined };
  for (const [from, at] of Object.entries(late.firstFrame)) {
    times.joinToFirstFrameMs[from] = Math.round(at - late.joined);
    times.subConnectedToFirstFrameMs[from] = Math.round(at - late.subConnected);
  }
  times.maxJoinToFirstFrameMs = Math.max(...Object.values(times.joinToFirstFrameMs));
  return times;
}

/** The leaver clicks Leave; each watcher notes when the leaver's tile leaves its grid. */
async function leaveTimes(leaver, watchers) {
  const leaverSession = (await view(leaver)).sessionId;
  await Promise.all(watchers.map((w) => w.page.evaluate((sid) => {
    const gone = { at: null };
    window.__tileGone = gone;
    const grid = document.getElementById('video-grid');
    const check = () => {
      if (gone.at === null && !grid.querySelector(`.tile[data-session-id="${CSS.escape(sid)}"]`)) gone.at = Date.now();
    };
    new MutationObserver(check).observe(grid, { childList: true, subtree: true });
  }, leaverSession)));
  // the click's time as the page saw it (Playwright's own actionability checks are not counted)
  await leaver.page.evaluate(() => document.getElementById('leave-btn').addEventListener('click', () => sessionStorage.setItem('leaveClickedAt', String(Date.now())), { capture: true }));
  await leaver.page.click('#leave-btn');
  const clickedAt = await waitFor('the page to note its Leave click', async () => Number(await leaver.page.evaluate(() => sessionStorage.getItem('leaveClickedAt')).catch(() => 0)) || null, 10000, log);
  const gone = await waitFor(`${leaver.name}'s tile gone from every other grid`, async () => {
    const g = await Promise.all(watchers.map((w) => w.page.evaluate(() => window.__tileGone.at)));
    return g.every((x) => x !== null) ? g : null;
  }, 30000, log);
  const times = { tileGoneMs: {} };
  watchers.forEach((w, i) => { times.tileGoneMs[w.name] = gone[i] - clickedAt; });
  times.maxTileGoneMs = Math.max(...Object.values(times.tileGoneMs));
  return times;
}

/** The node's visage_sfu_rtp_forwarded_total, from its Prometheus text. */
async function forwardedPackets() {
  const line = (await rest(N.url, 'GET', '/metrics')).text.split('\n').find((l) => l.startsWith('visage_sfu_rtp_forwarded_total'));
  if (!line) throw new Error('visage_sfu_rtp_forwarded_total missing from /metrics');
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
