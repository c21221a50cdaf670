// Receiving files, reactions, previews, edits and system notices (simulated phone): the simulator
// (the test double for WhatsApp's servers) sends each kind into its page in real Chromium; the
// slice's real DOM code reports it and downloads the bytes from the page into a small media intake
// over a temp dir (recording what it is handed; the real store is tested elsewhere).
import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import type { ExtractedMessage, MediaIntake, MediaKind, MediaState, MediaVariant, SimIncoming } from '../wa/types.ts';
import { mediaFetchStats, PIECE_BYTES } from '../wa/dom/media-fetch.ts';
import type { WaSessionHandle } from '../wa/index.ts';
import { RecordingSink, requireChromium, simSession, startAndScan } from './wa-support.ts';
import { buildSliceApp } from '../app.ts';
import { TOKEN, auth, openStore, sliceDb } from './helpers.ts';

requireChromium(t);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-media-rx-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Accepted {
  waId: string;
  variant: MediaVariant;
  size: number;
  sha256: string;
  info: { mimeType: string | null; fileName: string | null };
  /** The message was reported (committed) before its file came. */
  committed: boolean;
  state: MediaState;
}

/** A media store in miniature: files by waId in a dir, the limits the test sets. */
class DirIntake implements MediaIntake {
  readonly tempDir: string;
  private readonly storeDir: string;
  held = new Map<string, 'thumb' | 'full' | 'settled'>();
  accepted: Accepted[] = [];
  failures: { waId: string; reason: string }[] = [];
  limits: Record<string, number> = {};
  constructor(
    root: string,
    private readonly sink: RecordingSink,
  ) {
    this.tempDir = path.join(root, 'tmp');
    this.storeDir = path.join(root, 'store');
    fs.mkdirSync(this.tempDir, { recursive: true });
    fs.mkdirSync(this.storeDir, { recursive: true });
  }
  async holding(waId: string) {
    return this.held.get(waId) ?? 'none';
  }
  maxBytes(kind: Exclude<MediaKind, null>): number {
    return this.limits[kind] ?? (kind === 'document' ? 100 : 16) * 1024 * 1024;
  }
  async accept(waId: string, variant: MediaVariant, tempPath: string, info: { mimeType: string | null; fileName: string | null }): Promise<MediaState> {
    const msg = this.sink.messagesById.get(waId);
    const size = fs.statSync(tempPath).size;
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(tempPath)).digest('hex');
    const kind = msg?.media?.kind ?? 'image';
    let state: MediaState = 'stored';
    if (size > this.maxBytes(kind)) {
      state = 'too_large';
      fs.rmSync(tempPath);
      this.held.set(waId, 'settled');
    } else {
      fs.renameSync(tempPath, path.join(this.storeDir, `${waId}.${variant}`));
      this.held.set(waId, variant);
    }
    this.accepted.push({ waId, variant, size, sha256, info, committed: !!msg, state });
    return state;
  }
  async failed(waId: string, reason: string) {
    this.failures.push({ waId, reason });
    this.held.set(waId, 'settled');
  }
  async missing(limit: number) {
    const out: { waId: string; chatWaId: string }[] = [];
    for (const m of this.sink.messagesById.values()) {
      const k = m.media?.kind;
      if (!k || k === 'location' || k === 'contact' || m.recalled) continue;
      const h = this.held.get(m.waId);
      if (h !== 'full' && h !== 'settled') out.push({ waId: m.waId, chatWaId: m.chatWaId });
    }
    return out.slice(-limit).reverse();
  }
  of(waId: string): Accepted[] {
    return this.accepted.filter((a) => a.waId === waId);
  }
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed: number) => {
  const b = crypto.randomBytes(n);
  b[0] = seed & 0xff;
  return b;
};

const base = generateScenario({ chats: 3, messages: 12, seed: 11 });
// A 1:1 chat and a group (the generator makes chat 3 of every 7 a group: add one).
const scenario: SimScenario = {
  ...base,
  chats: [...base.chats, { jid: '120363999000000001@g.us', name: 'Equipo Media', isGroup: true, messages: [] }],
  incoming: [],
  acks: { deliveredAfterMs: 100, readAfterMs: 200 },
};
const scenarioFile = path.join(dir, 'scenario.json');
fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
const contact = scenario.chats.find((c) => !c.isGroup)!;
const other = scenario.chats.find((c) => !c.isGroup && c !== contact)!;
const group = scenario.chats.find((c) => c.jid === '120363999000000001@g.us')!;

