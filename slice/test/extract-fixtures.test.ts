// Each extractor against every captured WhatsApp Web fixture, in real Chromium: the fixture HTML is
// loaded into a page, the in-page extraction module is installed exactly as in a session, and the
// rows it reads are compared field by field with what a person reads in the capture.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { pageModuleSource, extractMessagesIn, missingSelectorsIn, listVisibleChatsIn, chatIdFromTitle, inPage } from '../wa/dom/extract.ts';
import { selectorMap } from '../wa/dom/selectors.ts';
import type { ExtractedMessage } from '../wa/types.ts';
import { CHROMIUM, requireChromium } from './wa-support.ts';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'whatsapp-web');
const GROUP = '120363403498637789@g.us';

requireChromium(t);
let browser: Browser;
t.before(async () => {
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=en-US'] });
});
t.teardown(async () => browser?.close());

async function load(file: string): Promise<Page> {
  const page = await browser.newPage();
  // data-pre-plain-text is local time: fix the zone so the expected instants are exact.
  await page.emulateTimezone('UTC');
  await page.setContent(fs.readFileSync(path.join(FIX, file), 'utf8'), { waitUntil: 'load' });
  await page.evaluate(pageModuleSource());
  return page;
}

type Expect = Partial<ExtractedMessage> & { waId: string };

function check(t: Test, got: ExtractedMessage[], want: Expect[]): void {
  t.same(got.map((m) => m.waId), want.map((w) => w.waId), 'every row, in page order');
  for (const w of want) {
    const m = got.find((g) => g.waId === w.waId);
    if (!m) continue;
    for (const [k, v] of Object.entries(w)) t.same((m as unknown as Record<string, unknown>)[k], v, `${w.waId}.${k}`);
  }
}

t.test('the fixtures are in the repo with their licence', async (t) => {
  for (const f of ['LICENSE', 'README.md', 'conversation-2025-12.html', 'messages-2026-03.html', 'messages-2026-04.html', 'messages-2026-05.html', 'synthetic-media-2026.html']) {
    t.ok(fs.existsSync(path.join(FIX, f)), f);
  }
  t.match(fs.readFileSync(path.join(FIX, 'LICENSE'), 'utf8'), /MIT/);
});

t.test('conversation-2025-12: packed data-id, no direction classes, rows without a date', async (t) => {
  const page = await load('conversation-2025-12.html');
  const got = await extractMessagesIn(page, null);
  check(t, got, [
    {
      waId: 'AC186CE91CBE1B7EA49A2127E5DDE29D',
      chatWaId: GROUP,
      direction: 'in',
      author: '+00 10000 00000',
      sentAt: '2025-12-10T09:12:00.000Z',
      body: 'As far as US dairy argument is concerned, I found very little of the subsidies being discussed. US govt heavily subsidizes dairy farming that enables the producers to sell products at aggressively low prices especially in foreign countries',
      mediaKind: null,
      quotedBody: null,
      quotedWaId: null,
      recalled: false,
      ack: 0,
    },
    {
      waId: '3EB036C7035BE6F5227333',
      direction: 'in',
      author: '100000000001@lid',
      // "9:34 pm" on the date of the nearest dated row above.
      sentAt: '2025-12-10T21:34:00.000Z',
      body: 'I\'ve posted @~Member Beta\'s question and my answer to the "Discussing Recent Episodes" group. It would be better to continue the conversation there: https://chat.whatsapp.com/example-invite',
      recalled: false,
    },
    { waId: 'RECALLEDMSG1', recalled: true, body: 'This message was deleted', author: '100000000000@lid', mediaKind: null },
    {
      waId: '3EB0E63CFC6AC65FD9BF6E',
      author: '+00 10000 00001',
      // lower-case "am": the en-GB/en-IN order, day first.
      sentAt: '2025-10-12T04:32:00.000Z',
      body: 'US productivity (per cow) is far higher than India, and that is not directly related to subsidies. This is something that, over time, India needs to adopt/adapt to and competition can spur that.',
      quotedBody: 'As far as US dairy argument is concerned, I found very little of the subsidies being discussed.',
      quotedWaId: 'AC186CE91CBE1B7EA49A2127E5DDE29D',
    },
    {
      waId: 'GIFMSG1',
      author: 'Member Delta',
      body: '',
      mediaKind: 'video',
      quotedBody: 'Corn fields look impressive on camera!',
      quotedWaId: null,
      sentAt: '2025-10-12T21:34:00.000Z',
      kind: 'media',
      // The GIF: a blurred background-image first, the blob: video once WhatsApp has it.
      media: { kind: 'video', mimeType: null, fileName: null, size: null, width: 330, height: 263, durationMs: null, available: 'full', details: null },
    },
  ]);
  t.same(got.find((m) => m.waId === '3EB036C7035BE6F5227333')?.reactions, [{ emoji: '👍', count: null, mine: false }, { emoji: '❤', count: null, mine: false }], 'one total for two emoji: no per-emoji counts');
  t.same(await missingSelectorsIn(page, 'chat'), ['mainHeaderTitle', 'mainChatId', 'composer'], 'the self-check names what a capture of messages lacks');
  await page.close();
});

