// Media end to end, in Debian's Chromium driven by playwright-core, against the real system started
// here: PostgreSQL, the supervisor (process runtime) with a slice in sim mode (real Chromium on the
// WhatsApp simulator page, which stands in for WhatsApp's servers only), and the gateway serving the
// SaaS build. The simulated phone sends each kind of message (photo, sticker, video, voice note,
// audio, document, location, contact card, a system notice); each file is fetched through the
// gateway byte for byte (Range included) and shown in the browser; the phone reacts, edits and
// sends a link with a preview, and the browser shows it; a photo and a PDF attached in the web app
// arrive on the simulated phone byte for byte, and a reaction set in the web app reaches it too.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import sharp from 'sharp';
import { type Browser, type Page } from 'playwright-core';
import { assertChromium, checkA11y, ROOT, startSystem, stepSequence, waitUntil, launchBrowser } from './system.ts';

t.setTimeout(900_000);
assertChromium(); // fails loudly (never skips) when Chromium is missing

const SHOTS = path.join(ROOT, 'screenshots', 'e2e');
fs.mkdirSync(SHOTS, { recursive: true });

// Slices 75 and up: web-flow and billing-pages use 71 at the same time.
const sys = await startSystem(t, 'e2e-media-flow', { firstSlice: 75 });
const browser: Browser = await launchBrowser();
t.teardown(() => browser.close());

const STEP = 60_000;
const SLOW = 180_000;
const email = `media-${crypto.randomUUID().slice(0, 8)}@shop.example`;
const password = 'correct horse battery staple';
const contactName = 'Priya Sharma';
const tag = crypto.randomUUID().slice(0, 6);