const sink = new RecordingSink();
const intake = new DirIntake(path.join(dir, 'media'), sink);
sink.media = intake;
let session: WaSessionHandle;
t.teardown(async () => session?.stop());

async function send(inc: SimIncoming): Promise<ExtractedMessage> {
  const { waId } = await session.sim!.deliverIncoming(inc);
  await sink.until(() => sink.messagesById.has(waId), 10_000, `message ${waId} reported`);
  return sink.messagesById.get(waId)!;
}
const untilAccepted = (waId: string, variant: MediaVariant) =>
  sink.until(() => intake.of(waId).some((a) => a.variant === variant), 20_000, `${variant} of ${waId} handed over`);

t.test('READY against the simulated phone', async (t) => {
  session = simSession({ authDir: path.join(dir, 'auth'), scenarioFile, sink });
  await startAndScan(session, sink);
  await session.synced();
  t.ok(sink.chatsById.has(group.jid), 'the group is known');
});

t.test('each kind received (simulated phone): reported with its fields, the bytes handed over byte for byte', async (t) => {
  const cases: { name: string; inc: SimIncoming; want: Partial<NonNullable<ExtractedMessage['media']>>; file: Buffer | null }[] = [];
  const file = (n: number, s: number) => bytes(n, s);
  const png = file(200_000, 1);
  cases.push({ name: 'picture', file: png, inc: { chatWaId: contact.jid, body: 'the broken part', media: { kind: 'image', mimeType: 'image/png', dataBase64: png.toString('base64'), details: { width: 640, height: 480 } } }, want: { kind: 'image', width: 640, height: 480, available: 'full' } });
  const mp4 = file(300_000, 2);
  cases.push({ name: 'video', file: mp4, inc: { chatWaId: contact.jid, body: '', media: { kind: 'video', mimeType: 'video/mp4', dataBase64: mp4.toString('base64'), details: { durationMs: 65_000 } } }, want: { kind: 'video', mimeType: 'video/mp4', durationMs: 65_000, available: 'full' } });
  const gif = file(50_000, 3);
  cases.push({ name: 'GIF', file: gif, inc: { chatWaId: contact.jid, body: '', media: { kind: 'video', mimeType: 'video/mp4', dataBase64: gif.toString('base64'), details: { gif: true, width: 320, height: 240 } } }, want: { kind: 'video', width: 320, height: 240, available: 'full' } });
  const ogg = file(40_000, 4);
  cases.push({ name: 'voice note', file: ogg, inc: { chatWaId: contact.jid, body: '', media: { kind: 'voice', mimeType: 'audio/ogg', dataBase64: ogg.toString('base64'), details: { durationMs: 37_000 } } }, want: { kind: 'voice', mimeType: 'audio/ogg', durationMs: 37_000, available: 'full' } });
  const mp3 = file(120_000, 5);
  cases.push({ name: 'audio file', file: mp3, inc: { chatWaId: contact.jid, body: '', media: { kind: 'audio', mimeType: 'audio/mpeg', fileName: 'jingle.mp3', dataBase64: mp3.toString('base64'), details: { durationMs: 192_000 } } }, want: { kind: 'audio', mimeType: 'audio/mpeg', fileName: 'jingle.mp3', durationMs: 192_000, available: 'full' } });
  const pdf = file(700_000, 6);
  cases.push({ name: 'document', file: pdf, inc: { chatWaId: contact.jid, body: 'signed', media: { kind: 'document', mimeType: 'application/pdf', fileName: 'Contrato assinado.pdf', dataBase64: pdf.toString('base64'), details: { pages: 2 } } }, want: { kind: 'document', mimeType: 'application/pdf', fileName: 'Contrato assinado.pdf', available: 'full' } });
  const webp = file(30_000, 7);
  cases.push({ name: 'sticker', file: webp, inc: { chatWaId: contact.jid, body: '', media: { kind: 'sticker', mimeType: 'image/webp', dataBase64: webp.toString('base64') } }, want: { kind: 'sticker', width: 190, height: 190, available: 'full' } });
  cases.push({
    name: 'location',
    file: null,
    inc: { chatWaId: contact.jid, body: '', media: { kind: 'location', mimeType: 'application/x-location', details: { latitude: -23.5613, longitude: -46.6565, name: 'Avenida Paulista', address: 'Av. Paulista, 1578' } } },
    want: { kind: 'location', available: 'none', details: { latitude: -23.5613, longitude: -46.6565, name: 'Avenida Paulista', address: 'Av. Paulista, 1578' } },
  });
  cases.push({
    name: 'contact card',
    file: null,
    inc: { chatWaId: contact.jid, body: '', media: { kind: 'contact', mimeType: 'text/vcard', details: { name: 'Maria Silva', phones: ['+55 11 98888-7777'] } } },
    want: { kind: 'contact', available: 'none', details: { name: 'Maria Silva', phones: ['+5511988887777'] } },
  });
  for (const c of cases) {
    const m = await send(c.inc);
    t.equal(m.kind, 'media', `${c.name}: kind media`);
    t.equal(m.mediaKind, c.want.kind, `${c.name}: mediaKind`);
    t.equal(m.body, c.inc.body, `${c.name}: the caption is the body`);
    for (const [k, v] of Object.entries(c.want)) t.same((m.media as unknown as Record<string, unknown>)[k], v, `${c.name}: media.${k}`);
    if (c.file) {
      await untilAccepted(m.waId, 'full');
      const got = intake.of(m.waId).find((a) => a.variant === 'full')!;
      t.equal(got.sha256, sha(c.file), `${c.name}: the bytes handed over are the ones sent`);
      t.equal(got.size, c.file.length, `${c.name}: size`);
      t.ok(got.committed, `${c.name}: the message was reported before its file`);
      t.equal(got.state, 'stored');
    } else {
      t.same(intake.of(m.waId), [], `${c.name}: no file to fetch`);
    }
  }
  const doc = intake.accepted.find((a) => a.info.fileName === 'Contrato assinado.pdf');
  t.equal(doc?.info.mimeType, 'application/pdf', 'the document came through the download the page offered, with its name and type');
  // The first message went to a chat that was not open (a refresh read it), the rest to the open one.
  t.ok(cases.length > 1);
  t.same(intake.failures, [], 'nothing failed');
});

