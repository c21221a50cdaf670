// Web app benchmark: builds the production SaaS bundle (VITE_SAAS=1) and prints the gzip size of the
// JavaScript the first screen needs (the entry script and what index.html preloads; aim < 250 KB),
// then the time to first render of an inbox with 10,000 chats, measured in Debian's Chromium against
// a local static server whose /api answers synthetic data (a benchmark fixture).
//   npx tsx bench/web.bench.ts            (or: npm run bench -- web)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';
import { startFixtureServer } from '../web/test/fixture-server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'web');
const CHATS = 10_000;
const RUNS = 5;
const CHROMIUM = process.env.CHROMIUM_PATH && !process.env.CHROMIUM_PATH.endsWith('/usr/bin/chromium') ? process.env.CHROMIUM_PATH : '/usr/lib/chromium/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const kb = (n: number) => (n / 1024).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1. Build.
process.env.VITE_SAAS = '1';
const t0 = Date.now();
await build({ configFile: path.join(root, 'web', 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
console.log(`# built dist/web in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// 2. First-screen JS: index.html's module script plus its modulepreload links.
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const firstScreen = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)].map((m) => m[1]!);
const gz = (file: string) => zlib.gzipSync(fs.readFileSync(path.join(dist, file.replace(/^\//, '')))).length;
const firstBytes = firstScreen.reduce((s, f) => s + gz(f), 0);
const assets = fs.readdirSync(path.join(dist, 'assets'));
const allJs = assets.filter((f) => f.endsWith('.js')).reduce((s, f) => s + gz(`assets/${f}`), 0);
const css = assets.filter((f) => f.endsWith('.css')).reduce((s, f) => s + gz(`assets/${f}`), 0);
console.log(`# first-screen scripts: ${firstScreen.join(', ')}`);
console.log(`web.firstScreenJsGzipKB=${kb(firstBytes)} (aim < 250)`);
console.log(`web.allJsGzipKB=${kb(allJs)}`);
console.log(`web.cssGzipKB=${kb(css)}`);

// 3. Time to first render of the inbox with 10,000 chats, in the browser.
const server = await startFixtureServer({ distDir: dist, chats: CHATS });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
try {
  const firstRender: number[] = [];
  let domRows = 0;
  let scrollAll = 0;
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/inbox`, { waitUntil: 'commit' });
    // performance.now() is measured from navigation start: the time until the first chat row paints.
    const handle = await page.waitForFunction(() => (document.querySelector('[data-testid="chat-row"]') ? performance.now() : 0), undefined, { polling: 'raf', timeout: 30_000 });
    firstRender.push((await handle.jsonValue()) as number);
    if (run === RUNS - 1) {
      domRows = await page.locator('[data-testid="chat-row"]').count();
      // Scroll to the end of all 10,000 (pages load as the end nears; rows stay virtual).
      const start = Date.now();
      await page.waitForFunction(
        (n) => {
          const list = document.querySelector('[data-testid="chat-list"]');
          if (!list) return false;
          list.scrollTop = list.scrollHeight;
          return !!document.querySelector(`[data-chat-id="${n}"]`);
        },
        CHATS,
        { polling: 100, timeout: 120_000 },
      );
      scrollAll = Date.now() - start;
      domRows = Math.max(domRows, await page.locator('[data-testid="chat-row"]').count());
    }
    await context.close();
  }
  console.log(`# load average during the runs: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores (others' work slows the figures)`);
  console.log(`# first render runs (ms): ${firstRender.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`web.inboxFirstRenderMs=${median(firstRender).toFixed(0)} (median of ${RUNS}, ${CHATS} chats, first row painted after navigation start)`);
  console.log(`web.inboxScrollTo10kMs=${scrollAll} (load every page and reach chat ${CHATS})`);
  console.log(`web.inboxDomRows=${domRows} (rows in the DOM at most: virtualised)`);
} finally {
  await browser.close();
  await server.close();
}
