// The media API over real HTTP on loopback (headers matter): uploads streamed into the store with
// their limits, the file served with Range/ETag/nosniff/a safe Content-Disposition, thumbnails,
// reactions from the CRM and edit history. WhatsApp is the stand-in (helpers.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import sharp from 'sharp';
import { buildSliceApp } from '../app.ts';
import { SliceStore } from '../store/store.ts';
import type { MessageOut } from '../store/shapes.ts';
import type { SliceEvent } from '../store/events.ts';
import { TOKEN, WhatsAppStandIn, auth, chat, message, quietLog, sliceDb } from './helpers.ts';

t.setTimeout(240_000);
const fx = await sliceDb(t, 'slice-media-api');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'media-api-test-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const PHOTO_LIMIT = 300_000;
const QUOTA = 2_000_000;
const store = new SliceStore(fx.db, {
  schema: 'slice_1',
  sliceId: 1,
  log: quietLog,
  batchMs: 5,
  media: { dir, quotaBytes: QUOTA, maxPhotoBytes: PHOTO_LIMIT, maxDocumentBytes: 1_000_000 },
});
await store.open();
const standIn = new WhatsAppStandIn();
const app = await buildSliceApp({ store, session: standIn, token: TOKEN, waMode: 'wwebjs' });
await app.listen({ port: 0, host: '127.0.0.1' });
t.teardown(async () => {
  await app.close();
  await store.close();
});
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const events: SliceEvent[] = [];
store.bus.subscribe((e) => events.push(e));

await store.sink.chats([chat(1), chat(2)]);
await store.flush();
const chatId = (await store.db.selectFrom('chats').select('id').where('wa_id', '=', chat(1).waId).executeTakeFirstOrThrow()).id;

async function jpeg(width: number, height: number): Promise<Buffer> {
  return sharp(crypto.randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
}

function form(file: Buffer | null, name: string, type: string, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file) f.append('file', new Blob([new Uint8Array(file)], { type }), name);
  return f;
}