t.test('messages-2026-03: groups, quotes, emoji, recalled, link, picture, voice', async (t) => {
  const page = await load('messages-2026-03.html');
  const got = await extractMessagesIn(page, null);
  check(t, got, [
    { waId: 'MSG001', chatWaId: GROUP, direction: 'in', author: '+65 9000 0001', sentAt: '2026-03-22T13:52:00.000Z', body: 'Very sad to hear this. May he rest in peace 🙏', mediaKind: null },
    { waId: 'MSG002', author: '+65 9000 0001', sentAt: '2026-03-22T14:28:00.000Z', body: 'Golden Village did not agree to a full hall screening for Dhurandhar 2 in the first weekend, so we could not organise it.' },
    { waId: 'MSG003', author: '+65 9000 0002', sentAt: '2026-03-24T15:24:00.000Z', body: 'Thanks Anand, and hello everyone. Great to be part of this community.' },
    {
      waId: 'MSG004',
      author: '+65 9000 0003',
      sentAt: '2026-03-24T15:28:00.000Z',
      body: 'Welcome!',
      quotedBody: 'Thanks Anand, and hello everyone. Great to be part of this community.',
      quotedWaId: 'MSG003',
    },
    {
      waId: 'MSG005',
      direction: 'out',
      author: 'Jordan Poe',
      sentAt: '2025-12-14T20:05:00.000Z',
      body: '22 Dec lunch or evening works well for me. 23 Dec evening works too.',
      quotedBody: 'Hi Jordan Back on the 22nd. Lunch on the 22nd or 23rd would work. Others?',
      quotedWaId: null,
      ack: 1,
    },
    { waId: 'MSG006', recalled: true, body: 'This message was deleted', sentAt: '2025-12-14T20:07:00.000Z', author: '+65 9000 0004' },
    {
      waId: 'MSG007',
      body: 'Worth a read https://cookbook.openai.com/articles/openai-harmony#receiving-tool-calls',
      mediaKind: null,
      sentAt: '2025-12-14T21:12:00.000Z',
      kind: 'text',
      linkPreview: { title: 'Example article title', description: 'Example article description.', host: 'cookbook.openai.com', url: 'https://cookbook.openai.com/articles/openai-harmony#receiving-tool-calls' },
    },
    {
      waId: 'MSG008',
      mediaKind: 'image',
      body: '',
      author: '+65 9000 0099',
      sentAt: '2026-03-24T14:20:00.000Z',
      kind: 'media',
      // An inline data: image is the blurred preview: only the thumbnail is there to fetch.
      media: { kind: 'image', mimeType: null, fileName: null, size: null, width: 330, height: 248, durationMs: null, available: 'thumb', details: null },
      linkPreview: null,
    },
    {
      waId: 'MSG009',
      mediaKind: 'voice',
      body: '',
      author: '+65 9777 7777',
      sentAt: '2026-03-25T11:20:00.000Z',
      media: { kind: 'voice', mimeType: null, fileName: null, size: null, width: null, height: null, durationMs: 37000, available: 'none', details: null },
    },
  ]);
  t.same(got.find((m) => m.waId === 'MSG002')?.reactions, [{ emoji: '👍', count: 1, mine: false }], '"reaction 👍. View reactions": one');
  t.same(got.find((m) => m.waId === 'MSG004')?.reactions, [{ emoji: '👍', count: 1, mine: false }]);
  t.same(got.find((m) => m.waId === 'MSG001')?.reactions, [], 'no chip: none');
  t.notOk(got.some((m) => m.linkPreview && m.body.includes('Example article')), 'the preview never goes into a body');
  t.ok(got.every((m) => m.edited === false), 'nothing is marked edited');
  await page.close();
});

