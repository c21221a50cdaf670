// Media through a real gateway with a real slice app behind it (its store on the same PostgreSQL,
// WhatsApp the stand-in), over real HTTP on loopback: an upload passes through Fastify's path as
// a stream (past Fastify's 1 MiB body limit, CSRF still checked) and arrives byte for byte; the
// file comes back through both proxy paths with Range, ETag/If-None-Match and the file headers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createDb, urlForRole } from '../../sql/database.ts';
import { provisionSlice } from '../../sql/provision.ts';
import type { SliceDatabase } from '../../sql/slice/schema.ts';
import { buildSliceApp } from '../../slice/app.ts';
import { SliceStore } from '../../slice/store/store.ts';
import { WhatsAppStandIn } from '../../slice/test/helpers.ts';
import { Browser, ORIGIN, build, startDb } from './helpers.ts';

t.setTimeout(240_000);
const SLICE_TOKEN = 'media-proxy-slice-token-0123456789abcdef';
const db = await startDb(t, 'gateway-media-proxy');
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());

// The slice: its own role and schema on the same cluster, as production has it.
const provisioned = await provisionSlice(admin, 1);
const sliceDbConn = createDb<SliceDatabase>(urlForRole(db.adminUrl, provisioned.role, provisioned.password!), { max: 4 });
t.teardown(() => sliceDbConn.destroy());
const mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-media-'));
t.teardown(() => fs.rmSync(mediaDir, { recursive: true, force: true }));
const store = new SliceStore(sliceDbConn.withSchema('slice_1'), { schema: 'slice_1', sliceId: 1, log: pino({ level: 'silent' }), batchMs: 5, media: { dir: mediaDir } });
await store.open();
const standIn = new WhatsAppStandIn();
const slice = await buildSliceApp({ store, session: standIn, token: SLICE_TOKEN, waMode: 'wwebjs' });
await slice.listen({ port: 0, host: '127.0.0.1' });
t.teardown(async () => {
  await slice.close();
  await store.close();
});
const slicePort = (slice.server.address() as { port: number }).port;
await store.sink.chats([{ waId: '5511900000001@c.us', name: 'Ana', phone: '+55 11 90000-0001', isGroup: false, preview: null, lastMessageAt: null, unreadCount: 0 }]);
await store.flush();
const chatId = (await store.db.selectFrom('chats').select('id').executeTakeFirstOrThrow()).id;