t.test('a picture WhatsApp has not downloaded yet: the thumbnail first, then the full file, one message (simulated phone)', async (t) => {
  const img = bytes(150_000, 9);
  const m = await send({ chatWaId: contact.jid, body: '', media: { kind: 'image', mimeType: 'image/jpeg', dataBase64: img.toString('base64'), downloadAfterMs: 1500 } });
  t.equal(m.media?.available, 'thumb', 'first reported with only its blurred preview');
  await untilAccepted(m.waId, 'thumb');
  await untilAccepted(m.waId, 'full');
  const got = intake.of(m.waId);
  t.same(got.map((a) => a.variant), ['thumb', 'full'], 'thumbnail, then the file');
  t.match(got[0]!.info.mimeType ?? '', /^image\//, 'the thumbnail is an image');
  t.equal(got[1]!.sha256, sha(img), 'the full file byte for byte');
  t.equal(sink.messagesById.get(m.waId)?.media?.available, 'full', 'the same message now shows the file');
  t.equal(new Set(sink.messageCalls.flat().filter((x) => x.waId === m.waId).map((x) => x.waId)).size, 1, 'one message id throughout');
});

t.test('a 5 MB picture is read in bounded pieces (simulated phone)', async (t) => {
  const big = bytes(5 * 1024 * 1024, 10);
  const before = { ...mediaFetchStats };
  const m = await send({ chatWaId: contact.jid, body: 'big', media: { kind: 'image', mimeType: 'image/jpeg', dataBase64: big.toString('base64') } });
  await untilAccepted(m.waId, 'full');
  t.equal(intake.of(m.waId)[0]!.sha256, sha(big), 'byte for byte');
  t.ok(mediaFetchStats.pieces - before.pieces >= 10, `read in ${mediaFetchStats.pieces - before.pieces} pieces`);
  t.ok(mediaFetchStats.largestPieceBytes <= PIECE_BYTES, `no piece over ${PIECE_BYTES} bytes (largest ${mediaFetchStats.largestPieceBytes})`);
  t.ok(mediaFetchStats.largestPayloadChars <= Math.ceil(PIECE_BYTES / 3) * 4, `no evaluate payload over one piece of base64 (largest ${mediaFetchStats.largestPayloadChars} chars)`);
});

t.test('files over the limit are cut at limit+1 bytes: read from the page or stated by a document card (simulated phone)', async (t) => {
  intake.limits.image = 100_000;
  intake.limits.document = 200_000;
  const img = bytes(400_000, 12);
  const m = await send({ chatWaId: contact.jid, body: '', media: { kind: 'image', mimeType: 'image/jpeg', dataBase64: img.toString('base64') } });
  await untilAccepted(m.waId, 'full');
  t.same(intake.of(m.waId).map((a) => [a.size, a.state]), [[100_001, 'too_large']], 'reading stopped past the limit');
  const pdf = bytes(600_000, 13);
  const d = await send({ chatWaId: contact.jid, body: '', media: { kind: 'document', mimeType: 'application/pdf', fileName: 'big.pdf', dataBase64: pdf.toString('base64') } });
  t.ok((d.media?.size ?? 0) > 200_000, `the card states ${d.media?.size} bytes`);
  await untilAccepted(d.waId, 'full');
  t.same(intake.of(d.waId).map((a) => [a.size, a.state]), [[200_001, 'too_large']], 'not downloaded: a stand-in one byte over the limit');
  delete intake.limits.image;
  delete intake.limits.document;
});

t.test('reactions, an edit, a recall and a link preview from the other side are reported (simulated phone)', async (t) => {
  const m = await send({ chatWaId: contact.jid, body: 'Order #4411 ready?' });
  t.same(m.reactions, [], 'no chips yet');
  t.equal(m.edited, false);
  await session.sim!.reactFromPhone(m.waId, '👍');
  await sink.until(() => sink.messagesById.get(m.waId)?.reactions?.length === 1, 5000, 'the reaction');
  t.same(sink.messagesById.get(m.waId)!.reactions, [{ emoji: '👍', count: 1, mine: false }]);
  await session.sim!.reactFromPhone(m.waId, '❤');
  await sink.until(() => sink.messagesById.get(m.waId)?.reactions?.[0]?.emoji === '❤', 5000, 'the changed reaction');
  await session.sim!.reactFromPhone(m.waId, null);
  await sink.until(() => sink.messagesById.get(m.waId)?.reactions?.length === 0, 5000, 'the reaction taken back');

  await session.sim!.editFromPhone(m.waId, 'Order #4411 ready for pickup?');
  await sink.until(() => sink.messagesById.get(m.waId)?.edited === true, 5000, 'the edit');
  t.equal(sink.messagesById.get(m.waId)!.body, 'Order #4411 ready for pickup?', 'the new text');

  await session.sim!.recallFromPhone(m.waId);
  await sink.until(() => sink.messagesById.get(m.waId)?.recalled === true, 5000, 'the recall');
  t.equal(sink.messagesById.get(m.waId)!.edited, false);

  const body = 'Tracking: https://track.example.com/parcel/4411 thanks';
  const p = await send({ chatWaId: contact.jid, body });
  t.equal(p.body, body, 'the preview is never part of the body');
  t.same(p.linkPreview, { title: 'track.example.com/parcel/4411', description: 'A page on track.example.com', host: 'track.example.com', url: 'https://track.example.com/parcel/4411' });
  t.equal(p.kind, 'text');

  await t.rejects(session.sim!.reactFromPhone('NOPE', '👍'), /no message NOPE/, 'an unknown id is refused');
});

t.test('a system notice is kind system; the member name-and-number row is never reported (simulated phone)', async (t) => {
  const q = await send({ chatWaId: group.jid, body: 'hello group', author: 'Ana Souza' });
  t.equal(q.author, 'Ana Souza');
  const n = await send({ chatWaId: group.jid, body: "Bruno joined using this group's invite link", system: true });
  t.same([n.kind, n.body, n.direction, n.author, n.media], ['system', "Bruno joined using this group's invite link", 'in', null, null]);
  const reply = await send({ chatWaId: group.jid, body: 'welcome', quotedWaId: q.waId });
  t.equal(reply.quotedWaId, q.waId, 'a quote of an earlier message');
  const page = (session as unknown as { page: Page }).page;
  const memberRows = await page.evaluate(() =>
    Array.from(document.querySelectorAll('#main [role="row"] [data-id]'))
      .filter((e) => e.querySelector('.message-in') && !e.querySelector('[data-pre-plain-text]'))
      .map((e) => e.getAttribute('data-id')!),
  );
  t.ok(memberRows.length >= 2, `the group shows member rows (${memberRows.length})`);
  const reported = new Set(sink.messageCalls.flat().map((m) => m.waId));
  t.same(memberRows.filter((id) => reported.has(id)), [], 'none of them reported');
  t.notOk(sink.messageCalls.flat().some((m) => m.body.startsWith('~')), 'no name-and-number body');
  // The chat that is not open: a system notice arrives by a refresh.
  const s2 = await send({ chatWaId: other.jid, body: 'Your security code with Rafa changed', system: true });
  t.equal(s2.kind, 'system');
});

t.test('POST /sim/incoming, /sim/react, /sim/edit, /sim/recall drive the phone; bad input and unknown ids are refused clearly (simulated phone)', async (t) => {
  const fx = await sliceDb(t, 'media-receive-sim-routes');
  const store = await openStore(t, fx);
  const app = await buildSliceApp({ store, session, token: TOKEN, waMode: 'sim' });
  t.teardown(() => app.close());
  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  const jpg = bytes(80_000, 20);
  const res = await post('/sim/incoming', { chatWaId: contact.jid, body: 'by HTTP', media: { kind: 'image', mimeType: 'image/jpeg', dataBase64: jpg.toString('base64') } });
  t.equal(res.statusCode, 200, res.body);
  const { waId } = res.json() as { waId: string };
  await untilAccepted(waId, 'full');
  t.equal(intake.of(waId)[0]!.sha256, sha(jpg), 'the file sent over HTTP, byte for byte');

  const noBytes = await post('/sim/incoming', { chatWaId: contact.jid, body: '', media: { kind: 'image', mimeType: 'image/jpeg' } });
  t.equal(noBytes.statusCode, 400);
  t.match(noBytes.json().error.message, /dataBase64/, 'names what is missing');
  const badKind = await post('/sim/incoming', { chatWaId: contact.jid, body: 'x', media: { kind: 'hologram', mimeType: 'image/jpeg' } });
  t.equal(badKind.statusCode, 400);
  t.match(badKind.json().error.message, /kind/);
  const empty = await post('/sim/incoming', { chatWaId: contact.jid, body: '' });
  t.equal(empty.statusCode, 400, 'no text and no media');

  const unknown = await post('/sim/react', { waId: 'NOSUCHMSG', emoji: '👍' });
  t.equal(unknown.statusCode, 409, unknown.body);
  t.match(unknown.json().error.message, /no message NOSUCHMSG/, 'names the id');
  const noEmoji = await post('/sim/react', { waId });
  t.equal(noEmoji.statusCode, 400);
  t.match(noEmoji.json().error.message, /emoji/);
  t.equal((await post('/sim/react', { waId, emoji: '🙏' })).statusCode, 200);
  await sink.until(() => sink.messagesById.get(waId)?.reactions?.[0]?.emoji === '🙏', 5000, 'the reaction by HTTP');
  t.equal((await post('/sim/edit', { waId, body: '' })).statusCode, 400, 'an empty edit');
  t.equal((await post('/sim/edit', { waId: 'NOSUCHMSG', body: 'x' })).statusCode, 409);
  t.equal((await post('/sim/edit', { waId, body: 'by HTTP, edited' })).statusCode, 200);
  await sink.until(() => sink.messagesById.get(waId)?.body === 'by HTTP, edited', 5000, 'the edit by HTTP');
  t.equal(sink.messagesById.get(waId)!.edited, true);
  t.equal((await post('/sim/recall', { waId: 'NOSUCHMSG' })).statusCode, 409);
  t.equal((await post('/sim/recall', { waId })).statusCode, 200);
  await sink.until(() => sink.messagesById.get(waId)?.recalled === true, 5000, 'the recall by HTTP');
  t.equal(sink.messagesById.get(waId)!.media, null, 'a recalled message shows no file');
});

t.test('files that came while the slice was down are downloaded by the initial sync, while their rows are rendered (simulated phone)', async (t) => {
  await session.stop();
  session = simSession({ authDir: path.join(dir, 'auth'), scenarioFile, sink });
  const img = bytes(250_000, 30);
  const pdf = bytes(90_000, 31);
  const a = await session.sim!.deliverIncoming({ chatWaId: other.jid, body: 'while you were away', media: { kind: 'image', mimeType: 'image/png', dataBase64: img.toString('base64') } });
  const b = await session.sim!.deliverIncoming({ chatWaId: other.jid, body: '', media: { kind: 'document', mimeType: 'application/pdf', fileName: 'away.pdf', dataBase64: pdf.toString('base64') } });
  await session.start();
  await sink.until(() => session.status().state === 'READY', 60_000, 'READY');
  await session.synced();
  // The sync reads each file before it opens the next chat: they are here when it is done.
  t.equal(intake.of(a.waId).find((x) => x.variant === 'full')?.sha256, sha(img), 'the picture, byte for byte');
  t.equal(intake.of(b.waId).find((x) => x.variant === 'full')?.sha256, sha(pdf), 'the document, through the download the page offered');
  const before = intake.accepted.length;
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(intake.accepted.length, before, 'what the store holds already is not fetched again');
});
