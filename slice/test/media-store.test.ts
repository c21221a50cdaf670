// The media store and the message fields of issue 15, against a real PostgreSQL and the real
// filesystem: the migration keeps existing messages, files are written once per sha256, a
// thumbnail is replaced by the full file in the same message, the quota refuses with a stored
// reason, a crash mid-download leaves nothing behind, and reactions, previews and edits update
// the message once per change.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { sql } from 'kysely';
import sharp from 'sharp';
import { migrateSliceSchema } from '../../sql/migrate.ts';
import { SliceStore } from '../store/store.ts';
import type { SliceEvent } from '../store/events.ts';
import type { MessageOut } from '../store/shapes.ts';
import type { ExtractedMedia } from '../wa/types.ts';
import { chat, message, quietLog, sliceDb, type SliceDbFixture } from './helpers.ts';

t.setTimeout(240_000);
const fx = await sliceDb(t, 'slice-media-store');

function mediaDir(t: Tap): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'media-store-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
type Tap = { teardown(fn: () => unknown): void };

/** A store over `dir`; a fresh one (the default) starts with no media, as a slice whose store is that folder. */
async function storeAt(t: Tap, f: SliceDbFixture, dir: string, limits: { quotaBytes?: number; maxPhotoBytes?: number; maxDocumentBytes?: number } = {}, fresh = true) {
  if (fresh) {
    await f.db.deleteFrom('media').execute();
    await f.db.deleteFrom('media_blobs').execute();
  }
  const store = new SliceStore(f.db, { schema: 'slice_1', sliceId: 1, log: quietLog, batchMs: 5, media: { dir, ...limits } });
  await store.open();
  t.teardown(() => store.close());
  return store;
}

function collect(store: SliceStore): SliceEvent[] {
  const events: SliceEvent[] = [];
  store.bus.subscribe((e) => events.push(e));
  return events;
}

