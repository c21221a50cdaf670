// Sending files and reacting through the page as a person does, against the simulator (the test
// double for WhatsApp's servers) in real Chromium: the composer's attach menu and media editor, the
// reaction picker, and what the other side's phone holds afterwards (byte for byte, by sha256).
import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'puppeteer-core';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import type { OutgoingFile, SimPhoneMessage } from '../wa/types.ts';
import { buildSliceApp } from '../app.ts';
import { RecordingSink, requireChromium, simSession, startAndScan } from './wa-support.ts';
import { TOKEN, auth, openStore, sliceDb } from './helpers.ts';

requireChromium(t);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-send-media-'));
const authDir = path.join(dir, 'auth');
const scenarioFile = path.join(dir, 'scenario.json');
const scenario: SimScenario = { ...generateScenario({ chats: 3, messages: 90, seed: 11 }), incoming: [], acks: { deliveredAfterMs: 150, readAfterMs: -1 } };
fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
const direct = scenario.chats.filter((c) => !c.isGroup).sort((a, b) => b.messages.length - a.messages.length);
// A: more history than the page shows at first (25 rows), for a reaction that must scroll back.
const chatA = direct[0]!;
const chatB = direct[1]!;

const sink = new RecordingSink();
const session = simSession({ authDir, scenarioFile, sink, tuning: { openChatTimeoutMs: 4000 } });
t.teardown(async () => {
  await session.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
// The test looks at the page itself to see that nothing was left open after a failure.
const page = (): Page => (session as unknown as { page: Page | null }).page!;
const leftOpen = () => page().evaluate(() => ({
  fileInputs: document.querySelectorAll('input[type="file"]').length,
  editor: document.querySelector('[contenteditable="true"][aria-label="Add a caption" i], #sim-media-editor') !== null,
  picker: document.querySelector('[data-testid="reactions-tray"]') !== null,
}));
const nothingOpen = { fileInputs: 0, editor: false, picker: false };

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const jpeg = await sharp(crypto.randomBytes(64 * 48 * 3), { raw: { width: 64, height: 48, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n'), crypto.randomBytes(300 * 1024), Buffer.from('\n%%EOF\n')]);
const jpegPath = path.join(dir, 'broken-part.jpg');
const pdfPath = path.join(dir, 'signed contract.pdf');
fs.writeFileSync(jpegPath, jpeg);
fs.writeFileSync(pdfPath, pdf);
const outgoing = (p: string, kind: OutgoingFile['kind'], mimeType: string, caption: string): OutgoingFile => ({
  path: p,
  kind,
  mimeType,
  fileName: path.basename(p),
  size: fs.statSync(p).size,
  caption,
});

async function onPhone(chatJid: string, pred: (m: SimPhoneMessage[]) => boolean, what: string): Promise<SimPhoneMessage[]> {
  const t0 = Date.now();
  for (;;) {
    const msgs = await session.sim!.phoneMessages(chatJid);
    if (pred(msgs)) return msgs;
    if (Date.now() - t0 > 10_000) throw new Error(`the phone did not show ${what} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('READY against the simulated phone', async () => {
  await startAndScan(session, sink);
  await session.synced();
});

t.test('a JPEG sent with a two-line caption arrives on the phone byte for byte (simulated phone)', async (t) => {
  const caption = 'the broken part\nleft side, see the crack';
  const sent = await session.sendMedia(chatB.jid, outgoing(jpegPath, 'image', 'image/jpeg', caption));
  t.match(sent.waId, /^3EB0[0-9A-F]{18}$/, "the bubble's id");
  const msgs = await onPhone(chatB.jid, (ms) => ms.some((m) => m.waId === sent.waId), 'the photo');
  const got = msgs.find((m) => m.waId === sent.waId)!;
  t.equal(got.fromMe, true);
  t.equal(got.kind, 'media');
  t.equal(got.body, caption, 'the caption, line break included');
  t.same(got.media, { kind: 'image', mimeType: 'image/jpeg', fileName: 'broken-part.jpg', size: jpeg.length, sha256: sha256(jpeg) }, 'sent as a photo, sha256 of the file');
  t.ok(fs.readFileSync(path.join(authDir, 'sim-media', sha256(jpeg))).equals(jpeg), 'the bytes the phone keeps are the file');
  t.equal(sink.messagesById.get(sent.waId)?.direction, 'out', 'reported to the sink as sent');
  t.equal(sink.messagesById.get(sent.waId)?.body, caption);
  t.same(await leftOpen(), nothingOpen, 'no menu or editor left open');
});

t.test('a PDF goes through "Document" and arrives byte for byte with its caption (simulated phone)', async (t) => {
  const sent = await session.sendMedia(chatA.jid, outgoing(pdfPath, 'document', 'application/pdf', 'signed, page 2 too'));
  const msgs = await onPhone(chatA.jid, (ms) => ms.some((m) => m.waId === sent.waId), 'the document');
  const got = msgs.find((m) => m.waId === sent.waId)!;
  t.equal(got.body, 'signed, page 2 too');
  t.same(got.media, { kind: 'document', mimeType: 'application/pdf', fileName: 'signed contract.pdf', size: pdf.length, sha256: sha256(pdf) }, 'a document, sha256 of the file (several upload pieces)');
  t.ok(fs.readFileSync(path.join(authDir, 'sim-media', sha256(pdf))).equals(pdf), 'byte for byte');
  t.ok(sink.messagesById.has(sent.waId), 'reported to the sink');
});

t.test('an audio file without a caption goes through "Document" too (simulated phone)', async (t) => {
  const ogg = Buffer.concat([Buffer.from('OggS'), crypto.randomBytes(40 * 1024)]);
  const oggPath = path.join(dir, 'note.ogg');
  fs.writeFileSync(oggPath, ogg);
  const sent = await session.sendMedia(chatB.jid, outgoing(oggPath, 'audio', 'audio/ogg', ''));
  const msgs = await onPhone(chatB.jid, (ms) => ms.some((m) => m.waId === sent.waId), 'the audio file');
  const got = msgs.find((m) => m.waId === sent.waId)!;
  t.equal(got.body, '', 'no caption');
  t.match(got.media, { kind: 'document', fileName: 'note.ogg', size: ogg.length, sha256: sha256(ogg) }, 'the document input took it, byte for byte');
  t.same(await leftOpen(), nothingOpen);
});

t.test('a reaction set, changed, then taken back shows on the phone (simulated phone)', async (t) => {
  const target = [...chatB.messages].reverse().find((m) => !m.fromMe && !m.recalled)!;
  const mineOnPhone = async (want: string | null) => {
    const msgs = await onPhone(chatB.jid, (ms) => {
      const r = ms.find((m) => m.waId === target.id)?.reactions ?? [];
      return want === null ? r.length === 0 : r.length === 1 && r[0]!.emoji === want && r[0]!.fromMe;
    }, want === null ? 'the reaction taken back' : `the reaction ${want}`);
    return msgs.find((m) => m.waId === target.id)!.reactions;
  };
  t.same(await session.react(chatB.jid, target.id, '👍'), [{ emoji: '👍', count: 1, mine: true }], 'the chips afterwards');
  t.same(await mineOnPhone('👍'), [{ emoji: '👍', fromMe: true }], 'the phone has it');
  t.same(await session.react(chatB.jid, target.id, '👍'), [{ emoji: '👍', count: 1, mine: true }], 'the same emoji again keeps it (no toggle)');
  t.same(await session.react(chatB.jid, target.id, '❤️'), [{ emoji: '❤️', count: 1, mine: true }], 'changed');
  await mineOnPhone('❤️');
  t.same(await session.react(chatB.jid, target.id, null), [], 'taken back');
  t.same(await mineOnPhone(null), [], 'the phone has none');
  t.same(await session.react(chatB.jid, target.id, null), [], 'taking back nothing changes nothing');
  t.same(await leftOpen(), nothingOpen, 'the picker is closed');
});

t.test('a reaction to an older message scrolls back through the history to find it (simulated phone)', async (t) => {
  t.ok(chatA.messages.length > 30, 'the chat has more than one page of history');
  const oldest = chatA.messages[0]!;
  // B was open last: A opens afresh, showing its newest 25 rows only.
  t.same(await session.react(chatA.jid, oldest.id, '🙏'), [{ emoji: '🙏', count: 1, mine: true }]);
  t.ok((await page().evaluate(() => document.querySelectorAll('#main [role="row"]').length)) > 25, 'older rows were loaded to reach it');
  const msgs = await onPhone(chatA.jid, (ms) => (ms.find((m) => m.waId === oldest.id)?.reactions.length ?? 0) === 1, 'the reaction');
  t.same(msgs.find((m) => m.waId === oldest.id)!.reactions, [{ emoji: '🙏', fromMe: true }]);
});

t.test('a message the page does not show, and an emoji the picker does not offer (simulated phone)', async (t) => {
  await t.rejects(session.react(chatB.jid, '3EB0000000000000NOPE', '👍'), { code: 'WA_MESSAGE_NOT_SHOWN', message: /3EB0000000000000NOPE is not shown/ });
  const target = [...chatB.messages].reverse().find((m) => !m.fromMe && !m.recalled)!;
  await t.rejects(session.react(chatB.jid, target.id, '🎉'), { code: 'FAILED_PRECONDITION', message: /offers 👍 .* not 🎉/ });
  t.same(await leftOpen(), nothingOpen, 'the picker was closed again');
});

t.test('GET /sim/phone/messages serves the phone\'s messages; an unknown chat is a 409, a missing query a 400 (simulated phone)', async (t) => {
  const fx = await sliceDb(t, 'send-media-sim');
  const store = await openStore(t, fx);
  const app = await buildSliceApp({ store, session, token: TOKEN, waMode: 'sim' });
  t.teardown(() => app.close());
  const ok = await app.inject({ method: 'GET', url: `/sim/phone/messages?chatWaId=${encodeURIComponent(chatA.jid)}`, headers: auth });
  t.equal(ok.statusCode, 200, ok.body);
  const items = (ok.json() as { items: SimPhoneMessage[] }).items;
  t.equal(items.length, chatA.messages.length + 1, 'the history and the document sent');
  t.ok(items.some((m) => m.media?.sha256 === sha256(pdf)), 'with the sent file by sha256');
  const unknown = await app.inject({ method: 'GET', url: '/sim/phone/messages?chatWaId=nobody%40c.us', headers: auth });
  t.equal(unknown.statusCode, 409, unknown.body);
  t.match(unknown.json(), { error: { code: 'FAILED_PRECONDITION', message: /no chat nobody@c\.us/ } });
  const missing = await app.inject({ method: 'GET', url: '/sim/phone/messages', headers: auth });
  t.equal(missing.statusCode, 400, missing.body);
  t.match(missing.json(), { error: { message: /chatWaId/ } });
});

t.test('an editor that never shows, and a composer without an attach button, fail clearly and leave nothing open (simulated phone)', async (t) => {
  const before = (await session.sim!.phoneMessages(chatB.jid)).length;
  await session.sim!.removeSelector('mediaCaption');
  await t.rejects(session.sendMedia(chatB.jid, outgoing(jpegPath, 'image', 'image/jpeg', 'x')), { code: 'WA_ACTION_NOT_CONFIRMED', message: /media editor never showed/ });
  t.same(await leftOpen(), nothingOpen, 'the editor was closed again');
  await session.sim!.removeSelector('attachButton');
  await t.rejects(session.sendMedia(chatB.jid, outgoing(pdfPath, 'document', 'application/pdf', '')), { code: 'FAILED_PRECONDITION', message: /no attach button/ });
  t.same(await leftOpen(), nothingOpen);
  const text = await session.sendMessage(chatB.jid, 'the text composer still works');
  const msgs = await onPhone(chatB.jid, (ms) => ms.some((m) => m.waId === text.waId), 'the text');
  t.equal(msgs.length, before + 1, 'no file was sent by the failed attempts');
});