const sha256 = (b: Buffer | Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

// The files the phone sends: real image encodings (sharp), the others as bytes of their type.
const noise = (w: number, h: number) => Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => (i * 7919 + ((i / 3) | 0) * 31) & 255));
const photo = await sharp(noise(900, 600), { raw: { width: 900, height: 600, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
const sticker = await sharp(noise(256, 256), { raw: { width: 256, height: 256, channels: 3 } }).webp().toBuffer();
const pdf = Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n${'x'.repeat(40_000)}\n`);
const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed) & 255));
const video = Buffer.concat([Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32]), bytes(60_000, 3)]);
const voice = Buffer.concat([Buffer.from('OggS'), bytes(20_000, 5)]);
const audio = Buffer.concat([Buffer.from('ID3'), bytes(30_000, 9)]);

// What the web app attaches: files on disk, as a person picks them.
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-media-out-'));
t.teardown(() => fs.rmSync(outDir, { recursive: true, force: true }));
const outPhoto = path.join(outDir, 'broken-part.jpg');
fs.writeFileSync(outPhoto, await sharp(noise(640, 480), { raw: { width: 640, height: 480, channels: 3 } }).jpeg().toBuffer());
const outPdf = path.join(outDir, 'Orçamento 42.pdf');
fs.writeFileSync(outPdf, Buffer.concat([Buffer.from('%PDF-1.4\n'), bytes(120_000, 17), Buffer.from('\n%%EOF\n')]));

const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', timezoneId: 'UTC' });
t.teardown(() => context.close().catch(() => {}));
context.setDefaultTimeout(STEP);
const page: Page = await context.newPage();
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, name), fullPage: false });
const step = stepSequence(t, (file) => shot(file), 'media-');

/** The gateway's API with the browser's session (cookies shared with the page). */
let csrf = '';
const api = {
  get: (url: string, headers: Record<string, string> = {}) => context.request.get(`${sys.origin}${url}`, { headers }),
  post: (url: string, data?: unknown) => context.request.post(`${sys.origin}${url}`, { headers: { origin: sys.origin, 'x-csrf-token': csrf }, ...(data === undefined ? {} : { data }) }),
};

interface ApiMessage {
  id: number;
  waId: string;
  kind: string;
  body: string;
  media: { id: number; kind: string; mimeType: string | null; fileName: string | null; size: number | null; state: string } | null;
  reactions: { emoji: string; count: number | null; mine: boolean }[];
  linkPreview: { title: string | null; host: string | null } | null;
  editedAt: string | null;
}

let sliceId = 0;
let chatId = 0;
let chatWaId = '';
const sent = new Map<string, { waId: string; data: Buffer; kind: string; mimeType: string; fileName?: string }>();

const messages = async (): Promise<ApiMessage[]> => {
  const r = await api.get(`/api/chats/${chatId}/messages?limit=100`);
  if (!r.ok()) throw new Error(`messages: ${r.status()} ${await r.text()}`);
  return ((await r.json()) as { items: ApiMessage[] }).items;
};
const byWaId = async (waId: string) => (await messages()).find((m) => m.waId === waId || m.waId.endsWith(`_${waId}`));

step('an account linked to the simulated phone, its chats synced', async (t) => {
  const reg = await context.request.post(`${sys.origin}/api/auth/register`, { headers: { origin: sys.origin }, data: { email, password } });
  t.equal(reg.status(), 200, 'registered');
  csrf = ((await reg.json()) as { csrfToken: string }).csrfToken;
  t.equal((await api.post('/api/connect')).status(), 202, 'connect accepted');
  const me = await waitUntil('the slice showing a QR', SLOW, async () => {
    const body = (await (await api.get('/api/me')).json()) as { slice: { id: number } | null; wa: { state: string } | null };
    return body.slice && body.wa?.state === 'QR' ? body : null;
  });
  sliceId = me.slice!.id;
  t.equal((await sys.sim(sliceId, '/sim/scan')).status, 200, 'the simulated phone scanned');
  await waitUntil('the slice finished its initial sync', SLOW, () => sys.sliceSynced(sliceId));
  const chats = (await (await api.get('/api/chats?limit=100')).json()) as { items: { id: number; name: string; waId: string }[] };
  const chat = chats.items.find((c) => c.name === contactName);
  t.ok(chat, `the chat with ${contactName} is listed`);
  chatId = chat!.id;
  chatWaId = chat!.waId;
});

step('the phone sends each kind; every file arrives stored, byte for byte through the gateway, Range included', async (t) => {
  const incoming: { name: string; body: string; media?: Record<string, unknown>; system?: boolean; data?: Buffer }[] = [
    { name: 'photo', body: `The broken part ${tag}`, data: photo, media: { kind: 'image', mimeType: 'image/jpeg', downloadAfterMs: 1500 } },
    { name: 'sticker', body: '', data: sticker, media: { kind: 'sticker', mimeType: 'image/webp' } },
    { name: 'video', body: 'How it sounds', data: video, media: { kind: 'video', mimeType: 'video/mp4', fileName: 'noise.mp4' } },
    { name: 'voice', body: '', data: voice, media: { kind: 'voice', mimeType: 'audio/ogg; codecs=opus' } },
    { name: 'audio', body: '', data: audio, media: { kind: 'audio', mimeType: 'audio/mpeg', fileName: 'jingle.mp3' } },
    { name: 'document', body: 'Signed, as agreed', data: pdf, media: { kind: 'document', mimeType: 'application/pdf', fileName: 'Contract "final" 2026.pdf' } },
    { name: 'location', body: '', media: { kind: 'location', mimeType: 'application/x-location', details: { latitude: -23.5614, longitude: -46.6559, name: 'Loja Paulista', address: 'Av. Paulista 1000, São Paulo' } } },
    { name: 'contact', body: '', media: { kind: 'contact', mimeType: 'text/vcard', details: { name: 'Rafael Costa', phones: ['+5511987654321'] } } },
    { name: 'system', body: 'Your security code with Priya Sharma changed. Tap to learn more.', system: true },
  ];
  for (const m of incoming) {
    const media = m.media ? { ...m.media, ...(m.data ? { dataBase64: m.data.toString('base64') } : {}) } : undefined;
    const r = await sys.sim(sliceId, '/sim/incoming', { chatWaId, body: m.body, ...(media ? { media } : {}), ...(m.system ? { system: true } : {}) });
    const text = await r.text();
    t.equal(r.status, 200, `${m.name}: the phone sent it (${text.slice(0, 120)})`);
    const { waId } = JSON.parse(text) as { waId: string };
    sent.set(m.name, { waId, data: m.data ?? Buffer.alloc(0), kind: String(m.media?.kind ?? 'system'), mimeType: String(m.media?.mimeType ?? ''), ...(m.media?.fileName ? { fileName: String(m.media.fileName) } : {}) });
  }
  const files = ['photo', 'sticker', 'video', 'voice', 'audio', 'document'];
  const t0 = Date.now();
  let lastStates = '';
  await waitUntil('every file stored by the slice', SLOW, async () => {
    const all = await messages();
    const states = files.map((name) => `${name}:${all.find((m) => m.waId.endsWith(sent.get(name)!.waId))?.media?.state ?? '-'}`).join(' ');
    if (states !== lastStates) t.comment(`${Date.now() - t0} ms: ${(lastStates = states)}`);
    return files.every((name) => all.find((m) => m.waId.endsWith(sent.get(name)!.waId))?.media?.state === 'stored');
  });
  t.comment(`every file stored ${Date.now() - t0} ms after the last one was sent`);
  for (const name of files) {
    const s = sent.get(name)!;
    const m = (await byWaId(s.waId))!;
    t.equal(m.kind, 'media', `${name}: a media message`);
    t.equal(m.media!.kind, s.kind, `${name}: kind ${s.kind}`);
    const r = await api.get(`/api/media/${m.media!.id}`);
    t.equal(r.status(), 200, `${name}: fetched through the gateway`);
    const body = await r.body();
    t.equal(sha256(body), sha256(s.data), `${name}: byte for byte (${body.length} bytes)`);
    t.equal(r.headers()['x-content-type-options'], 'nosniff', `${name}: nosniff`);
    t.ok(r.headers().etag, `${name}: an ETag`);
    const end = Math.min(1123, s.data.length - 1);
    const ranged = await api.get(`/api/media/${m.media!.id}`, { range: `bytes=100-${end}` });
    t.equal(ranged.status(), 206, `${name}: a Range request answers 206 through the gateway`);
    t.equal(ranged.headers()['content-range'], `bytes 100-${end}/${s.data.length}`, `${name}: Content-Range`);
    t.equal(sha256(await ranged.body()), sha256(s.data.subarray(100, end + 1)), `${name}: the range's bytes`);
  }
  const doc = (await byWaId(sent.get('document')!.waId))!;
  const dl = await api.get(`/api/media/${doc.media!.id}`);
  t.match(dl.headers()['content-disposition'], /^attachment;/, 'a document is an attachment');
  t.notMatch(dl.headers()['content-disposition'], /"final"/, 'the quotes of its name do not break the header');
  t.equal(doc.media!.fileName, 'Contract "final" 2026.pdf', 'its name is kept as sent');
  const thumb = await api.get(`/api/media/${(await byWaId(sent.get('photo')!.waId))!.media!.id}?thumb=1`);
  t.equal(thumb.status(), 200, 'the photo has a thumbnail');
  const meta = await sharp(await thumb.body()).metadata();
  t.ok(Math.max(meta.width ?? 0, meta.height ?? 0) <= 320, `the thumbnail is small (${meta.width}×${meta.height} ${meta.format})`);
  const system = (await byWaId(sent.get('system')!.waId))!;
  t.equal(system.kind, 'system', 'the security-code notice is a system entry');
});

