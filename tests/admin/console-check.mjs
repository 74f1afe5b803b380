// The operators' console in headless Chromium, as an operator and as a plain user see it, with a
// strict Content-Security-Policy added to every answer (no inline script or style, scripts from
// the node only), so the page is known to work under one whatever the node itself sends. Then a
// member's room page, removed with the console's Remove button: it says so and stays out. Then two
// members in a room with a picked link, each page opened on its own node (`?node=<id>`, the second
// through the link typed with capitals): the console lists both with the node each page is on, and
// its quality chart takes new points by itself; it drains the first member's node (that page moves
// to the other node and both decode each other's video again) and closes their room (both pages
// say so).
// VISAGE_CONSOLE_CHECK (JSON): {url, admin: {username, password}, user: {username, password},
// member: {username, password}, movers: two {username, password}, nodes: [the two node ids the
// console must list], screenshots: a directory}. A picture of the console with the two members'
// live room goes to screenshots/admin-console.png. Prints one JSON verdict on stdout; progress on
// stderr.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '../browser/node_modules/playwright-core/index.mjs';

const cfg = JSON.parse(process.env.VISAGE_CONSOLE_CHECK);
const log = (...a) => console.error('[console-check]', ...a);
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self' http: ws:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const TIMEOUT = 60000; // "it never happened"
const result = { ok: false, problems: [] };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, ignoreDefaultArgs: ['--headless'],
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream'],
});

async function rest(method, path, body, token) {
  const res = await fetch(`${cfg.url}${path}`, { method, body: body && JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
  return res.json();
}

/**
 * A fresh page (own localStorage); with `csp` every answer carries the strict policy above.
 * Violations and errors are kept.
 */
async function openPage(who, { csp }) {
  const ctx = await browser.newContext();
  if (csp) {
    await ctx.route('**/*', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
    });
  }
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) result.problems.push(`${who}: ${m.text()}`);
  });
  page.on('pageerror', (e) => result.problems.push(`${who}: page error ${e.message}`));
  return page;
}

async function openConsole(who) {
  const page = await openPage(who, { csp: true });
  await page.goto(`${cfg.url}/admin`);
  await page.fill('#username', cfg[who].username);
  await page.fill('#password', cfg[who].password);
  await page.click('#login-btn');
  return page;
}

/** Registers the account if needed and logs it in (one Argon2 hash on the node per login). */
async function signIn(who, account) {
  await rest('POST', '/api/users', { ...account, displayName: account.username }); // 409 once registered
  const { userToken, user } = await rest('POST', '/api/login', account);
  if (!user) throw new Error(`${who} (${account.username}) could not log in`);
  return { userToken, user };
}

/**
 * A signed-in member's room page, logged in through localStorage (the room page's CSP is not this
 * check's concern), at `base` (a node's URL, the check's node by default) + `path`.
 */
async function openRoomPage(who, { userToken, user }, path, base = cfg.url) {
  const page = await openPage(who, { csp: false });
  await page.goto(`${base}/health`);
  await page.evaluate(([t, u]) => {
    localStorage.setItem('visage.userToken', t);
    localStorage.setItem('visage.user', JSON.stringify({ username: u, displayName: u }));
  }, [userToken, user.username]);
  await page.goto(`${base}${path}`);
  return { page };
}

/** The node and session the page is on, and the video frames its subscribe PeerConnection has decoded. */
const mediaState = (page) => page.evaluate(async () => {
  const v = window.visage;
  let frames = 0;
  if (v.media && v.media.sub) {
    (await v.media.sub.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0; });
  }
  return { node: v.node && v.node.id, sessionId: v.sessionId, roomId: v.roomId, joined: v.joined, frames };
});

/**
 * Waits until each page is on its node of `nodes` (any node where null) and each decodes video
 * from the other: frames rising between two looks a second apart (a page that moved has a new
 * PeerConnection).
 */