async function listening(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}
const gateway = await build(t, db, { env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
const base = await listening(gateway);
const ways: string[] = [];
const count = gateway.metrics.countProxied.bind(gateway.metrics);
gateway.metrics.countProxied = (way) => {
  ways.push(way);
  count(way);
};

const browser = new Browser(gateway, base);
const reg = await browser.register('media@proxy.example');
// No assertion out here: tap may end the root test while a later top-level await is pending.
if (reg.statusCode !== 200) throw new Error(`registering failed: ${reg.statusCode} ${reg.body}`);
const userId = reg.json().account.id as string;
await admin
  .insertInto('gateway.slices')
  .values({ id: 1, account_id: userId, port: slicePort, token: SLICE_TOKEN, desired_state: 'running', observed_state: 'RUNNING' })
  .execute();
gateway.slices.invalidate(userId);

// Over 1 MiB (Fastify's default body limit) and random, so nothing compresses or hides a lost byte.
const file = crypto.randomBytes(3 * 1024 * 1024 + 17);
const sha = crypto.createHash('sha256').update(file).digest('hex');

function multipart(): FormData {
  const f = new FormData();
  f.append('caption', 'the signed contract');
  f.append('file', new Blob([new Uint8Array(file)], { type: 'image/jpeg' }), 'contrato assinado.jpg');
  return f;
}

/** A GET through Fastify's path over real HTTP: a Content-Length makes the fast path decline. */
function viaFastify(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${url}`, { method: 'GET', headers: { ...headers, cookie: browser.cookie!, 'content-length': '0' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let mediaId = 0;

t.test('an upload through the gateway: CSRF applies, the file streams past the 1 MiB body limit and arrives byte for byte (WhatsApp stand-in)', async (t) => {
  const noToken = await fetch(`${base}/api/chats/${chatId}/messages`, { method: 'POST', headers: { cookie: browser.cookie!, origin: ORIGIN }, body: multipart() });
  t.equal(noToken.status, 403, 'no CSRF token: refused');
  t.equal(((await noToken.json()) as { error: { code: string } }).error.code, 'CSRF_REJECTED');
  t.equal((await store.db.selectFrom('media').selectAll().execute()).length, 0, 'nothing reached the slice');

  const res = await fetch(`${base}/api/chats/${chatId}/messages`, {
    method: 'POST',
    headers: { cookie: browser.cookie!, origin: ORIGIN, 'x-csrf-token': browser.csrfToken! },
    body: multipart(),
  });
  t.equal(res.status, 202, 'accepted');
  const m = (await res.json()) as { body: string; media: { id: number; size: number; state: string } };
  t.equal(m.body, 'the signed contract');
  t.equal(m.media.size, file.length);
  t.equal(m.media.state, 'stored');
  mediaId = m.media.id;
  const stored = fs.readFileSync(store.media.blobs.pathOf(sha));
  t.ok(stored.equals(file), 'the slice stored exactly the bytes sent');
  t.equal(ways.at(-1), 'fastify', 'a POST goes through Fastify');
});

t.test('GET /api/media/:id through the fast path: whole file, Range 206, If-None-Match 304, the file headers kept', async (t) => {
  const url = `/api/media/${mediaId}`;
  const full = await fetch(`${base}${url}`, { headers: { cookie: browser.cookie! } });
  t.equal(ways.at(-1), 'fast', 'answered by the fast path');
  t.equal(full.status, 200);
  t.ok(Buffer.from(await full.arrayBuffer()).equals(file), 'byte for byte');
  t.equal(full.headers.get('content-length'), String(file.length));
  t.equal(full.headers.get('etag'), `"${sha}"`);
  t.equal(full.headers.get('accept-ranges'), 'bytes');
  t.equal(full.headers.get('x-content-type-options'), 'nosniff');
  t.equal(full.headers.get('content-type'), 'image/jpeg');
  t.equal(full.headers.get('content-disposition'), `inline; filename="contrato assinado.jpg"; filename*=UTF-8''contrato%20assinado.jpg`);

  const part = await fetch(`${base}${url}`, { headers: { cookie: browser.cookie!, range: 'bytes=1048570-1048589' } });
  t.equal(ways.at(-1), 'fast');
  t.equal(part.status, 206);
  t.equal(part.headers.get('content-range'), `bytes 1048570-1048589/${file.length}`);
  t.equal(part.headers.get('content-length'), '20');
  t.ok(Buffer.from(await part.arrayBuffer()).equals(file.subarray(1048570, 1048590)));

  const cached = await fetch(`${base}${url}`, { headers: { cookie: browser.cookie!, 'if-none-match': `"${sha}"` } });
  t.equal(cached.status, 304);
  t.equal(cached.headers.get('etag'), `"${sha}"`);
});

t.test('GET /api/media/:id through Fastify’s path: the same answers', async (t) => {
  const url = `/api/media/${mediaId}`;
  const full = await viaFastify(url, {});
  t.equal(ways.at(-1), 'fastify', 'answered by Fastify');
  t.equal(full.status, 200);
  t.ok(full.body.equals(file), 'byte for byte');
  t.equal(full.headers['content-length'], String(file.length));
  t.equal(full.headers.etag, `"${sha}"`);
  t.equal(full.headers['accept-ranges'], 'bytes');
  t.equal(full.headers['x-content-type-options'], 'nosniff');
  t.match(full.headers['content-disposition'], /^inline; filename="contrato assinado.jpg"/);

  const part = await viaFastify(url, { range: `bytes=${file.length - 5}-` });
  t.equal(part.status, 206);
  t.equal(part.headers['content-range'], `bytes ${file.length - 5}-${file.length - 1}/${file.length}`);
  t.ok(part.body.equals(file.subarray(file.length - 5)));
  const bad = await viaFastify(url, { range: `bytes=${file.length}-` });
  t.equal(bad.status, 416);
  t.equal(bad.headers['content-range'], `bytes */${file.length}`);
  const cached = await viaFastify(url, { 'if-none-match': `"${sha}"` });
  t.equal(cached.status, 304);
});

t.test('a file over its limit through the gateway: the slice’s 413 reaches the browser, nothing is kept', async (t) => {
  const before = (await store.db.selectFrom('media_blobs').selectAll().execute()).length;
  const big = new FormData();
  // The slice's default photo limit is 16 MB: 17 MB is refused while it streams.
  big.append('file', new Blob([new Uint8Array(17 * 1024 * 1024)], { type: 'image/jpeg' }), 'huge.jpg');
  const res = await fetch(`${base}/api/chats/${chatId}/messages`, {
    method: 'POST',
    headers: { cookie: browser.cookie!, origin: ORIGIN, 'x-csrf-token': browser.csrfToken! },
    body: big,
  });
  t.equal(res.status, 413);
  const err = (await res.json()) as { error: { code: string; message: string } };
  t.equal(err.error.code, 'MEDIA_TOO_LARGE');
  t.match(err.error.message, /over the limit of 16 MB/);
  t.equal((await store.db.selectFrom('media_blobs').selectAll().execute()).length, before);
  t.same(fs.readdirSync(store.media.tempDir), []);
});
