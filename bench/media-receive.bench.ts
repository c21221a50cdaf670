// The slice's memory while 20 pictures of 5 MB arrive through the simulator and are downloaded from
// the page into a media intake over a temp dir: RSS of the Node process and the browser tree's
// memory (treeMemoryBytes, PSS), before and after. The simulated phone runs in the same process and
// its page holds every file it was sent (the test double's cost), so the same arrivals run twice,
// each in a fresh process: once with downloads refused by the intake, once with them taken; the
// difference is what downloading costs. It must stay far below the 100 MB that passed.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createWaSession } from '../slice/wa/index.ts';
import { generateScenario } from '../slice/sim/scenario.ts';
import { mediaFetchStats } from '../slice/wa/dom/media-fetch.ts';
import type { MediaIntake, MediaState, WaSink } from '../slice/wa/types.ts';

const N = Number(process.env.IMAGES ?? 20);
const mb = (b: number | null) => (b === null ? '?' : (b / 1048576).toFixed(0));

if (!process.env.MEDIA_BENCH_PHASE) {
  const run = (phase: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { env: { ...process.env, MEDIA_BENCH_PHASE: phase }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`phase ${phase} printed nothing (exit ${r.status})`);
    return JSON.parse(line) as { rss0: number; rss1: number; peak: number; br0: number | null; br1: number | null; secs: number; pieces: number; largest: number };
  };
  const off = run('refused');
  const on = run('taken');
  const grow = (x: typeof on) => x.rss1 - x.rss0;
  const bgrow = (x: typeof on) => (x.br0 !== null && x.br1 !== null ? x.br1 - x.br0 : null);
  console.log(`# downloads refused: node rss ${mb(off.rss0)} → ${mb(off.rss1)} MB (peak ${mb(off.peak)}), browser ${mb(off.br0)} → ${mb(off.br1)} MB`);
  console.log(`# downloads taken:   node rss ${mb(on.rss0)} → ${mb(on.rss1)} MB (peak ${mb(on.peak)}), browser ${mb(on.br0)} → ${mb(on.br1)} MB; ${on.pieces} pieces of at most ${on.largest} bytes in ${on.secs.toFixed(1)} s`);
  const bd = bgrow(on) !== null && bgrow(off) !== null ? bgrow(on)! - bgrow(off)! : null;
  console.log(`media receive ${N}x5MB node-rss-added-by-downloads=${mb(grow(on) - grow(off))} MB node-peak-added=${mb(on.peak - on.rss0 - (off.peak - off.rss0))} MB browser-added-by-downloads=${mb(bd)} MB mb-per-s=${((N * 5) / on.secs).toFixed(1)}`);
  process.exit(0);
}
const take = process.env.MEDIA_BENCH_PHASE === 'taken';
const SIZE = 5 * 1024 * 1024;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-media-bench-'));
const tempDir = path.join(work, 'tmp');
const storeDir = path.join(work, 'store');
fs.mkdirSync(tempDir, { recursive: true });
fs.mkdirSync(storeDir, { recursive: true });

const held = new Map<string, 'full'>();
const stored = new Set<string>();
const intake: MediaIntake = {
  tempDir,
  holding: async (waId) => (take ? held.get(waId) ?? 'none' : 'settled'),
  accept: async (waId, variant, tempPath): Promise<MediaState> => {
    fs.renameSync(tempPath, path.join(storeDir, `${waId}.${variant}`));
    if (variant === 'full') {
      held.set(waId, 'full');
      stored.add(waId);
    }
    return 'stored';
  },
  failed: async (waId, reason) => {
    throw new Error(`download of ${waId} failed: ${reason}`);
  },
  maxBytes: () => 16 * 1024 * 1024,
  // The bench measures the downloads as they happen, without the passes that go back for more.
  missing: async () => [],
};
const sink: WaSink = {
  status: () => {},
  chats: async () => {},
  messages: async () => {},
  contacts: async () => {},
  loadSyncCursor: async () => null,
  saveSyncCursor: async () => {},
  media: intake,
};
const scenarioFile = path.join(work, 'scenario.json');
const scenario = { ...generateScenario({ chats: 3, messages: 12, seed: 5 }), incoming: [] };
fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
const chat = scenario.chats.find((c) => !c.isGroup)!;
const session = createWaSession({
  mode: 'sim',
  authDir: path.join(work, 'auth'),
  chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium',
  simScenario: scenarioFile,
  simScanAfterMs: 100,
  sink,
  log: pino({ level: 'warn' }),
});
const settle = () => new Promise((r) => setTimeout(r, 3000));
try {
  await session.start();
  while (session.status().state !== 'READY') await new Promise((r) => setTimeout(r, 50));
  await session.synced();
  await settle();
  const rss0 = process.memoryUsage().rss;
  const br0 = (await session.health()).browserMemoryBytes;
  let peakRss = rss0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    const bytes = crypto.randomBytes(SIZE);
    await session.sim!.deliverIncoming({ chatWaId: chat.jid, body: `photo ${i}`, media: { kind: 'image', mimeType: 'image/jpeg', dataBase64: bytes.toString('base64') } });
  }
  while (take && stored.size < N) {
    if (Date.now() - t0 > 300_000) throw new Error(`only ${stored.size} of ${N} images stored within 300 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const secs = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  await settle();
  const rss1 = process.memoryUsage().rss;
  const br1 = (await session.health()).browserMemoryBytes;
  console.log(JSON.stringify({ rss0, rss1, peak: peakRss, br0, br1, secs, pieces: mediaFetchStats.pieces, largest: mediaFetchStats.largestPieceBytes }));
} finally {
  await session.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(0);