const upload = (body: FormData, chat: string | number = chatId) => fetch(`${base}/api/chats/${chat}/messages`, { method: 'POST', headers: auth, body });
const get = (url: string, headers: Record<string, string> = {}) => fetch(`${base}${url}`, { headers: { ...auth, ...headers } });
const counts = async () => ({
  messages: Number((await store.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
  media: Number((await store.db.selectFrom('media').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
  blobs: Number((await store.db.selectFrom('media_blobs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
  temp: fs.readdirSync(store.media.tempDir).length,
});

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const photo = await jpeg(380, 260);
if (photo.length >= 300_000) throw new Error(`the test photo is ${photo.length} bytes: over the limit the test sets`);
const sha = crypto.createHash('sha256').update(photo).digest('hex');
let photoMessage: MessageOut;

t.test('a photo with a caption: streamed into the store, 202 with media stored, sent through the page (WhatsApp stand-in)', async (t) => {
  const res = await upload(form(photo, 'broken part.jpg', 'image/jpeg', { caption: 'the broken part' }));
  t.equal(res.status, 202, await res.clone().text());
  photoMessage = (await res.json()) as MessageOut;
  t.equal(photoMessage.kind, 'media');
  t.equal(photoMessage.mediaKind, 'image');
  t.equal(photoMessage.body, 'the broken part', 'the caption is the body');
  t.equal(photoMessage.ack, 0, 'pending');
  t.match(photoMessage.media, { kind: 'image', mimeType: 'image/jpeg', size: photo.length, fileName: 'broken part.jpg', state: 'stored', hasThumb: true, error: null });
  await until('the send', () => standIn.mediaSent.length === 1);
  const sent = standIn.mediaSent[0]!;
  t.equal(sent.file.kind, 'image');
  t.equal(sent.file.caption, 'the broken part');
  t.equal(sent.file.path, store.media.blobs.pathOf(sha), "the store's own file is what the page attaches");
  t.ok(fs.readFileSync(sent.file.path).equals(photo), 'byte for byte');
  await until('ack 1', async () => (await store.db.selectFrom('messages').select('ack').where('id', '=', String(photoMessage.id)).executeTakeFirstOrThrow()).ack === 1);
  t.same((await counts()).temp, 0, 'no temp file left');
});

t.test('GET /api/media/:id: bytes, ETag, nosniff, inline; Range 206, a bad range 416, If-None-Match 304', async (t) => {
  const url = `/api/media/${photoMessage.media!.id}`;
  const res = await get(url);
  t.equal(res.status, 200);
  t.ok(Buffer.from(await res.arrayBuffer()).equals(photo), 'the whole file');
  t.equal(res.headers.get('content-type'), 'image/jpeg');
  t.equal(res.headers.get('content-length'), String(photo.length));
  t.equal(res.headers.get('etag'), `"${sha}"`);
  t.equal(res.headers.get('accept-ranges'), 'bytes');
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  t.equal(res.headers.get('cache-control'), 'private, max-age=31536000, immutable');
  t.equal(res.headers.get('content-disposition'), `inline; filename="broken part.jpg"; filename*=UTF-8''broken%20part.jpg`);

  const part = await get(url, { range: 'bytes=100-1099' });
  t.equal(part.status, 206);
  t.equal(part.headers.get('content-range'), `bytes 100-1099/${photo.length}`);
  t.equal(part.headers.get('content-length'), '1000');
  t.ok(Buffer.from(await part.arrayBuffer()).equals(photo.subarray(100, 1100)), 'exactly the range');
  const tail = await get(url, { range: 'bytes=-10' });
  t.equal(tail.status, 206);
  t.ok(Buffer.from(await tail.arrayBuffer()).equals(photo.subarray(photo.length - 10)));

  const bad = await get(url, { range: `bytes=${photo.length + 10}-` });
  t.equal(bad.status, 416);
  t.equal(bad.headers.get('content-range'), `bytes */${photo.length}`);
  await bad.body?.cancel();

  const cached = await get(url, { 'if-none-match': `"${sha}"` });
  t.equal(cached.status, 304);
  t.equal(cached.headers.get('etag'), `"${sha}"`);
  t.equal((await cached.arrayBuffer()).byteLength, 0);
  t.equal((await get(url, { 'if-none-match': '"other", W/"' + sha + '"' })).status, 304, 'a list, weak form included');
  const other = await get(url, { 'if-none-match': '"other"' });
  t.equal(other.status, 200);
  await other.body?.cancel();

  const download = await get(`${url}?download=1`);
  t.match(download.headers.get('content-disposition'), /^attachment; /);
  await download.body?.cancel();

  const thumb = await get(`${url}?thumb=1`);
  t.equal(thumb.status, 200);
  t.equal(thumb.headers.get('content-type'), 'image/webp');
  const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
  t.equal(meta.format, 'webp');
  t.equal(Math.max(meta.width!, meta.height!), 320, 'longest side 320 px');
  t.equal((await get(`${url}?thumb=1`, { 'if-none-match': thumb.headers.get('etag')! })).status, 304);

  t.equal((await get('/api/media/999999')).status, 404);
  t.equal((await get(`${url}?thumb=yes`)).status, 400, 'the query is validated');
});

t.test('a document with a hostile name and type: octet-stream, attachment, a file name that cannot break out', async (t) => {
  const html = Buffer.from('<script>alert(1)</script>');
  const res = await upload(form(html, '../../etc/ré.html', 'text/html'));
  t.equal(res.status, 202);
  const m = (await res.json()) as MessageOut;
  t.equal(m.media?.kind, 'document');
  t.notMatch(m.media?.fileName, /\//, 'no path separator kept in the stored name');
  // A name as hostile as a page could report one: quotes, CR/LF, a header of its own, a path, non-ASCII.
  const evil = 'a"b\r\nSet-Cookie: x=1; ..\\..\\../ré "sumé".html';
  await store.db.updateTable('media').set({ file_name: evil }).where('id', '=', String(m.media!.id)).execute();
  const file = await get(`/api/media/${m.media!.id}`);
  t.equal(file.status, 200);
  t.equal(file.headers.get('content-type'), 'application/octet-stream', 'never served as HTML');
  t.equal(file.headers.get('x-content-type-options'), 'nosniff');
  const cd = file.headers.get('content-disposition')!;
  t.match(cd, /^attachment; filename="[^"\\\r\n]*"; filename\*=UTF-8''[A-Za-z0-9%._~!-]+$/, 'one quoted ASCII name and one encoded name');
  t.notMatch(cd, /[\r\n]/);
  t.notMatch(cd, /\.\.|\//, 'no path');
  t.equal(cd.split('; ').length, 3, 'no parameter of its own smuggled in');
  t.equal(cd.split('filename="')[1]!.split('"')[0], 're _sume_.html', 'ASCII fallback: the last segment, accents dropped, unsafe characters replaced');
  const star = decodeURIComponent(cd.split("filename*=UTF-8''")[1]!);
  t.equal(star, 'ré "sumé".html', 'the exact last segment, non-ASCII kept, in filename*');
  t.ok(Buffer.from(await file.arrayBuffer()).equals(html));
  const pdf = await upload(form(Buffer.from('%PDF-1.4 tiny'), 'contract.pdf', 'application/pdf'));
  const pdfMessage = (await pdf.json()) as MessageOut;
  const served = await get(`/api/media/${pdfMessage.media!.id}`);
  t.equal(served.headers.get('content-type'), 'application/pdf');
  t.match(served.headers.get('content-disposition'), /^attachment; filename="contract.pdf"/, 'documents are always downloaded');
  await served.body?.cancel();
});

t.test('upload limits: at the limit accepted, one byte over 413 with nothing stored; empty or missing file 400; JSON still works', async (t) => {
  const before = await counts();
  const over = Buffer.alloc(PHOTO_LIMIT + 1, 7);
  const res = await upload(form(over, 'big.jpg', 'image/jpeg'));
  t.equal(res.status, 413);
  const err = (await res.json()) as { error: { code: string; message: string } };
  t.equal(err.error.code, 'MEDIA_TOO_LARGE');
  t.match(err.error.message, /image .* over the limit of 293 KB for photos, videos, audio and stickers/);
  t.same(await counts(), before, 'no message, no media, no blob, no temp file');

  const at = await upload(form(Buffer.alloc(PHOTO_LIMIT, 8), 'exact.jpg', 'image/jpeg'));
  t.equal(at.status, 202, 'exactly the limit is allowed');
  await at.body?.cancel();

  const empty = await upload(form(Buffer.alloc(0), 'empty.txt', 'text/plain'));
  t.equal(empty.status, 400);
  t.match(((await empty.json()) as { error: { message: string } }).error.message, /body\/file is empty/);
  const none = await upload(form(null, '', '', { caption: 'no file' }));
  t.equal(none.status, 400);
  t.match(((await none.json()) as { error: { message: string } }).error.message, /body\/file is missing/);
  const stray = await upload(form(Buffer.from('x'), 'x.txt', 'text/plain', { colour: 'red' }));
  t.equal(stray.status, 400);
  await stray.body?.cancel();
  const long = await upload(form(Buffer.from('x'), 'x.txt', 'text/plain', { caption: 'x'.repeat(65537) }));
  t.equal(long.status, 400);
  await long.body?.cancel();

  const json = await fetch(`${base}/api/chats/${chatId}/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ body: 'plain text' }) });
  t.equal(json.status, 202);
  t.equal(((await json.json()) as MessageOut).kind, 'text');
  const badJson = await fetch(`${base}/api/chats/${chatId}/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x' }) });
  t.equal(badJson.status, 400, 'the JSON body is still validated');
  await badJson.body?.cancel();
  const after = await counts();
  t.equal(after.temp, 0);
});

t.test('a full quota refuses an upload with 413 MEDIA_QUOTA_EXCEEDED and keeps nothing', async (t) => {
  let used = Number((await store.db.selectFrom('media_blobs').select((eb) => eb.fn.sum<string>('size').as('n')).executeTakeFirstOrThrow()).n);
  while (used + PHOTO_LIMIT <= QUOTA) {
    const r = await upload(form(crypto.randomBytes(PHOTO_LIMIT), 'fill.bin', 'image/jpeg'));
    t.equal(r.status, 202);
    await r.body?.cancel();
    used += PHOTO_LIMIT;
  }
  const before = await counts();
  const res = await upload(form(crypto.randomBytes(PHOTO_LIMIT), 'one-more.jpg', 'image/jpeg'));
  t.equal(res.status, 413);
  const err = (await res.json()) as { error: { code: string; message: string } };
  t.equal(err.error.code, 'MEDIA_QUOTA_EXCEEDED');
  t.match(err.error.message, /^not sent: the media store of this workspace is full \(.+ of .+ used\)$/);
  t.same(await counts(), before, 'nothing kept');
  const again = await upload(form(photo, 'same bytes.jpg', 'image/jpeg'));
  t.equal(again.status, 202, 'bytes the store holds already take no room');
  await again.body?.cancel();
});

t.test('the observer reports the sent file before the send returns: one message, one media row, no download (WhatsApp stand-in)', async (t) => {
  let open!: () => void;
  standIn.gate = new Promise<void>((r) => (open = r));
  const sentBefore = standIn.mediaSent.length;
  const res = await upload(form(photo, 'again.jpg', 'image/jpeg', { caption: 'copy check' }), Number((await store.db.selectFrom('chats').select('id').where('wa_id', '=', chat(2).waId).executeTakeFirstOrThrow()).id));
  const pending = (await res.json()) as MessageOut;
  const before = await counts();
  const realWaId = `true_${chat(2).waId}_3EB0OBSERVED`;
  await store.sink.messages([
    message(2, 99, {
      waId: realWaId,
      direction: 'out',
      author: null,
      body: 'copy check',
      mediaKind: 'image',
      ack: 1,
      media: { kind: 'image', mimeType: 'image/jpeg', fileName: null, size: null, width: 900, height: 600, durationMs: null, available: 'full', details: null },
    }),
  ]);
  await store.flush();
  const adopted = await store.db.selectFrom('messages').select(['id', 'wa_id']).where('wa_id', '=', realWaId).executeTakeFirstOrThrow();
  t.equal(String(adopted.id), String(pending.id), "the observer's copy is the pending row");
  t.same(await counts(), before, 'no second message or media row');
  t.equal(await store.media.holding(realWaId), 'full', 'nothing to download: the file is the one sent');
  open();
  standIn.gate = null;
  await until('the send', () => standIn.mediaSent.length === sentBefore + 1);
  await store.flush();
  t.same(await counts(), before);
});

t.test('a thumbnail only: ?thumb=1 serves it, the plain URL 409 MEDIA_NOT_STORED', async (t) => {
  const m = message(1, 50, { mediaKind: 'image', body: '', media: { kind: 'image', mimeType: 'image/jpeg', fileName: null, size: null, width: null, height: null, durationMs: null, available: 'thumb', details: null } });
  await store.sink.messages([m]);
  await store.flush();
  const tmp = path.join(store.media.tempDir, 'thumb-dl');
  fs.writeFileSync(tmp, await jpeg(60, 40));
  t.equal(await store.media.accept(m.waId, 'thumb', tmp, { mimeType: 'image/jpeg', fileName: null }), 'pending');
  const row = await store.db.selectFrom('media as md').innerJoin('messages as ms', 'ms.id', 'md.message_id').select('md.id').where('ms.wa_id', '=', m.waId).executeTakeFirstOrThrow();
  const plain = await get(`/api/media/${row.id}`);
  t.equal(plain.status, 409);
  const err = (await plain.json()) as { error: { code: string; message: string } };
  t.equal(err.error.code, 'MEDIA_NOT_STORED');
  t.match(err.error.message, /only its thumbnail is stored/);
  const thumb = await get(`/api/media/${row.id}?thumb=1`);
  t.equal(thumb.status, 200);
  t.equal(thumb.headers.get('content-type'), 'image/webp');
  await thumb.body?.cancel();
});

t.test('reactions from the CRM go through the page; edits list the earlier texts (WhatsApp stand-in)', async (t) => {
  const m = message(1, 60, { body: 'first words' });
  await store.sink.messages([m]);
  await store.flush();
  const id = (await store.db.selectFrom('messages').select('id').where('wa_id', '=', m.waId).executeTakeFirstOrThrow()).id;
  const put = (emoji: unknown) => fetch(`${base}/api/messages/${id}/reaction`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ emoji }) });
  const seen = events.length;
  const res = await put('👍🏽');
  t.equal(res.status, 200);
  t.same(((await res.json()) as MessageOut).reactions, [{ emoji: '👍🏽', count: 1, mine: true }]);
  t.same(standIn.reacted.at(-1), { chatWaId: chat(1).waId, messageWaId: m.waId, emoji: '👍🏽' }, 'the page reacted first');
  t.equal(events.slice(seen).filter((e) => e.type === 'message.updated').length, 1);
  t.same(((await (await put(null)).json()) as MessageOut).reactions, [], 'taken back');
  for (const bad of ['ab', '👍👍', '', 'x'.repeat(17), 5]) {
    const r = await put(bad);
    t.equal(r.status, 400, `refused: ${JSON.stringify(bad)}`);
    await r.body?.cancel();
  }
  t.equal((await fetch(`${base}/api/messages/999999/reaction`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ emoji: '👍' }) })).status, 404);

  await store.sink.messages([{ ...m, body: 'second words', edited: true }]);
  await store.sink.messages([{ ...m, body: 'third words', edited: true }]);
  await store.flush();
  const edits = (await (await get(`/api/messages/${id}/edits`)).json()) as { items: { body: string; replacedAt: string }[]; nextCursor: null };
  t.same(edits.items.map((e) => e.body), ['first words', 'second words'], 'oldest first');
  t.equal(edits.nextCursor, null);
  const list = (await (await get(`/api/chats/${chatId}/messages?limit=200`)).json()) as { items: MessageOut[] };
  const shown = list.items.find((x) => x.id === Number(id))!;
  t.equal(shown.body, 'third words');
  t.type(shown.editedAt, 'string');
});