t.test('messages-2026-05: the member name-and-number row is skipped; previews, reaction totals', async (t) => {
  const page = await load('messages-2026-05.html');
  const got = await extractMessagesIn(page, 'chat@g.us');
  check(t, got, [
    {
      waId: '3EB00298006A5DC1795156',
      author: '+91 77378 87058',
      sentAt: '2026-05-10T12:19:00.000Z',
      body: 'Everyone is preparing for Mythos with dedicated security harnesses being built in quite a few places https://x.com/vercel_dev/status/2051381241283539255',
      kind: 'text',
      reactions: [{ emoji: '❤', count: 2, mine: false }],
      linkPreview: {
        title: 'Vercel Developers (@vercel_dev) on X',
        description: 'Introducing deepsec, an open source coding security harness. CLI-first.',
        host: 'x.com',
        url: 'https://x.com/vercel_dev/status/2051381241283539255',
      },
    },
    {
      waId: '3B88182701DE2BD54718',
      // The quoted message is older than the capture.
      quotedWaId: null,
      reactions: [{ emoji: '👍', count: 1, mine: false }],
      linkPreview: {
        title: 'GitHub - vercel/chatbot: A full-featured, hackable Next.js AI chatbot built by Vercel',
        description: 'A full-featured, hackable Next.js AI chatbot built by Vercel - vercel/chatbot',
        host: 'github.com',
        url: 'https://github.com/vercel/chatbot',
      },
    },
    { waId: '3EB03E69F79F3EADD4F87E', body: 'very helpful, will checkout both', linkPreview: null, quotedWaId: '3B88182701DE2BD54718' },
  ]);
  t.notOk(got.some((m) => m.waId === '36959035441778309954'), 'the row with a data-id but only a name and a number is not a message');
  await page.close();
});

t.test('synthetic-media-2026 (synthetic): documents, stickers, locations, contact cards, video, audio, edits, system notices', async (t) => {
  const page = await load('synthetic-media-2026.html');
  const got = await extractMessagesIn(page, 'chat@g.us');
  const none = { mimeType: null, fileName: null, size: null, width: null, height: null, durationMs: null };
  check(t, got, [
    { waId: 'SYNSYS01', kind: 'system', body: "+55 11 90000-0001 joined using this group's invite link", direction: 'in', author: null, media: null, mediaKind: null },
    {
      waId: 'SYNDOC01',
      kind: 'media',
      mediaKind: 'document',
      body: 'Segue a proposta',
      media: { kind: 'document', mimeType: 'application/pdf', fileName: 'Proposta 2026.pdf', size: Math.round(1.2 * 1024 * 1024), width: null, height: null, durationMs: null, available: 'full', details: null },
    },
    { waId: 'SYNSTK01', mediaKind: 'sticker', media: { kind: 'sticker', ...none, width: 190, height: 190, available: 'full', details: null } },
    {
      waId: 'SYNLOC01',
      mediaKind: 'location',
      media: { kind: 'location', ...none, available: 'none', details: { latitude: -23.5613, longitude: -46.6565, name: 'Avenida Paulista', address: 'Av. Paulista, 1578 - Bela Vista, São Paulo' } },
    },
    { waId: 'SYNVCF01', mediaKind: 'contact', media: { kind: 'contact', ...none, available: 'none', details: { name: 'Maria Silva', phones: ['+5511988887777'] } } },
    { waId: 'SYNVID01', mediaKind: 'video', media: { kind: 'video', ...none, mimeType: 'video/mp4', width: 330, height: 186, durationMs: 65000, available: 'full', details: null } },
    { waId: 'SYNAUD01', mediaKind: 'audio', media: { kind: 'audio', ...none, mimeType: 'audio/mpeg', fileName: 'jingle.mp3', size: 3 * 1024 * 1024, durationMs: 192000, available: 'full', details: null } },
    {
      waId: 'SYNEDT01',
      kind: 'text',
      direction: 'out',
      body: 'See you at 3pm, not 2pm',
      edited: true,
      ack: 3,
      reactions: [{ emoji: '👍', count: null, mine: false }, { emoji: '😂', count: null, mine: true }],
    },
    { waId: 'SYNIMG01', mediaKind: 'image', media: { kind: 'image', ...none, size: 2 * 1024 * 1024, width: 330, height: 440, available: 'thumb', details: null } },
    { waId: 'SYNSYS02', kind: 'system', body: 'Ana left', author: null },
    { waId: 'SYNSYS03', kind: 'system', body: 'Carlos changed the subject to "Pedidos de maio"' },
    { waId: 'SYNSYS04', kind: 'system', body: 'Your security code with Maria Silva changed. Tap to learn more.' },
  ]);
  t.notOk(got.some((m) => m.waId === 'SYNEMPTY1'), 'an empty system row is not reported');
  t.ok(got.filter((m) => m.kind !== 'system').every((m) => m.edited === (m.waId === 'SYNEDT01')), 'only the edited one says so');
  await page.close();
});