/** A photo-like JPEG (noise: it does not compress to nothing); `seed` only keeps calls apart. */
async function jpeg(_seed: number, size = 400): Promise<Buffer> {
  const width = size;
  const height = Math.round(size * 0.75);
  return sharp(crypto.randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** A download as the WhatsApp side leaves it: a finished file in the store's tmp/. */
function download(store: SliceStore, bytes: Buffer): string {
  const p = path.join(store.media.tempDir, `dl-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(p, bytes);
  return p;
}

/** Files under final names (not tmp/, not thumbs/). */
function finalFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => fs.readdirSync(path.join(dir, d)));
}

const image = (over: Partial<ExtractedMedia> = {}): ExtractedMedia => ({
  kind: 'image',
  mimeType: 'image/jpeg',
  fileName: null,
  size: null,
  width: null,
  height: null,
  durationMs: null,
  available: 'full',
  details: null,
  ...over,
});

const updatesOf = (events: SliceEvent[], id: number) => events.filter((e) => e.type === 'message.updated' && (e.data as MessageOut).id === id);

async function messageByWa(store: SliceStore, waId: string): Promise<MessageOut> {
  const row = await store.db.selectFrom('messages').select('id').where('wa_id', '=', waId).executeTakeFirstOrThrow();
  const { getMessage } = await import('../store/messages.ts');
  return (await getMessage(store.db, row.id))!;
}

t.test('the media migration keeps every existing message; a message with a media kind becomes kind media', async (t) => {
  await sql`drop schema slice_1 cascade`.execute(fx.admin);
  await sql`create schema slice_1 authorization slice_1`.execute(fx.admin);
  const { sliceMigrations } = await import('../../sql/slice/migrations/index.ts');
  const names = Object.keys(sliceMigrations);
  // Applied from the one before media; later migrations (teams) run after it.
  const at = names.indexOf('2026-12-02T04-00-media');
  t.ok(at > 0, 'listed in index.ts after the earlier ones');
  const { Migrator } = await import('kysely');
  const before = new Migrator({
    db: fx.raw.withSchema('slice_1'),
    migrationTableSchema: 'slice_1',
    migrationTableName: 'kysely_migration',
    migrationLockTableName: 'kysely_migration_lock',
    provider: { getMigrations: async () => Object.fromEntries(names.slice(0, at).map((n) => [n, sliceMigrations[n]!])) },
  });
  t.equal((await before.migrateToLatest()).error, undefined);
  const db = fx.db as any;
  const [c] = await db.insertInto('chats').values({ wa_id: 'old@c.us', name: 'Old chat' }).returning('id').execute();
  const old = [
    { wa_id: 'old-1', chat_id: c.id, direction: 'in', body: 'a text from before', sent_at: '2026-11-01T10:00:00Z', ack: 3 },
    { wa_id: 'old-2', chat_id: c.id, direction: 'in', body: 'caption', sent_at: '2026-11-01T10:01:00Z', media_kind: 'image', quoted_wa_id: 'old-1', quoted_body: 'a text from before' },
    { wa_id: 'old-3', chat_id: c.id, direction: 'out', body: '', sent_at: '2026-11-01T10:02:00Z', media_kind: 'voice', recalled: true },
  ];
  await db.insertInto('messages').values(old).execute();
  const snapshot = async () =>
    db.selectFrom('messages').select(['wa_id', 'chat_id', 'direction', 'body', 'sent_at', 'ack', 'media_kind', 'quoted_wa_id', 'quoted_body', 'recalled', 'author']).orderBy('wa_id').execute();
  const was = await snapshot();

  const report = await migrateSliceSchema(fx.raw, 'slice_1');
  t.same(report.applied, names.slice(at), 'the media migration first, then the later ones');
  t.same(await snapshot(), was, 'every column of every message as it was');
  const added = await db.selectFrom('messages').select(['wa_id', 'kind', 'reactions', 'link_preview', 'edited_at']).orderBy('wa_id').execute();
  t.same(added, [
    { wa_id: 'old-1', kind: 'text', reactions: [], link_preview: null, edited_at: null },
    { wa_id: 'old-2', kind: 'media', reactions: [], link_preview: null, edited_at: null },
    { wa_id: 'old-3', kind: 'media', reactions: [], link_preview: null, edited_at: null },
  ]);
  await t.rejects(db.updateTable('messages').set({ kind: 'sticker' }).where('wa_id', '=', 'old-1').execute(), /check/, 'kind is one of text, media, system');
  await db.deleteFrom('messages').execute();
  await db.deleteFrom('chats').execute();
});

t.test('two messages with the same bytes: one file on disk, one blob row, both stored', async (t) => {
  const dir = mediaDir(t);
  const store = await storeAt(t, fx, dir);
  await store.sink.chats([chat(1)]);
  const a = message(1, 1, { mediaKind: 'image', body: '', media: image() });
  const b = message(1, 2, { mediaKind: 'image', body: 'again', media: image() });
  await store.sink.messages([a, b]);
  const bytes = await jpeg(1);
  t.equal(await store.media.holding(a.waId), 'none');
  t.equal(await store.media.accept(a.waId, 'full', download(store, bytes), { mimeType: 'image/jpeg', fileName: 'part.jpg' }), 'stored');
  t.equal(await store.media.accept(b.waId, 'full', download(store, bytes), { mimeType: 'image/jpeg', fileName: null }), 'stored');
  t.same(finalFiles(dir).length, 1, 'one file');
  t.same(fs.readdirSync(store.media.tempDir), [], 'no temp file left');
  const blobs = await store.db.selectFrom('media_blobs').selectAll().execute();
  t.equal(blobs.length, 1, 'one blob row');
  t.equal(Number(blobs[0]!.size), bytes.length);
  const ma = await messageByWa(store, a.waId);
  const mb = await messageByWa(store, b.waId);
  t.equal(ma.media?.state, 'stored');
  t.equal(mb.media?.state, 'stored');
  t.equal(ma.media?.size, bytes.length);
  t.equal(ma.media?.width, 400, 'the image measured');
  t.equal(ma.media?.fileName, 'part.jpg');
  t.equal(ma.kind, 'media');
  t.equal(fs.readFileSync(store.media.blobs.pathOf(blobs[0]!.sha256)).equals(bytes), true, 'byte for byte');
  t.equal(await store.media.holding(a.waId), 'full', 'not fetched again');
  // Seen again (the page re-renders the row): nothing written, no event.
  const events = collect(store);
  const mtime = fs.statSync(store.media.blobs.pathOf(blobs[0]!.sha256)).mtimeMs;
  t.equal(await store.media.accept(a.waId, 'full', download(store, bytes), { mimeType: 'image/jpeg', fileName: null }), 'stored');
  await store.sink.messages([a]);
  await store.flush();
  t.equal(events.length, 0, 'no event for the same report and the same file');
  t.equal(fs.statSync(store.media.blobs.pathOf(blobs[0]!.sha256)).mtimeMs, mtime, 'the file is not rewritten');
  t.same(fs.readdirSync(store.media.tempDir), []);
});

t.test('thumbnail first, then the full file: one message, state stored, one message.updated per change', async (t) => {
  const dir = mediaDir(t);
  const store = await storeAt(t, fx, dir);
  await store.sink.chats([chat(2)]);
  const m = message(2, 1, { mediaKind: 'image', body: 'the broken part', media: image({ available: 'thumb' }) });
  await store.sink.messages([m]);
  await store.flush();
  const id = (await messageByWa(store, m.waId)).id;
  t.equal((await messageByWa(store, m.waId)).media?.state, 'pending');
  const events = collect(store);

  t.equal(await store.media.accept(m.waId, 'thumb', download(store, await jpeg(2, 40)), { mimeType: 'image/jpeg', fileName: null }), 'pending');
  t.equal(updatesOf(events, id).length, 1, 'the thumbnail: one update');
  t.equal(await store.media.holding(m.waId), 'thumb');
  const withThumb = updatesOf(events, id)[0]!.data as MessageOut;
  t.equal(withThumb.media?.hasThumb, true);
  t.equal(withThumb.media?.state, 'pending');
  t.equal(await store.media.accept(m.waId, 'thumb', download(store, await jpeg(2, 40)), { mimeType: 'image/jpeg', fileName: null }), 'pending');
  t.equal(updatesOf(events, id).length, 1, 'the same thumbnail again: nothing');

  const full = await jpeg(3, 1200);
  t.equal(await store.media.accept(m.waId, 'full', download(store, full), { mimeType: 'image/jpeg', fileName: null }), 'stored');
  t.equal(updatesOf(events, id).length, 2, 'the full file: one more update');
  const stored = updatesOf(events, id)[1]!.data as MessageOut;
  t.equal(stored.media?.state, 'stored');
  t.equal(stored.media?.size, full.length);
  t.equal(stored.body, 'the broken part');
  t.equal(await store.media.holding(m.waId), 'full');
  const rows = await store.db.selectFrom('messages').select('id').where('chat_id', '=', String(stored.chatId)).execute();
  t.equal(rows.length, 1, 'no duplicate message');
  t.equal((await store.db.selectFrom('media').select('id').where('message_id', '=', String(id)).execute()).length, 1, 'one media row');
  t.equal(events.filter((e) => e.type === 'message.created').length, 0);
});

t.test('a full quota: state failed with MEDIA_QUOTA_EXCEEDED and a clear message; the message and earlier media intact', async (t) => {
  const dir = mediaDir(t);
  const first = await jpeg(10, 600);
  const second = await jpeg(11, 600);
  const store = await storeAt(t, fx, dir, { quotaBytes: first.length + Math.floor(second.length / 2) });
  await store.sink.chats([chat(3)]);
  const a = message(3, 1, { mediaKind: 'image', media: image() });
  const b = message(3, 2, { mediaKind: 'image', body: 'the invoice photo', media: image() });
  await store.sink.messages([a, b]);
  t.equal(await store.media.accept(a.waId, 'full', download(store, first), { mimeType: 'image/jpeg', fileName: null }), 'stored');
  const events = collect(store);
  t.equal(await store.media.accept(b.waId, 'full', download(store, second), { mimeType: 'image/jpeg', fileName: null }), 'failed');
  const mb = await messageByWa(store, b.waId);
  t.equal(mb.media?.state, 'failed');
  t.equal(mb.media?.error?.code, 'MEDIA_QUOTA_EXCEEDED');
  t.match(mb.media?.error?.message, /^not downloaded: the media store of this workspace is full \(\d+ KB of \d+ KB used\)$/);
  t.equal(mb.body, 'the invoice photo', 'the message itself is kept');
  t.equal(updatesOf(events, mb.id).length, 1, 'announced once');
  t.equal(await store.media.holding(b.waId), 'settled', 'not fetched again and again');
  const ma = await messageByWa(store, a.waId);
  t.equal(ma.media?.state, 'stored', 'the earlier file is untouched');
  t.equal(finalFiles(dir).length, 1, 'only the first file on disk');
  t.same(fs.readdirSync(store.media.tempDir), [], 'the refused file is deleted');
  t.equal((await store.db.selectFrom('media_blobs').selectAll().execute()).length, 1);
});

t.test('a file over its kind’s limit: too_large with MEDIA_TOO_LARGE, nothing kept', async (t) => {
  const dir = mediaDir(t);
  const store = await storeAt(t, fx, dir, { maxPhotoBytes: 1000 });
  await store.sink.chats([chat(4)]);
  const m = message(4, 1, { mediaKind: 'image', media: image() });
  await store.sink.messages([m]);
  t.equal(store.media.maxBytes('image'), 1000);
  t.equal(await store.media.accept(m.waId, 'full', download(store, await jpeg(4)), { mimeType: 'image/jpeg', fileName: null }), 'too_large');
  const out = await messageByWa(store, m.waId);
  t.equal(out.media?.state, 'too_large');
  t.equal(out.media?.error?.code, 'MEDIA_TOO_LARGE');
  t.match(out.media?.error?.message, /over the limit of 1000 bytes/);
  t.same(finalFiles(dir), []);
  t.same(fs.readdirSync(store.media.tempDir), []);
});

t.test('killed during a download: after reopening no temp file, nothing under a final name, no media stored', async (t) => {
  const dir = mediaDir(t);
  const store = await storeAt(t, fx, dir);
  await store.sink.chats([chat(5)]);
  const m = message(5, 1, { mediaKind: 'video', media: image({ kind: 'video', mimeType: 'video/mp4' }) });
  await store.sink.messages([m]);
  await store.flush();
  // The process dies here: half a download in tmp/, accept() never called.
  fs.writeFileSync(path.join(store.media.tempDir, 'half-a-video'), Buffer.alloc(4096, 1));
  await store.close();

  const again = await storeAt(t, fx, dir, {}, false);
  t.same(fs.readdirSync(again.media.tempDir), [], 'tmp/ emptied on open');
  t.same(finalFiles(dir), [], 'nothing under a final name');
  const out = await messageByWa(again, m.waId);
  t.equal(out.media?.state, 'pending', 'still to fetch: not stored');
  t.equal(await again.media.holding(m.waId), 'none', 'so the WhatsApp side downloads it again');
  t.equal((await again.db.selectFrom('media_blobs').selectAll().execute()).length, 0);
});

t.test('reactions, a link preview and an edit each update the message once; the edit keeps the old text', async (t) => {
  const store = await storeAt(t, fx, mediaDir(t));
  await store.sink.chats([chat(6)]);
  const m = message(6, 1, { body: 'see https://example.com/offer' });
  await store.sink.messages([m]);
  await store.flush();
  const id = (await messageByWa(store, m.waId)).id;
  const events = collect(store);
  const report = async (over: Partial<typeof m>) => {
    await store.sink.messages([{ ...m, ...over }]);
    await store.flush();
  };

  await report({ reactions: [{ emoji: '👍', count: 2, mine: true }] });
  t.equal(updatesOf(events, id).length, 1, 'reactions: one update');
  t.same((updatesOf(events, id)[0]!.data as MessageOut).reactions, [{ emoji: '👍', count: 2, mine: true }]);
  await report({ reactions: [{ emoji: '👍', count: 2, mine: true }] });
  await report({});
  t.equal(updatesOf(events, id).length, 1, 'the same reactions again, or none reported: nothing');

  const preview = { title: 'Offer', description: 'Half price', host: 'example.com', url: 'https://example.com/offer' };
  await report({ linkPreview: preview });
  t.equal(updatesOf(events, id).length, 2, 'a preview: one update');
  const withPreview = updatesOf(events, id)[1]!.data as MessageOut;
  t.same(withPreview.linkPreview, preview);
  t.equal(withPreview.body, 'see https://example.com/offer', 'the preview is not in the body');
  t.same(withPreview.reactions, [{ emoji: '👍', count: 2, mine: true }], 'reactions kept when not reported');
  await report({ linkPreview: preview });
  t.equal(updatesOf(events, id).length, 2);

  await report({ body: 'see https://example.com/offer2', edited: true });
  t.equal(updatesOf(events, id).length, 3, 'an edit: one update');
  const edited = updatesOf(events, id)[2]!.data as MessageOut;
  t.equal(edited.body, 'see https://example.com/offer2');
  t.type(edited.editedAt, 'string');
  await report({ body: 'see https://example.com/offer2', edited: true });
  t.equal(updatesOf(events, id).length, 3, 'the edited text again: nothing');
  const edits = await store.db.selectFrom('message_edits').select('body').where('message_id', '=', String(id)).execute();
  t.same(edits.map((e) => e.body), ['see https://example.com/offer'], 'the old text in the history');

  await report({ reactions: [] });
  t.equal(updatesOf(events, id).length, 4, 'reactions taken back: one update');
  t.same((updatesOf(events, id)[3]!.data as MessageOut).reactions, []);
  t.same((updatesOf(events, id)[3]!.data as MessageOut).linkPreview, preview);
});

t.test('a system notice is stored as kind system: not unread, not the chat’s last message', async (t) => {
  const store = await storeAt(t, fx, mediaDir(t));
  await store.sink.chats([chat(7, { unreadCount: 0 })]);
  await store.sink.messages([message(7, 1, { body: 'hello there' })]);
  await store.flush();
  const before = await store.db.selectFrom('chats').select(['unread_count', 'preview', 'last_message_at']).where('wa_id', '=', chat(7).waId).executeTakeFirstOrThrow();
  await store.sink.messages([message(7, 2, { body: 'Ana joined using this group’s invite link', kind: 'system', author: null })]);
  await store.flush();
  const out = await messageByWa(store, message(7, 2).waId);
  t.equal(out.kind, 'system');
  const after = await store.db.selectFrom('chats').select(['unread_count', 'preview', 'last_message_at']).where('wa_id', '=', chat(7).waId).executeTakeFirstOrThrow();
  t.same(after, before, 'unread count, preview and position unchanged');
});

t.test('locations and contact cards: stored with their details and nothing to fetch', async (t) => {
  const store = await storeAt(t, fx, mediaDir(t));
  await store.sink.chats([chat(8)]);
  const details = { latitude: -23.55, longitude: -46.63, name: 'Shop', address: 'Rua A, 1' };
  const m = message(8, 1, { mediaKind: 'location', body: '', media: image({ kind: 'location', mimeType: null, available: 'none', details }) });
  await store.sink.messages([m]);
  await store.flush();
  const out = await messageByWa(store, m.waId);
  t.same(out.media?.details, details);
  t.equal(out.media?.kind, 'location');
  t.equal(await store.media.holding(m.waId), 'settled');
});