async function bothDecoding(pages, nodes) {
  const deadline = Date.now() + TIMEOUT;
  let last = null;
  for (;;) {
    const states = await Promise.all(pages.map((p) => mediaState(p.page)));
    const placed = states.every((st, i) => st.joined && (!nodes[i] || st.node === nodes[i]));
    if (placed && last && states.every((st, i) => st.node === last[i].node && st.frames >= last[i].frames + 5)) return states;
    last = placed ? states : null;
    if (Date.now() > deadline) throw new Error(`pages not decoding on ${JSON.stringify(nodes)}: ${JSON.stringify(states)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Waits until the console's card of the room lists exactly these members (session id and node id,
 * as their pages say), and returns its rows as rendered: [{sessionId, name, node}].
 */
async function consoleListsMembers(admin, roomId, states) {
  const expected = states.map((st) => ({ sessionId: st.sessionId, node: st.node }));
  const rows = `section[data-room-id="${roomId}"] tr[data-session-id]`;
  try {
    await admin.waitForFunction(([selector, want]) => {
      const seen = [...document.querySelectorAll(selector)].map((tr) => ({ sessionId: tr.dataset.sessionId, node: tr.cells[1].textContent }));
      return seen.length === want.length && want.every((w) => seen.some((s) => s.sessionId === w.sessionId && s.node === w.node));
    }, [rows, expected], { timeout: TIMEOUT });
  } finally {
    result.liveRoom = await admin.$$eval(rows, (trs) => trs.map((tr) => ({ sessionId: tr.dataset.sessionId, name: tr.cells[0].textContent, node: tr.cells[1].textContent })));
  }
  return result.liveRoom;
}

/**
 * Waits until the room's bitrate chart plots a stream of each publisher (its legend names them),
 * then until it has taken new points by itself twice (a refresh each): its points of data then,
 * after the first and after the second.
 */
async function chartUpdates(admin, roomId, publishers) {
  const card = `section[data-room-id="${roomId}"]`;
  await admin.waitForFunction(([sel, names]) => {
    const legend = document.querySelector(`${sel} .chart-legend`);
    return legend && names.every((n) => legend.textContent.includes(`${n} ↑ video`));
  }, [card, publishers], { timeout: TIMEOUT });
  const chart = `${card} .chart-cell[data-metric="bitrate"]`;
  const points = () => admin.$eval(chart, (cell) => Number(cell.dataset.points));
  const seen = [await points()];
  while (seen.length < 3) {
    await admin.waitForFunction(([sel, n]) => {
      const cell = document.querySelector(sel);
      return cell && Number(cell.dataset.points) > n;
    }, [chart, seen[seen.length - 1]], { timeout: TIMEOUT });
    seen.push(await points());
  }
  return seen;
}

/**
 * Two members in a room with a picked link, each page on its own node: the first opened at the
 * first node's URL with ?node=, the second at the second's through the link typed with capitals
 * (the page takes the room's own id). They see each other's video; the console lists both
 * members with the node each page is on, and its bitrate chart updates by itself (the console is
 * photographed then). The console's Drain on the first member's node moves that page to the other
 * node, where both decode each other's video again (a moved page has a new subscribe
 * PeerConnection, so its frames count from zero). Then the console's Close room: both pages say
 * the call was closed. The drained node takes sessions again after.
 */
async function twoNodesDrainAndClose(admin) {
  const { userToken: adminToken } = await rest('POST', '/api/login', cfg.admin);
  const urls = new Map((await rest('GET', '/api/nodes')).map((n) => [n.id, n.httpUrl]));
  const mover1 = await signIn('mover1', cfg.movers[0]);
  const { roomId } = await rest('POST', '/api/rooms', { name: 'drain check', urlName: 'drain-check' }, mover1.userToken);
  if (roomId !== 'drain-check') throw new Error(`${cfg.movers[0].username} could not create the room drain-check: ${roomId}`);
  const [nodeOne, nodeTwo] = cfg.nodes;
  const first = await openRoomPage('mover1', mover1, `/r/${roomId}?node=${nodeOne}`, urls.get(nodeOne));
  const second = await openRoomPage('mover2', await signIn('mover2', cfg.movers[1]), `/r/Drain-Check?node=${nodeTwo}`, urls.get(nodeTwo));
  const pages = [first, second];
  const before = await bothDecoding(pages, [nodeOne, nodeTwo]);
  const typedLink = new URL(second.page.url()).pathname;
  if (before[1].roomId !== roomId || typedLink !== `/r/${roomId}`) {
    result.problems.push(`mover2: /r/Drain-Check joined ${before[1].roomId} and shows ${typedLink}`);
  }
  log('members decode each other on', before.map((st) => st.node).join(' and '));
  await consoleListsMembers(admin, roomId, before);
  log('the console lists them on', result.liveRoom.map((m) => `${m.name}@${m.node}`).join(', '));
  result.chartPoints = await chartUpdates(admin, roomId, cfg.movers.map((m) => m.username));
  log('the bitrate chart took points by itself:', result.chartPoints.join(' -> '));
  mkdirSync(cfg.screenshots, { recursive: true });
  await admin.screenshot({ path: join(cfg.screenshots, 'admin-console.png'), fullPage: true });

  const drained = nodeOne;
  const other = nodeTwo;
  const started = Date.now();
  try {
    await admin.locator(`#nodes-body tr[data-node-id="${drained}"] button`, { hasText: 'Drain' }).click();
    const after = await bothDecoding(pages, [other, other]);
    const out = { drained, movedTo: other, decodingAgainMs: Date.now() - started, frames: after.map((st) => st.frames) };
    log('after the drain both pages decode on', other, `after ${out.decodingAgainMs} ms`);
    await admin.locator(`section[data-room-id="${roomId}"] button`, { hasText: 'Close room' }).click();
    out.closedTitles = [];
    for (const p of pages) {
      await p.page.waitForSelector('#room-error:not([hidden])', { timeout: TIMEOUT });
      out.closedTitles.push(await p.page.textContent('#room-error-title'));
    }
    log('after Close room the pages say:', out.closedTitles.join(' / '));
    return out;
  } finally {
    await rest('POST', `/api/admin/nodes/${drained}/undrain`, undefined, adminToken);
  }
}

try {
  const admin = await openConsole('admin');
  for (const id of cfg.nodes) {
    await admin.waitForSelector(`#nodes-body tr[data-node-id="${id}"]`, { timeout: TIMEOUT });
  }
  await admin.waitForFunction(() => document.getElementById('refresh-text').textContent.startsWith('Updated'),
    null, { timeout: TIMEOUT });
  const seen = await admin.evaluate(() => ({
    text: document.body.innerText,
    error: document.getElementById('admin-error').hidden ? '' : document.getElementById('admin-error').textContent,
    charts: typeof window.uPlot === 'function',
  }));
  log('admin sees nodes', cfg.nodes.join(', '));
  if (seen.text.includes('Cannot reach the server')) result.problems.push('admin: "Cannot reach the server" shown');
  if (seen.error) result.problems.push(`admin: error box says ${seen.error}`);
  if (!seen.charts) result.problems.push('admin: the vendored chart library did not load');

  const user = await openConsole('user');
  await user.waitForSelector('#not-allowed:not([hidden])', { timeout: TIMEOUT });
  result.deniedText = await user.textContent('#not-allowed');
  log('plain user sees:', result.deniedText.replace(/\s+/g, ' ').trim());
  if (!(await user.isHidden('#console'))) result.problems.push('user: the console is visible');

  const kim = await signIn('member', cfg.member);
  const { userToken, user: member } = kim;
  const { roomId } = await rest('POST', '/api/rooms', { name: 'console check' }, userToken);
  const { page: memberPage } = await openRoomPage('member', kim, `/r/${roomId}`);
  const remove = admin.locator(`section[data-room-id="${roomId}"] tr[data-session-id] button`);
  await remove.waitFor({ timeout: TIMEOUT });
  admin.on('dialog', (d) => d.accept());
  await remove.click();
  await memberPage.waitForSelector('#room-error:not([hidden])', { timeout: TIMEOUT });
  result.removedTitle = await memberPage.textContent('#room-error-title');
  log('removed member sees:', result.removedTitle);
  await admin.waitForFunction(() => document.getElementById('audit-body').textContent.includes('kick'), null,
    { timeout: TIMEOUT });
  // A page that rejoins does so within a second (its quick reconnect): give it five, then it must still be out.
  await new Promise((r) => setTimeout(r, 5000));
  const room = await rest('GET', `/api/rooms/${roomId}`, undefined, userToken);
  if (room.members.some((m) => m.userId === member.id)) result.problems.push('member: rejoined after being removed');
  if (await memberPage.isHidden('#room-error')) result.problems.push('member: the removal notice went away');

  result.drain = await twoNodesDrainAndClose(admin);
  result.ok = result.problems.length === 0;
} catch (e) {
  result.problems.push(String(e && e.stack || e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