t.test('messages-2026-04: bare data-id, direction only from .message-in/.message-out', async (t) => {
  const page = await load('messages-2026-04.html');
  const got = await extractMessagesIn(page, 'chat@g.us');
  check(t, got, [
    { waId: '3EB0041865291286CF6A5D', chatWaId: 'chat@g.us', direction: 'in', author: '+91 70928 62522', sentAt: '2026-04-18T13:32:00.000Z', body: 'need to try out https://specstory.com/', ack: 0 },
    { waId: '3AOUTGOINGAPR2026', chatWaId: 'chat@g.us', direction: 'out', author: 'Jordan Poe', sentAt: '2026-04-19T20:05:00.000Z', body: 'Will try this tonight.', ack: 1 },
  ]);
  t.same((await extractMessagesIn(page, null)).map((m) => m.chatWaId), ['', ''], 'a bare id carries no chat: the caller supplies it');
  await page.close();
});

t.test("WhatsApp's formatting, rendered as elements, is read back as the sender typed it", async (t) => {
  const page = await load('messages-2026-04.html');
  // The capture's outgoing message, its text as WhatsApp Web renders *bold*, _italic_, ~strike~
  // and `code`: elements, the markers dropped.
  await page.evaluate(() => {
    const row = document.querySelector('[data-id="3AOUTGOINGAPR2026"]')!;
    const text = row.querySelector('[data-testid="selectable-text"], .selectable-text')!;
    text.innerHTML = 'Order <strong>#123</strong> is <em>ready</em>, <del>not</del> <code>ABC-1</code> tomorrow';
  });
  const got = await extractMessagesIn(page, 'chat@g.us');
  t.equal(got.find((m) => m.waId === '3AOUTGOINGAPR2026')?.body, 'Order *#123* is _ready_, ~not~ `ABC-1` tomorrow');
  t.equal(got.find((m) => m.waId === '3EB0041865291286CF6A5D')?.body, 'need to try out https://specstory.com/', 'plain text unchanged');
  await page.close();
});

t.test('data-pre-plain-text forms: 24-hour, 12-hour, D/M/Y, M/D/Y', async (t) => {
  const page = await load('messages-2026-04.html');
  const parse = (s: string) => page.evaluate((x) => (window as unknown as { __qn: { parsePrePlain(s: string): unknown } }).__qn.parsePrePlain(x), s);
  t.same(await parse('[13:52, 22/03/2026] +65 9000 0001: '), { at: '2026-03-22T13:52:00.000Z', author: '+65 9000 0001' });
  t.same(await parse('[9:12 AM, 3/4/2026] Ana: '), { at: '2026-03-04T09:12:00.000Z', author: 'Ana' }, 'en-US: month first');
  t.same(await parse('[9:12 am, 3/4/2026] Ana: '), { at: '2026-04-03T09:12:00.000Z', author: 'Ana' }, 'en-GB: day first');
  t.same(await parse('[12:05 AM, 11/25/2026] Bob: '), { at: '2026-11-25T00:05:00.000Z', author: 'Bob' }, 'midnight, impossible month decides');
  t.same(await parse('[12:30 PM, 25/11/2026] Bob: '), { at: '2026-11-25T12:30:00.000Z', author: 'Bob' });
  t.same(await parse('no brackets'), { at: null, author: null });
  await page.close();
});

