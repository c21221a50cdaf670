// The slice's memory while 20 pictures of 5 MB arrive through the simulator and are downloaded from
// the page into a media intake over a temp dir: RSS of this Node process and the browser tree's
// memory (treeMemoryBytes, PSS), before and after. The bytes must stream through in pieces: Node's
// growth must stay far below the 100 MB that passed. (The simulated phone runs in this process
// too and decodes each base64 upload once: that is the test double's cost, included here.)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createWaSession } from '../slice/wa/index.ts';
import { generateScenario } from '../slice/sim/scenario.ts';
import { mediaFetchStats } from '../slice/wa/dom/media-fetch.ts';
import type { MediaIntake, MediaState, WaSink } from '../slice/wa/types.ts';

const N = Number(process.env.IMAGES ?? 20);
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
  holding: async (waId) => held.get(waId) ?? 'none',
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
const mb = (b: number | null) => (b === null ? '?' : (b / 1048576).toFixed(0));
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
  while (stored.size < N) {
    if (Date.now() - t0 > 300_000) throw new Error(`only ${stored.size} of ${N} images stored within 300 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const secs = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  await settle();
  const rss1 = process.memoryUsage().rss;
  const br1 = (await session.health()).browserMemoryBytes;
  console.log(`# ${N} images of 5 MB in ${secs.toFixed(1)} s, ${mediaFetchStats.pieces} pieces of at most ${mediaFetchStats.largestPieceBytes} bytes`);
  console.log(`# node rss before=${mb(rss0)} MB peak=${mb(peakRss)} MB after=${mb(rss1)} MB; browser before=${mb(br0)} MB after=${mb(br1)} MB`);
  console.log(`media receive node-rss-growth=${mb(rss1 - rss0)} MB node-rss-peak-growth=${mb(peakRss - rss0)} MB browser-growth=${br0 !== null && br1 !== null ? mb(br1 - br0) : '?'} MB images=${N}x5MB mb-per-s=${((N * 5) / secs).toFixed(1)}`);
} finally {
  await session.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(0);