step('the browser shows each kind in the conversation', async (t) => {
  await page.goto(`${sys.origin}/inbox`);
  await page.getByTestId('chat-row').filter({ hasText: contactName }).first().click();
  const conv = page.getByTestId('conversation');
  await conv.waitFor();
  const photoMsg = conv.locator(`[data-testid="message"]`).filter({ hasText: `The broken part ${tag}` });
  await photoMsg.scrollIntoViewIfNeeded();
  const img = photoMsg.getByTestId('media-image').locator('img');
  await waitUntil('the photo drawn in its bubble', STEP, async () => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0).catch(() => false));
  t.pass('the photo is drawn (thumbnail first)');
  for (const id of ['media-sticker', 'media-video', 'media-voice', 'media-audio', 'media-document', 'media-location', 'media-contact', 'system-notice']) {
    const el = conv.getByTestId(id).last();
    await el.scrollIntoViewIfNeeded();
    t.ok(await el.isVisible(), `${id} shown`);
  }
  t.equal(await conv.getByTestId('document-name').last().innerText(), 'Contract "final" 2026.pdf', 'the document card names the file');
  t.match(await conv.getByTestId('contact-card-name').last().innerText(), /Rafael Costa/, 'the contact card names the person');
  t.match(await conv.getByTestId('location-link').last().getAttribute('href') ?? '', /openstreetmap\.org\/\?mlat=-23\.5614&mlon=-46\.6559/, 'the location opens on a map');
  t.match(await conv.getByTestId('system-notice').last().innerText(), /security code/, 'the notice is centred text, not a bubble');
  t.equal(await conv.getByTestId('system-notice').last().locator('[data-testid="message-body"]').count(), 0, 'not drawn as a bubble');
  // The browser's own copy of the photo, fetched by the page through the gateway.
  const photoId = (await byWaId(sent.get('photo')!.waId))!.media!.id;
  const inPage = await page.evaluate(async (id) => {
    const r = await fetch(`/api/media/${id}`);
    const buf = await r.arrayBuffer();
    const d = await crypto.subtle.digest('SHA-256', buf);
    return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
  }, photoId);
  t.equal(inPage, sha256(photo), 'the page receives the photo byte for byte');
  await photoMsg.getByTestId('open-media').click();
  const box = page.getByTestId('lightbox');
  await box.waitFor();
  await waitUntil('the full photo in the lightbox', STEP, async () => box.locator('img').evaluate((el) => (el as HTMLImageElement).naturalWidth === 900).catch(() => false));
  t.pass('the lightbox shows the photo at its full size (900 px)');
  await checkA11y(t, page, 'conversation with the lightbox open');
  await shot('20-media-lightbox.png');
  await page.getByTestId('lightbox-close').click();
  await checkA11y(t, page, 'conversation with media');
  await shot('21-media-conversation.png');
});

