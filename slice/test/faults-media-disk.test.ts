// The media store's disk full: MEDIA_DIR on a real 4 MiB tmpfs (mounted here, we run as root),
// filled until writes fail with ENOSPC. An upload answers 507 MEDIA_STORAGE_FULL with nothing
// partial left (no temp file, no message, no blob row), what was stored before is served intact,
// and once space returns the next upload and download work. Real PostgreSQL and HTTP on loopback;
// WhatsApp is the stand-in (helpers.ts).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { fillDisk } from '../../test-support/fill-disk.ts';
import { buildSliceApp } from '../app.ts';
import { SliceStore } from '../store/store.ts';
import type { MessageOut } from '../store/shapes.ts';
import { TOKEN, WhatsAppStandIn, auth, chat, quietLog, sliceDb } from './helpers.ts';

t.setTimeout(90_000);
const fx = await sliceDb(t, 'slice-faults-media-disk');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'media-disk-full-'));
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir]);
t.teardown(() => {
  execFileSync('umount', [dir]);
  fs.rmSync(dir, { recursive: true, force: true });
});
const store = new SliceStore(fx.db, {
  schema: 'slice_1',
  sliceId: 1,
  log: quietLog,
  batchMs: 5,
  media: { dir, quotaBytes: 100_000_000, maxPhotoBytes: 1_000_000, maxDocumentBytes: 2_000_000 },
});
await store.open();
const app = await buildSliceApp({ store, session: new WhatsAppStandIn(), token: TOKEN, waMode: 'wwebjs' });
await app.listen({ port: 0, host: '127.0.0.1' });
t.teardown(async () => {
  await app.close();
  await store.close();
});
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
await store.sink.chats([chat(1)]);
await store.flush();
const chatId = (await store.db.selectFrom('chats').select('id').where('wa_id', '=', chat(1).waId).executeTakeFirstOrThrow()).id;

function upload(bytes: Buffer, name: string): Promise<Response> {
  const f = new FormData();
  f.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), name);
  return fetch(`${base}/api/chats/${chatId}/messages`, { method: 'POST', headers: auth, body: f });
}
const count = async (table: 'messages' | 'media_blobs') => Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

t.test('upload into a full media disk: 507 MEDIA_STORAGE_FULL, nothing partial, nothing lost, works again after', async (t) => {
  const first = crypto.randomBytes(600_000);
  const ok = await upload(first, 'first.pdf');
  t.equal(ok.status, 202, await ok.clone().text());
  const stored = (await ok.json()) as MessageOut;

  // Fill what is left with one file, to the last block.
  const filler = path.join(dir, 'filler');
  t.equal(fillDisk(filler), 'ENOSPC', 'the tmpfs is full');
  const before = { messages: await count('messages'), blobs: await count('media_blobs') };

  const second = crypto.randomBytes(500_000);
  const full = await upload(second, 'second.pdf');
  const body = (await full.json()) as { error?: { code: string; message: string } };
  t.equal(full.status, 507, `an upload into the full disk: ${JSON.stringify(body)}`);
  t.equal(body.error?.code, 'MEDIA_STORAGE_FULL');
  t.match(body.error?.message ?? '', /disk is full/, 'the message says what is wrong');
  t.same(fs.readdirSync(store.media.tempDir), [], 'no partial file left in tmp/');
  t.same({ messages: await count('messages'), blobs: await count('media_blobs') }, before, 'no message or blob row for the refused file');
  const served = await fetch(`${base}/api/media/${stored.media!.id}`, { headers: auth });
  t.equal(served.status, 200);
  t.equal(sha(Buffer.from(await served.arrayBuffer())), sha(first), 'the file stored before is served intact');

  fs.rmSync(filler);
  const again = await upload(second, 'second.pdf');
  t.equal(again.status, 202, `once space returns the upload works: ${await again.clone().text()}`);
  const m = (await again.json()) as MessageOut;
  const file = await fetch(`${base}/api/media/${m.media!.id}`, { headers: auth });
  t.equal(file.status, 200);
  t.equal(sha(Buffer.from(await file.arrayBuffer())), sha(second), 'and so does its download');
});
