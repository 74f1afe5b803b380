// Room media scenario driver (started by room-scenario.sh inside the "core" namespace): issue 3,
// acceptance 1 through the real web client. Three Chromium pages with fake camera and microphone
// (client namespace c1) join ONE room on ONE node. For each page and each of the two others, from
// the page's own getStats over SECONDS s: inbound video framesDecoded +>= 100, frameWidth > 0,
// inbound audio packetsReceived rising, packets lost (audio + video) below 1 % of those expected.
// Prints one JSON verdict on stdout; progress and [figure] lines go to stderr.
import { browsers, inbound, login, rest, sleep, view, waitFor } from '../netns/scenario-lib.mjs';

const cfg = JSON.parse(process.env.VISAGE_SCENARIO);
const log = (...a) => console.error('[driver]', ...a);
const N = cfg.node;
const result = { ok: false, run: cfg.run, mode: cfg.mode, startupMs: cfg.startupMs, seconds: cfg.seconds, figures: [], pairs: [] };
const figure = (line) => { result.figures.push(line); console.error(`[figure] ${line}`); };
const { openPage, close } = browsers({ clients: cfg.clients, origins: [N.url], prefix: 'visage-room', log, shared: true });

try {
  const names = ['alice', 'bob', 'carol'];
  const tokens = {};
  for (const n of names) tokens[n] = await login(N.url, n, 'room-pass-123');
  const room = await rest(N.url, 'POST', '/api/rooms', { name: 'Room media' }, tokens.alice);
  if (room.status !== 201) throw new Error(`room: ${room.status} ${room.text}`);
  const roomId = room.json.roomId;
  log('room', roomId);

  const t0 = Date.now();
  const pages = [];
  for (const n of names) pages.push(await openPage(n, 'c1', N, tokens[n], roomId, true));
  for (const p of pages) p.view = await waitFor(`${p.name} joined`, async () => { const v = await view(p); return v && v.joined ? v : null; }, 60000, log);
  result.nodes = pages.map((p) => p.view.node);
  // every page shows video and audio from both others, each mapped to its member's tile
  const remotes = (p) => names.filter((n) => n !== p.name);
  await waitFor('video decoded from both others on every page', async () => {
    const s = await Promise.all(pages.map(inbound));
    return s.every((rs, i) => remotes(pages[i]).every((r) => rs.some((x) => x.kind === 'video' && x.from === r && x.framesDecoded > 0)
      && rs.some((x) => x.kind === 'audio' && x.from === r))) ? s : null;
  }, 60000, log);
  figure(`3 pages in one room on ${N.id}: first frames from both others decoded on every page ${Date.now() - t0} ms after the first page opened`);

  const before = await Promise.all(pages.map(inbound));
  await sleep(cfg.seconds * 1000);
  const after = await Promise.all(pages.map(inbound));

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
      s.ok = s.videoStreams === 1 && s.audioStreams === 1 && s.framesDecodedDelta >= 100 && s.frameWidth > 0
        && s.audioPacketsDelta > 0 && s.lossPct < 1;
      result.pairs.push(s);
      figure(`${s.page} <- ${s.from}: in ${cfg.seconds} s framesDecoded +${s.framesDecodedDelta} at ${s.frameWidth}x${s.frameHeight}, `
        + `video packets +${s.videoPacketsDelta}, audio packets +${s.audioPacketsDelta}, lost ${s.packetsLostDelta} (${s.lossPct.toFixed(2)} %), `
        + `NACKs ${s.nackCount}, PLIs ${s.pliCount}${s.ok ? '' : '  <-- FAIL'}`);
    }
  });
  result.ok = result.pairs.length === 6 && result.pairs.every((s) => s.ok) && result.nodes.every((n) => n === N.id);
} catch (e) {
  result.error = String(e && e.stack || e);
  log(result.error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