step('a reaction, an edit and a link preview from the phone show in the browser', async (t) => {
  const conv = page.getByTestId('conversation');
  const docWaId = sent.get('document')!.waId;
  t.equal((await sys.sim(sliceId, '/sim/react', { waId: docWaId, emoji: '❤️' })).status, 200, 'the phone reacts to the document');
  const link = await sys.sim(sliceId, '/sim/incoming', { chatWaId, body: `Tracking: https://shop.example/track/${tag}` });
  t.equal(link.status, 200, 'the phone sends a link');
  const video = sent.get('video')!.waId;
  t.equal((await sys.sim(sliceId, '/sim/edit', { waId: video, body: `How it sounds now ${tag}` })).status, 200, 'the phone edits the video caption');
  await waitUntil('the reaction stored by the slice', STEP, async () => (await byWaId(docWaId))?.reactions.some((r) => r.emoji.startsWith('❤')));
  t.pass('the slice read the reaction from the page');
  // The chips sit under the bubble, in the message's group.
  const docMsg = conv.getByTestId('message-group').filter({ has: page.getByTestId('media-document') }).first();
  await docMsg.scrollIntoViewIfNeeded();
  await docMsg.getByTestId('reaction').first().waitFor({ timeout: STEP });
  t.match(await docMsg.getByTestId('reactions').innerText(), /❤/, 'the reaction chip is under the document');
  const edited = conv.locator('[data-testid="message"]').filter({ hasText: `How it sounds now ${tag}` });
  await edited.waitFor({ timeout: STEP });
  t.equal(await edited.getByTestId('edited-tag').count(), 1, 'the edited message says "Edited"');
  const preview = conv.getByTestId('link-preview').last();
  await preview.waitFor({ timeout: STEP });
  t.match(await preview.innerText(), /shop\.example/, 'the link preview card names the site');
  t.equal(await preview.getAttribute('rel'), 'noopener noreferrer', 'the card is a safe link');
  const stored = (await byWaId(video))!;
  t.ok(stored.editedAt, 'the API has the edit time');
  const edits = (await (await api.get(`/api/messages/${stored.id}/edits`)).json()) as { items: { body: string }[] };
  t.same(edits.items.map((e) => e.body), ['How it sounds'], 'the earlier text is kept in the history');
  await shot('22-media-reactions-edit-preview.png');
});

