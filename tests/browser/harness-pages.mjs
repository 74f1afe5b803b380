// Headless Chromium pages for the SFU test harness (sfu-e2e.mjs, sfu-loss-e2e.mjs): one browser
// profile per page, fake camera and microphone, the harness page loaded with ?room&id&video.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const exe = process.env.CHROMIUM || '/usr/bin/chromium';
// fake camera size: small by default so three encoders + six decoders fit a 2-core CI box
export const video = process.env.VISAGE_E2E_VIDEO || '320x240';

const flags = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'];

/** Opens harness pages on demand; close() ends every browser and removes the profiles. */
export function harnessPages(base, room, log) {
  const dirs = [];
  const contexts = [];
  async function open(id, initScript) {
    const dir = mkdtempSync(join(tmpdir(), 'visage-chromium-'));
    dirs.push(dir);
    const ctx = await chromium.launchPersistentContext(dir, { executablePath: exe, headless: true, args: flags, ignoreDefaultArgs: ['--headless'] });
    contexts.push(ctx);
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log(`${id} console.${m.type()}:`, m.text()); });
    page.on('pageerror', (e) => log(`${id} pageerror:`, e.message));
    if (initScript) await page.addInitScript(initScript);
    page.navigatedAt = Date.now();
    await page.goto(`${base}/?room=${room}&id=${id}&video=${video}`);
    return page;
  }
  async function close() {
    for (const c of contexts) await c.close().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return { open, close };
}