t.test('chat list rows: name, preview, ticks, unread, list order from translateY', async (t) => {
  const page = await browser.newPage();
  await page.setContent(fs.readFileSync(path.join(FIX, '..', 'chat-list.html'), 'utf8'), { waitUntil: 'load' });
  await page.evaluate(pageModuleSource());
  const rows = (await listVisibleChatsIn(page)).sort((a, b) => a.position - b.position);
  t.same(
    rows.map((r) => [r.title, r.preview, r.previewAck, r.unreadCount, r.timeText, r.selected]),
    [
      ['Priya Sharma', 'Invoice sent ✅', 'msg-dblcheck:Read', 0, '10:42 AM', true],
      ['Equipo Ventas', '¿Cuánto cuesta el envío?', null, 3, '9:15 AM', false],
      ['+55 11 91234-5678', 'Olá! Tudo bem? 😊', null, 0, 'Yesterday', false],
    ],
  );
  t.same(
    rows.map((r) => [r.title, r.pinned, r.muted, r.archived]),
    [
      ['Priya Sharma', false, false, false],
      ['Equipo Ventas', true, true, false],
      ['+55 11 91234-5678', false, false, false],
    ],
    "a row's pin and muted icons; the main list is not the Archived one",
  );
  t.equal(await inPage(page, 'listView'), 'main');
  t.same(chatIdFromTitle('+55 11 91234-5678'), { waId: '5511912345678@c.us', phone: '+5511912345678' }, 'an unsaved contact: the phone is the id');
  t.same(chatIdFromTitle('Priya Sharma'), { waId: 'title:Priya Sharma', phone: null });
  t.same(await missingSelectorsIn(page, 'ready'), [], 'the ready-phase self-check passes on the documented shape');
  await page.close();
});

t.test('rows read from the Archived list are archived; the menu item and popup choices are found by label', async (t) => {
  const page = await browser.newPage();
  await page.setContent(
    '<div id="side"><header data-testid="archived-header"><div role="button" aria-label="Back" style="width:24px;height:24px"><span data-icon="back"></span></div><h1>Archived</h1></header>' +
      '<div id="pane-side"><div aria-label="Archived" role="grid" aria-rowcount="1"><div role="row" style="transform: translateY(0px)"><div role="gridcell"><span dir="auto" title="Old supplier">Old supplier</span>' +
      '<span data-icon="muted"><svg><title>muted</title></svg></span></div></div></div></div></div>' +
      '<div role="application"><ul><li tabindex="-1" role="button" data-animate-dropdown-item="true" aria-label="Unarchive chat" style="display:block;height:40px"><div>Unarchive chat</div></li></ul></div>' +
      '<div role="dialog" data-animate-modal-popup="true"><label style="display:block;height:30px"><input type="radio" name="m"><span>8 hours</span></label><label style="display:block;height:30px"><input type="radio" name="m"><span>Always</span></label><button>Mute</button></div>',
    { waitUntil: 'load' },
  );
  await page.evaluate(pageModuleSource());
  t.equal(await inPage(page, 'listView'), 'archived');
  const rows = await listVisibleChatsIn(page);
  t.same(rows.map((r) => [r.title, r.archived, r.muted, r.pinned]), [['Old supplier', true, true, false]]);
  const S = selectorMap();
  t.equal((await inPage(page, 'labelled', S.menuItem, ['Unarchive chat']))?.label, 'Unarchive chat', 'the menu item, by its label');
  t.equal(await inPage(page, 'labelled', S.menuItem, ['Pin chat']), null, 'an item the menu does not offer');
  t.equal((await inPage(page, 'labelled', S.dialogOption, ['Always'], S.dialog))?.label, 'Always', 'the popup choice, by its text');
  t.equal((await inPage(page, 'labelled', S.backButton, ['Back']))?.label, 'Back');
  t.equal(await inPage(page, 'labelled', S.archivedEntry, ['Archived']), null, 'the Archived grid is not the "Archived" entry');
  await page.close();
});

t.test('the open chat id comes from the conversation header only, never from a title', async (t) => {
  const page = await browser.newPage();
  const header = (attrs: string) =>
    `<div id="main"><header data-testid="conversation-header"><div role="button" title="Profile details" ${attrs}><span dir="auto" title="Alice">Alice</span></div></header>` +
    fs.readFileSync(path.join(FIX, 'messages-2026-04.html'), 'utf8').replace(/^[\s\S]*?<div id="main">/, '');
  const idOf = async (html: string) => {
    await page.setContent(html, { waitUntil: 'load' });
    await page.evaluate(pageModuleSource());
    return page.evaluate(() => (window as unknown as { __qn: { openChatId(): string | null } }).__qn.openChatId());
  };
  t.equal(await idOf(header('data-id="999@g.us"')), '999@g.us', 'a group');
  t.equal(await idOf(header('data-id="5511912345678@c.us"')), '5511912345678@c.us', 'a contact');
  t.equal(await idOf(header('')), null, 'a header naming no id: unknown, not the title');
  t.equal(await idOf(header('data-id="3EB0041865291286CF6A5D"')), null, 'a message id is not a chat id');
  t.equal(await idOf(fs.readFileSync(path.join(FIX, 'messages-2026-04.html'), 'utf8')), null, 'a capture without a header');
  await page.close();
});
