// Shared pieces of the namespace scenario drivers (tests/relay/relay-scenario.mjs,
// tests/media/room-scenario.mjs): REST log-in, Chromium and Firefox pages through the real web
// client, and the page's own getStats. Playwright-core (Chromium) and puppeteer-core (Firefox, over
// WebDriver BiDi) come from NODE_PATH (tests/browser/node_modules).
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const requireModule = createRequire(join(process.env.NODE_PATH, '..', 'noop.js'));
const { chromium } = requireModule('playwright-core');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A video stream "plays" when it decodes at least this many frames per second on average. The
 * fake camera sends 30 fps; on a busy 2-core machine Chromium's encoder adapts well below that,
 * while a frozen or broken stream decodes none. Tests assert that media plays; how well it plays
 * is a benchmark's figure (./visage bench), not a test's limit.
 */
export const PLAYING_FPS = 3;
export const plays = (framesDelta, seconds, streams = 1) => framesDelta >= PLAYING_FPS * seconds * streams;

export async function rest(base, method, path, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, json, text };
}

/** Registers (if needed) and logs in; returns the user token. */
export async function login(base, username, password) {
  await rest(base, 'POST', '/api/users', { username, password, displayName: username });
  const r = await rest(base, 'POST', '/api/login', { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.userToken;
}

/** fn's promise, or an error after ms: for steps (a page opening, a round) that have no timeout of their own. */
export function withTimeout(what, promise, ms) {
  let timer;
  const expired = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out (${ms} ms): ${what}`)), ms); });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export async function waitFor(what, fn, timeoutMs, log = () => {}, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn().catch((e) => { log(what, 'probe failed:', e.message); return null; });
    if (v) return v;
    await sleep(everyMs);
  }
  throw new Error(`timed out (${timeoutMs} ms) waiting for ${what}`);
}

/**
 * Headless Chromium pages on the real web client. clients: {name -> Chromium executable (a
 * wrapper that enters the client's namespace)}; origins: the node URLs (plain http, treated as
 * secure so getUserMedia works). shared: the pages of one client (and device choice) share one
 * Chromium process, each in its own context (own localStorage), which saves CPU on small
 * machines; otherwise every page gets its own Chromium and profile directory. close() closes every
 * page and browser and removes the profiles.
 */
export function browsers({ clients, origins, prefix, log, shared = false }) {
  const baseFlags = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    '--use-fake-ui-for-media-stream', '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required', `--unsafely-treat-insecure-origin-as-secure=${origins.join(',')}`];
  const contexts = [];
  const dirs = [];
  const launched = new Map(); // client|devices -> Promise<Browser> (shared mode)
  const firefoxes = [];
  /**
   * Logs the page in through localStorage and opens /r/<roomId> (the home page if roomId is null);
   * devices: true for the fake camera and microphone (whose beeps never stop), 'silent' for the
   * fake camera and a microphone that hears silence (someone who is not talking).
   */
  /** `search` is added to the room's address (e.g. '?codec=h264'). */
  async function openPage(name, client, node, token, roomId, devices, search = '') {
    const fake = devices ? [...baseFlags, '--use-fake-device-for-media-stream'] : baseFlags;
    const args = devices === 'silent' ? [...fake, `--use-file-for-fake-audio-capture=${silenceWav()}`] : fake;
    const options = { executablePath: clients[client], headless: true, args, ignoreDefaultArgs: ['--headless'] };
    let ctx;
    if (shared) {
      const key = `${client}|${devices || false}`;
      if (!launched.has(key)) launched.set(key, chromium.launch(options));
      ctx = await (await launched.get(key)).newContext();
    } else {
      const dir = mkdtempSync(join(tmpdir(), `${prefix}-${name}-`));
      dirs.push(dir);
      ctx = await chromium.launchPersistentContext(dir, options);
    }
    contexts.push(ctx);
    const page = ctx.pages()[0] || await ctx.newPage();
    return { name, page: await enterRoom(page, name, node, token, roomId, search), ctx };
  }
  /**
   * The same on Firefox ESR (executable: firefox-esr, in the driver's own namespace: puppeteer
   * reaches it over a BiDi socket on loopback), headless with its fake camera and microphone. The
   * node's plain-http origin is made a secure context (as Chromium's
   * --unsafely-treat-insecure-origin-as-secure does), and media is allowed on it.
   */
  async function openFirefoxPage(name, executable, node, token, roomId) {
    const puppeteer = requireModule('puppeteer-core');
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-${name}-`));
    dirs.push(dir);
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: executable, headless: true, userDataDir: dir,
      extraPrefsFirefox: {
        'media.navigator.streams.fake': true, 'media.navigator.permission.disabled': true,
        'dom.securecontext.allowlist': new URL(node.url).hostname,
        'media.devices.insecure.enabled': true, 'media.getusermedia.insecure.enabled': true,
        'media.autoplay.default': 0, 'media.peerconnection.ice.obfuscate_host_addresses': false,
        // nothing may leave the machine: no update, telemetry, experiments, remote settings,
        // captive-portal or connectivity checks (puppeteer's own profile turns off more)
        'app.update.enabled': false, 'toolkit.telemetry.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false,
        'app.normandy.enabled': false, 'messaging-system.rsexperimentloader.enabled': false, 'services.settings.server': 'http://127.0.0.1:9/',
        'network.captive-portal-service.enabled': false, 'network.connectivity-service.enabled': false, 'network.dns.disablePrefetch': true,
        'browser.safebrowsing.malware.enabled': false, 'browser.safebrowsing.phishing.enabled': false, 'extensions.update.enabled': false,
      } });
    firefoxes.push(browser);
    const page = await browser.newPage();
    return { name, page: await enterRoom(page, name, node, token, roomId), browser };
  }
  /** Logs the page in through localStorage and opens /r/<roomId> or, for null, / (Playwright and Puppeteer pages alike). */
  async function enterRoom(page, name, node, token, roomId, search = '') {
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning' || m.type() === 'warn') log(`${name} console.${m.type()}:`, m.text()); });
    page.on('pageerror', (e) => log(`${name} pageerror:`, e.message));
    await page.goto(`${node.url}/health`);
    await page.evaluate((a) => { // one argument: Playwright and Puppeteer pass it the same way
      localStorage.setItem('visage.userToken', a.token);
      localStorage.setItem('visage.user', JSON.stringify({ username: a.name, displayName: a.name }));
    }, { token, name });
    await page.goto(roomId === null ? `${node.url}/` : `${node.url}/r/${encodeURIComponent(roomId)}${search}`);
    return page;
  }
  let silence = null;
  /** One second of 48 kHz 16-bit mono silence as a WAV file (Chromium loops it). */
  function silenceWav() {
    if (silence) return silence;
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-silence-`));
    dirs.push(dir);
    const samples = 48000;
    const wav = Buffer.alloc(44 + 2 * samples);
    wav.write('RIFF', 0); wav.writeUInt32LE(36 + 2 * samples, 4); wav.write('WAVEfmt ', 8);
    wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22); wav.writeUInt32LE(48000, 24);
    wav.writeUInt32LE(96000, 28); wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34); wav.write('data', 36); wav.writeUInt32LE(2 * samples, 40);
    silence = join(dir, 'silence.wav');
    writeFileSync(silence, wav);
    return silence;
  }
  async function close() {
    for (const b of firefoxes) await b.close().catch(() => {});
    for (const c of contexts) await c.close().catch(() => {});
    for (const b of launched.values()) await (await b).close().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return { openPage, openFirefoxPage, close };
}

/** Saves a PNG of the page as the user sees it (its viewport) under dir, for the README's pictures. */
export async function screenshot(page, dir, name) {
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name) });
}

/** The page's connection as window.visage shows it. */
export const view = (p) => p.page.evaluate(() => {
  const v = window.visage;
  return v ? { joined: v.joined, node: v.node && v.node.id, sessionId: v.sessionId, members: v.members.length } : null;
});

/**
 * Inbound streams of the page's subscribe PeerConnection (the browser's getStats); `from` is the
 * display name of the member whose tile shows the track, "<name>:screen" for a shared screen's
 * tile (null if no tile shows it); `codec` the stream's mimeType (video/VP8, video/H264, audio/opus).
 */
export const inbound = (p) => p.page.evaluate(async () => {
  const m = window.visage && window.visage.media;
  if (!m || !m.sub) return [];
  const names = new Map(window.visage.members.map((x) => [x.sessionId, x.displayName]));
  const owner = new Map();
  for (const tile of document.querySelectorAll('.tile')) {
    if (tile._stream) for (const t of tile._stream.getTracks()) owner.set(t.id, names.get(tile.dataset.sessionId) || tile.dataset.sessionId);
  }
  for (const tile of document.querySelectorAll('.screen-tile')) {
    const s = tile.querySelector('video').srcObject;
    if (s) for (const t of s.getTracks()) owner.set(t.id, `${names.get(tile.dataset.sessionId) || tile.dataset.sessionId}:screen`);
  }
  const rs = [];
  const stats = await m.sub.getStats();
  stats.forEach((r) => {
    const codec = r.codecId && stats.get(r.codecId);
    if (r.type === 'inbound-rtp') rs.push({ kind: r.kind, ssrc: r.ssrc, from: owner.get(r.trackIdentifier) || null,
      codec: (codec && codec.mimeType) || null, framesDecoded: r.framesDecoded || 0, frameWidth: r.frameWidth || 0,
      frameHeight: r.frameHeight || 0, packetsReceived: r.packetsReceived || 0, packetsLost: r.packetsLost || 0, nackCount: r.nackCount || 0,
      pliCount: r.pliCount || 0, jitter: r.jitter || 0, bytesReceived: r.bytesReceived || 0, keyFramesDecoded: r.keyFramesDecoded || 0 });
  });
  return rs;
});

/**
 * What the page's camera sends, per simulcast layer (the browser's outbound-rtp of its publish
 * PeerConnection): rid, codec (mimeType), frame size and rate, and why the encoder holds back (cpu,
 * bandwidth, none).
 */
export const outbound = (p) => p.page.evaluate(async () => {
  const m = window.visage && window.visage.media;
  if (!m || !m.pub) return [];
  const rs = [];
  const stats = await m.pub.getStats();
  stats.forEach((r) => {
    const codec = r.codecId && stats.get(r.codecId);
    if (r.type === 'outbound-rtp' && r.kind === 'video') rs.push({ rid: r.rid || null, codec: (codec && codec.mimeType) || null, frameWidth: r.frameWidth || 0,
      fps: r.framesPerSecond || 0, active: r.active !== false, limitedBy: r.qualityLimitationReason || 'none' });
  });
  return rs.sort((a, b) => a.frameWidth - b.frameWidth);
});
/**
 * The node's view of one subscriber from its room's stats rows (`mine`: that session's subscribe
 * rows): its downlink estimate with the estimate's parts, and each camera's layer, target, rung and
 * hold. One line, for the traces that say why a capped page lost packets or climbed slowly.
 */
export const subscriberDetail = (mine) => (mine.length === 0 ? 'no subscribe rows'
  : `est ${mine[0].estimateBps} (delay ${mine[0].estimateDelayBasedBps}, loss ${mine[0].estimateLossBasedBps}, `
    + `acked ${mine[0].estimateAckedBps}, ${mine[0].estimateSignal}, overuses ${mine[0].estimateOveruses}, `
    + `probes ${mine[0].estimateProbes} last ${mine[0].estimateLastProbeBps}, queue ${mine[0].estimateStandingQueueMs} ms) `
    + mine.filter((x) => x.layer !== undefined).map((x) => `${x.relayed ? 'relayed' : 'local'} layer ${x.layer}->${x.targetLayer}`
      + `${x.maxTemporalLayer === undefined ? '' : `/t${x.maxTemporalLayer}`} rung ${x.bandwidthRung} hold ${x.upHoldMs} ms`
      + ` resent ${x.retransmissions}`).join(', '));
/**
 * While a capped page climbs back: the line `line()` resolves to, once a second and stamped with
 * the seconds since the start (the node's view: where a slow climb waits, on the estimate, a probe,
 * a hold or a key frame), until `stop()`, which resolves to the lines.
 */
export function climbTrace(line) {
  const lines = [];
  const startedAt = Date.now();
  let climbing = true;
  const tracing = (async () => {
    while (climbing) {
      lines.push(`+${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${await line().catch((err) => `stats failed: ${err.message}`)}`);
      await sleep(1000);
    }
  })();
  return { stop: async () => { climbing = false; await tracing; return lines; } };
}
/** Frames the rate caps have dropped so far (drop-tail at a capped downlink: `netns.sh cap-drops`). */
function bottleneckDrops(netns, run) {
  try {
    return Number(execFileSync(netns, ['cap-drops', run], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}
/** The node's answers to NACKs so far (/metrics, every subscriber): resent, not in the cache, held back by each limit. */
async function nackAnswers(url) {
  const text = (await rest(url, 'GET', '/metrics')).text;
  const counter = (name) => Number((text.match(new RegExp(`^visage_sfu_${name}_total\\{[^}]*\\} (\\S+)`, 'm')) || [])[1]);
  return { resent: counter('retransmissions'), missing: counter('retransmissions_missing'),
    heldRtt: counter('retransmissions_suppressed_rtt'), heldCount: counter('retransmissions_suppressed_count'),
    heldBudget: counter('retransmissions_suppressed_budget') };
}
/**
 * For a cap trace's windows: returns a function that says, each time it is called, what the capped
 * link dropped and how the node at url answered NACKs since the call before (or since this one).
 */
export async function capWindowCounters(netns, run, url) {
  let drops = bottleneckDrops(netns, run);
  let answers = await nackAnswers(url);
  return async () => {
    const d = bottleneckDrops(netns, run), a = await nackAnswers(url);
    const line = `the capped link dropped ${d - drops}, NACKs answered ${a.resent - answers.resent}, not cached ${a.missing - answers.missing}, `
      + `held back by RTT ${a.heldRtt - answers.heldRtt} / count ${a.heldCount - answers.heldCount} / budget ${a.heldBudget - answers.heldBudget}`;
    drops = d;
    answers = a;
    return line;
  };
}
export const sum = (rs, kind, f) => rs.filter((r) => r.kind === kind).reduce((n, r) => n + (r[f] || 0), 0);

/**
 * The sharer's page clicks Share (Chromium's fake screen, 1280x720): each viewer's page must show
 * it in its large screen tile and decode it while the sharer's camera keeps playing. Then the
 * browser's own "stop sharing" (the captured track ends) must take the tile off every viewer's page.
 * Pages are {name, page}. Returns the figures and `ok`; throws if either never happens (a minute).
 */
export async function shareScreen(sharer, viewers, log) {
  const screenOf = (rs) => rs.find((x) => x.kind === 'video' && x.from === `${sharer.name}:screen`);
  const cameraOf = (rs) => rs.find((x) => x.kind === 'video' && x.from === sharer.name);
  const clickedAt = Date.now();
  await sharer.page.click('#screen-btn');
  const first = await waitFor(`${sharer.name}'s screen decoded on the others' pages`, async () => {
    const s = await Promise.all(viewers.map(inbound));
    return s.every((rs) => (screenOf(rs) || {}).framesDecoded > 0) ? s : null;
  }, 60000, log);
  const out = { shownMs: Date.now() - clickedAt, viewers: {} };
  await sleep(5000);
  const after = await Promise.all(viewers.map(inbound));
  const layout = await Promise.all(viewers.map((v) => v.page.evaluate(() => {
    const stage = document.getElementById('screen-stage');
    const tile = stage.querySelector('.screen-tile');
    return { stageShown: !stage.hidden, tiles: stage.querySelectorAll('.screen-tile').length,
      label: tile ? tile.querySelector('.tile-name').textContent : null,
      widthShare: tile ? tile.getBoundingClientRect().width / document.getElementById('stage').getBoundingClientRect().width : 0 };
  })));
  viewers.forEach((v, i) => {
    const s0 = screenOf(first[i]), s1 = screenOf(after[i]) || { framesDecoded: 0, frameWidth: 0 };
    const c0 = cameraOf(first[i]) || { framesDecoded: 0 }, c1 = cameraOf(after[i]) || { framesDecoded: 0 };
    out.viewers[v.name] = { screenFramesIn5s: s1.framesDecoded - s0.framesDecoded, screenWidth: s1.frameWidth,
      cameraFramesIn5s: c1.framesDecoded - c0.framesDecoded, ...layout[i] };
  });
  out.ok = Object.values(out.viewers).every((w) => w.screenFramesIn5s > 0 && w.screenWidth > 0 && plays(w.cameraFramesIn5s, 5)
    && w.stageShown && w.tiles === 1 && w.label === `${sharer.name}'s screen` && w.widthShare > 0.5);
  const stoppedAt = Date.now();
  await sharer.page.evaluate(() => {
    const track = window.visage.media.screen.stream.getVideoTracks()[0];
    track.stop();
    track.dispatchEvent(new Event('ended')); // what the browser's own "stop sharing" fires
  });
  await waitFor(`${sharer.name}'s screen tile gone from the others' pages`, async () => {
    const gone = await Promise.all(viewers.map((v) => v.page.evaluate(() => document.getElementById('screen-stage').hidden
      && document.querySelectorAll('.screen-tile').length === 0)));
    return gone.every(Boolean);
  }, 60000, log);
  out.stoppedMs = Date.now() - stoppedAt;
  return out;
}
