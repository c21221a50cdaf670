// Media costs, in one run:
//   1. a 5 MB image streamed by GET /api/media/:id through the gateway (its own process, both
//      proxy paths) vs straight from the slice: MB/s and the ratio, alternating rounds;
//   2. thumbnails per second: sharp making the 320 px WebP of a 5 MB JPEG.
// The gateway (compiled) and the slice app (WhatsApp's stand-in: no browser, only files move) each
// run in a process of their own, apart from the client.
// Run alone: npx tsx bench/media.bench.ts   (ROUNDS=… DOWNLOADS=… THUMBS=… to change)
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startTestCluster } from '../test-support/pg.ts';
import { createDb, urlForRole } from '../sql/database.ts';
import { provisionSlice } from '../sql/provision.ts';
import { provisionGatewayUrl } from '../gateway/support/database-url.ts';
import { makeThumbnail } from '../slice/media/thumbs.ts';
import { registerUser, startGateway } from './support/gateway-process.ts';
import { waitUntil } from '../gateway/test/system.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const DOWNLOADS = Number(process.env.DOWNLOADS ?? 40);
const THUMBS = Number(process.env.THUMBS ?? 12);
const TOKEN = 'bench-media-slice-token-0123456789abcdef';

function note(line: string): void {
  process.stderr.write(`# ${line}\n`);
}

/** A photo-like JPEG of about `bytes` (noise does not compress away). */
async function jpegOf(bytes: number): Promise<Buffer> {
  let side = Math.round(Math.sqrt(bytes / 1.6));
  for (;;) {
    const w = side;
    const h = Math.round(side * 0.75);
    const out = await sharp(crypto.randomBytes(w * h * 3), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    if (out.length >= bytes * 0.95) return out;
    side = Math.round(side * Math.sqrt(bytes / out.length) * 1.02);
  }
}

/** `n` downloads one after another, bodies read and dropped: MB/s. */
async function throughput(url: string, headers: Record<string, string>, n: number, size: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) => {
      http
        .get(url, { headers, agent }, (res) => {
          let got = 0;
          res.on('data', (c: Buffer) => (got += c.length));
          res.on('end', () => (res.statusCode === 200 && got === size ? resolve() : reject(new Error(`${url}: ${res.statusCode}, ${got} bytes`))));
        })
        .on('error', reject);
    });
  }
  agent.destroy();
  return (n * size) / 2 ** 20 / ((performance.now() - started) / 1000);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-media-'));
const cluster = await startTestCluster('bench-media');
const cleanups: (() => Promise<unknown> | unknown)[] = [() => cluster.stop(), () => fs.rmSync(dir, { recursive: true, force: true })];
try {
  const admin = createDb<any>(cluster.adminUrl, { max: 2 });
  cleanups.push(() => admin.destroy());
  const gatewayUrl = await provisionGatewayUrl(cluster.adminUrl, dir);
  const provisioned = await provisionSlice(admin, 1);
  const sliceProc = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'support', 'media-slice.ts')], {
    env: { PATH: process.env.PATH!, SLICE_DB_URL: urlForRole(cluster.adminUrl, provisioned.role, provisioned.password!), MEDIA_DIR: path.join(dir, 'media'), SLICE_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (sliceProc.exitCode !== null) return resolve();
        sliceProc.once('exit', () => resolve());
        sliceProc.kill('SIGTERM');
      }),
  );
  const { port: slicePort, chatId } = await new Promise<{ port: number; chatId: string }>((resolve, reject) => {
    let out = '';
    sliceProc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
    });
    sliceProc.once('exit', (code) => reject(new Error(`the slice exited (${code})`)));
  });

  const image = await jpegOf(5 * 2 ** 20);
  note(`a ${(image.length / 2 ** 20).toFixed(2)} MB JPEG`);

  const gateway = await startGateway({ dir, databaseUrl: gatewayUrl, supervisorSocket: path.join(dir, 'no-supervisor.sock'), logLevel: 'fatal' });
  cleanups.push(() => gateway.stop());
  const { base, origin } = gateway;
  const { cookie, csrfToken, accountId } = await registerUser(gateway);
  await admin.insertInto('gateway.slices').values({ id: 1, account_id: accountId, port: slicePort, token: TOKEN, desired_state: 'running', observed_state: 'RUNNING' }).execute();

  // The image goes in through the gateway (the way a browser sends it); the slice cache of "no slice" lasts 10 s.
  const form = () => {
    const f = new FormData();
    f.append('file', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'bench.jpg');
    return f;
  };
  const sent = await waitUntil('the upload through the gateway', 30_000, async () => {
    const r = await fetch(`${base}/api/chats/${chatId}/messages`, { method: 'POST', headers: { cookie, origin, 'x-csrf-token': csrfToken }, body: form() });
    return r.status === 202 ? ((await r.json()) as { media: { id: number } }) : null;
  });
  const mediaPath = `/api/media/${sent.media.id}`;

  const ways: { label: string; url: string; headers: Record<string, string>; mbps: number[] }[] = [
    { label: 'direct', url: `http://127.0.0.1:${slicePort}${mediaPath}`, headers: { authorization: `Bearer ${TOKEN}` }, mbps: [] },
    { label: 'gateway fast path', url: `${base}${mediaPath}`, headers: { cookie }, mbps: [] },
    // A Content-Length makes the fast path decline: Fastify's path with @fastify/http-proxy.
    { label: 'gateway Fastify path', url: `${base}${mediaPath}`, headers: { cookie, 'content-length': '0' }, mbps: [] },
  ];
  for (const way of ways) await throughput(way.url, way.headers, 3, image.length); // warm-up
  note(`${DOWNLOADS} sequential downloads per way per round, ${ROUNDS} rounds, order rotated`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...ways.slice(round % ways.length), ...ways.slice(0, round % ways.length)];
    for (const way of order) way.mbps.push(await throughput(way.url, way.headers, DOWNLOADS, image.length));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const direct = mean(ways[0]!.mbps);
  for (const way of ways) {
    const m = mean(way.mbps);
    const key = way.label.replace(/ /g, '_');
    console.log(`media_5mb_${key}_MBps=${m.toFixed(0)}${way === ways[0] ? '' : ` ratio_vs_direct=${(m / direct).toFixed(2)}`}`);
  }

  note(`load average: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} cores`);

  // ---- thumbnails -------------------------------------------------------------------------------
  const source = path.join(dir, 'source.jpg');
  fs.writeFileSync(source, image);
  await makeThumbnail(source, path.join(dir, 'warm.webp'));
  const started = performance.now();
  for (let i = 0; i < THUMBS; i++) await makeThumbnail(source, path.join(dir, `t${i}.webp`));
  const seconds = (performance.now() - started) / 1000;
  const size = fs.statSync(path.join(dir, 't0.webp')).size;
  console.log(`thumbnails_per_s=${(THUMBS / seconds).toFixed(1)} (5 MB JPEG → 320 px WebP, ${(size / 1024).toFixed(0)} KB, sharp concurrency ${sharp.concurrency()})`);
} finally {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
}