step('a photo and a PDF attached in the web app arrive on the phone byte for byte', async (t) => {
  const conv = page.getByTestId('conversation');
  const sendFile = async (input: 'attach-photos-input' | 'attach-document-input', file: string, caption: string) => {
    await page.getByTestId(input).setInputFiles(file);
    await page.getByTestId('attach-panel').waitFor();
    await page.getByTestId('attach-caption').fill(caption);
    await checkA11y(t, page, `attach panel (${path.basename(file)})`);
    await page.getByTestId('attach-send').click();
    const bubble = conv.locator('[data-testid="message"][data-direction="out"]').filter({ hasText: caption });
    await bubble.waitFor({ timeout: STEP });
    await waitUntil(`${path.basename(file)} sent (a tick, not the clock)`, SLOW, async () => (await bubble.getAttribute('data-pending')) === null);
  };
  const photoCaption = `Here is the new part ${tag}`;
  const pdfCaption = `The quote, signed ${tag}`;
  await sendFile('attach-photos-input', outPhoto, photoCaption);
  await sendFile('attach-document-input', outPdf, pdfCaption);
  interface PhoneMessage { body: string; fromMe: boolean; media: { sha256: string; fileName: string | null; mimeType: string } | null }
  const phone = await waitUntil('both files on the phone', SLOW, async () => {
    const r = await sys.sliceGet<{ items: PhoneMessage[] }>(sliceId, `/sim/phone/messages?chatWaId=${encodeURIComponent(chatWaId)}`);
    const p = r.items.find((m) => m.fromMe && m.body === photoCaption);
    const d = r.items.find((m) => m.fromMe && m.body === pdfCaption);
    return p && d ? { p, d } : null;
  });
  t.equal(phone.p.media?.sha256, sha256(fs.readFileSync(outPhoto)), 'the photo arrived byte for byte with its caption');
  t.equal(phone.d.media?.sha256, sha256(fs.readFileSync(outPdf)), 'the PDF arrived byte for byte with its caption');
  t.equal(phone.d.media?.fileName, 'Orçamento 42.pdf', 'under its own name');
  const mine = (await messages()).filter((m) => m.media && (m.body === photoCaption || m.body === pdfCaption));
  t.equal(mine.length, 2, 'one stored message per file sent (no duplicate from the observer)');
  await shot('23-media-sent.png');
});

step('a reaction set in the web app reaches the phone', async (t) => {
  const conv = page.getByTestId('conversation');
  const target = conv.getByTestId('message-group').filter({ hasText: `The broken part ${tag}` });
  await target.scrollIntoViewIfNeeded();
  await target.hover();
  await target.getByTestId('react-button').click();
  await target.getByTestId('reaction-picker').getByRole('button', { name: /👍/ }).click();
  const photoWaId = sent.get('photo')!.waId;
  const onPhone = await waitUntil('the reaction on the phone', SLOW, async () => {
    const r = await sys.sliceGet<{ items: { waId: string; reactions: { emoji: string; fromMe: boolean }[] }[] }>(sliceId, `/sim/phone/messages?chatWaId=${encodeURIComponent(chatWaId)}`);
    return r.items.find((m) => m.waId === photoWaId && m.reactions.some((x) => x.fromMe && x.emoji === '👍')) ?? null;
  });
  t.ok(onPhone, 'the phone shows our 👍 on the photo');
  await target.locator('[data-testid="reaction"][data-mine="true"]').waitFor({ timeout: STEP });
  t.pass('the browser marks the chip as ours');
});
