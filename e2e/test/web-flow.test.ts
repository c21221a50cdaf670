// The web app end to end, in Debian's Chromium driven by playwright-core, against the real system
// started here: PostgreSQL, the supervisor (process runtime) with a slice in sim mode (real Chromium
// on the WhatsApp simulator page, which stands in for WhatsApp's servers only), and the gateway
// serving the SaaS build. register → link → QR → the simulated phone scans → chats → a live incoming
// message → reply with ticks → label, note → pipeline drag → reload keeps it all → pin, mute,
// archive and unarchive → a new chat by number → Contacts with a bulk label → log out.
// Every screen passes an axe-core accessibility check (no serious or critical violation, one <main>).
// Screenshots of each screen go to screenshots/e2e/ (ignored by git), among them the screens before
// linking (empty states), a formatted message with a link, a highlighted search result and the
// unread count (the tab title is asserted; the picture shows the same count on the Inbox item).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { assertChromium, checkA11y, ROOT, startSystem, stepSequence, waitUntil, launchBrowser } from './system.ts';

t.setTimeout(900_000);
assertChromium(); // fails loudly (never skips) when Chromium is missing

const SHOTS = path.join(ROOT, 'screenshots', 'e2e');
fs.mkdirSync(SHOTS, { recursive: true });

const sys = await startSystem(t, 'e2e-web-flow');
const browser: Browser = await launchBrowser();
t.teardown(() => browser.close());

const STEP = 60_000; // one UI condition, on a loaded 2-core machine
const SLOW = 180_000; // the slice starting Chromium and reaching the QR, or its initial sync
const email = `owner-${crypto.randomUUID().slice(0, 8)}@shop.example`;
const password = 'correct horse battery staple';
const contactName = 'Priya Sharma'; // a chat the scenario's timed messages leave alone
const labelName = `VIP ${crypto.randomUUID().slice(0, 4)}`;
const noteText = `Wants 20 units by Friday (${crypto.randomUUID().slice(0, 6)})`;
const replyText = `Thanks Priya, on its way (${crypto.randomUUID().slice(0, 6)})`;
const incomingText = `Can you confirm the order? (${crypto.randomUUID().slice(0, 6)})`;
const formattedText = `Your *order* is ready: https://shop.example/track?id=42 _thanks!_ (not a link: javascript:alert(1)) ${crypto.randomUUID().slice(0, 6)}`;

async function newPage(viewport: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  t.teardown(() => context.close().catch(() => {}));
  context.setDefaultTimeout(STEP);
  const page = await context.newPage();
  return { context, page };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, name), fullPage: false });

const { context, page } = await newPage({ width: 1280, height: 800 });
const consoleErrors: string[] = [];
page.on('pageerror', (e) => consoleErrors.push(e.message));

const step = stepSequence(t, (file) => shot(page, file));

let sliceId = 0;
let chatId = '';
let stageId = '';

step('register: the password rule, a field error beside the password, then an account', async (t) => {
  await page.goto(`${sys.origin}/`);
  await page.waitForURL(/\/login$/);
  t.pass('a visitor is sent to the login screen');
  await checkA11y(t, page, 'login');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.waitForURL(/\/register$/);
  t.match(await page.getByTestId('password-rule').innerText(), /At least 10 characters/, 'the password rule is shown before it is broken');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill('short');
  await page.getByTestId('toggle-password').click();
  t.equal(await page.locator('#password').getAttribute('type'), 'text', 'the password can be shown');
  await page.getByTestId('auth-submit').click();
  const err = page.getByTestId('password-error');
  await err.waitFor();
  t.match(await err.innerText(), /at least 10 characters/i, 'a short password is refused beside the password field');
  t.equal(await page.getByTestId('email-error').count(), 0, 'no error beside the email');
  await checkA11y(t, page, 'register with an error');
  await shot(page, '01-register-error.png');
  await page.locator('#password').fill(password);
  await page.getByTestId('auth-submit').click();
  await page.waitForURL(/\/link$/);
  t.pass('registered and sent on to link WhatsApp');
});

step('before linking: Inbox, Pipeline and Settings show "Link WhatsApp", not errors', async (t) => {
  await checkA11y(t, page, 'link (not started)');
  for (const [nav, file] of [
    ['inbox', '02a-empty-inbox.png'],
    ['pipeline', '02b-empty-pipeline.png'],
    ['settings', '02c-empty-settings.png'],
  ] as const) {
    await page.getByTestId(`nav-${nav}`).click();
    await page.waitForURL(new RegExp(`/${nav}$`));
    const empty = page.getByTestId('not-linked').first();
    await empty.waitFor();
    t.match(await empty.innerText(), /Link WhatsApp to see your/, `${nav}: a friendly empty state`);
    t.equal(await page.getByTestId('link-whatsapp').first().getAttribute('href'), '/link', `${nav}: with a "Link WhatsApp" button`);
    t.equal(await page.getByRole('alert').count(), 0, `${nav}: no red error`);
    t.equal(await page.getByRole('button', { name: 'Try again' }).count(), 0, `${nav}: no useless retry`);
    await checkA11y(t, page, `${nav} before linking`);
    await shot(page, file);
  }
  await page.getByTestId('link-whatsapp').first().click();
  await page.waitForURL(/\/link$/);
});

step('link: connect through the UI, the QR shown as an image, the phone scans', async (t) => {
  await page.getByTestId('connect').click();
  const qr = page.locator('[data-testid="wa-qr"]');
  await qr.waitFor({ timeout: SLOW });
  t.equal(await page.getByTestId('wa-state').getAttribute('data-state'), 'QR', 'state: waiting for scan');
  const payload = await qr.getAttribute('data-qr');
  t.ok(payload && payload.length > 10, `the QR carries the session's payload (${payload?.slice(0, 24)}…)`);
  t.equal(await qr.evaluate((el) => el.tagName), 'IMG', 'the QR is an image');
  const drawn = await qr.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth);
  t.ok(Number(drawn) > 0, `the image is drawn (${drawn} px wide)`);
  await page.getByTestId('qr-countdown').waitFor();
  await checkA11y(t, page, 'link (QR)');
  await shot(page, '02-link-qr.png');

  const me = (await (await context.request.get(`${sys.origin}/api/me`)).json()) as { slice: { id: number } | null };
  t.ok(me.slice, 'the account has a slice');
  sliceId = me.slice!.id;
  const scan = await sys.sim(sliceId, '/sim/scan');
  t.equal(scan.status, 200, `the simulated phone scanned (${await scan.clone().text()})`);
  await page.waitForURL(/\/inbox/, { timeout: SLOW });
  t.pass('connected: the link screen went on to the inbox');
});

step('inbox: the chats from the simulator, one opened, a live incoming message, a reply with ticks', async (t) => {
  const rows = page.getByTestId('chat-row');
  await rows.first().waitFor({ timeout: SLOW });
  // The initial sync reads the scenario's 30 chats; live messages are observed once it is done.
  await waitUntil('the slice finished its initial sync', SLOW, () => sys.sliceSynced(sliceId));
  const chats = await sys.sliceGet<{ items: { id: number; name: string; waId: string }[] }>(sliceId, '/api/chats?limit=100');
  t.equal(chats.items.length, 30, 'the slice stored every chat of the scenario');
  await waitUntil('the chat list filled', STEP, async () => (await rows.count()) >= 8);
  await checkA11y(t, page, 'inbox');
  t.ok((await rows.count()) >= 8, `the list shows the chats (${await rows.count()} rows rendered)`);
  const target = chats.items.find((c) => c.name === contactName);
  t.ok(target, `${contactName} is among the chats`);
  chatId = String(target!.id);

  await page.getByTestId('chat-search').fill('Priya');
  const row = page.locator(`[data-testid="chat-row"][data-chat-id="${chatId}"]`);
  await row.click();
  await page.waitForURL(new RegExp(`/inbox/${chatId}$`));
  t.equal((await page.getByTestId('conversation-title').innerText()).trim(), contactName, 'the conversation is open');
  await waitUntil('the cursor in the composer', STEP, () => page.getByTestId('composer').evaluate((el) => el === document.activeElement));
  t.pass('opening the chat put the cursor in the composer');
  const messages = page.getByTestId('message');
  await waitUntil('its history shown', STEP, async () => (await messages.count()) >= 5);
  t.ok((await messages.count()) >= 5, `its history is shown (${await messages.count()} messages)`);
  await page.getByTestId('chat-search').fill('');

  const sent = await sys.sim(sliceId, '/sim/incoming', { chatWaId: target!.waId, body: incomingText });
  t.equal(sent.status, 200, 'the simulated contact wrote');
  const incoming = page.locator('[data-testid="message"][data-direction="in"]', { hasText: incomingText });
  await incoming.waitFor();
  t.pass('the incoming message appeared live, without a reload');

  await page.getByTestId('composer').fill(replyText);
  await page.getByTestId('composer').press('Enter');
  const reply = page.locator('[data-testid="message"][data-direction="out"]', { hasText: replyText });
  await reply.waitFor();
  t.pass('the reply is shown at once');
  const ack = reply.getByTestId('ack');
  await waitUntil('the reply shows sent', STEP, async () => Number(await ack.getAttribute('data-ack')) >= 1);
  const a = Number(await ack.getAttribute('data-ack'));
  t.ok(a >= 1, `the reply shows ticks (${await ack.getAttribute('aria-label')})`);
  t.not(await reply.getAttribute('data-pending'), 'true', 'no longer pending');
  t.equal(await page.getByTestId('composer').inputValue(), '', 'the composer is empty again');
  await checkA11y(t, page, 'conversation');
  await shot(page, '03-inbox-chat-open.png');
});

step('reading: WhatsApp formatting and a safe link in a message', async (t) => {
  const target = (await sys.sliceGet<{ items: { id: number; name: string; waId: string }[] }>(sliceId, '/api/chats?limit=100')).items.find((c) => String(c.id) === chatId)!;
  const sent = await sys.sim(sliceId, '/sim/incoming', { chatWaId: target.waId, body: formattedText });
  t.equal(sent.status, 200, 'the simulated contact wrote a formatted message');
  const bubble = page.locator('[data-testid="message"][data-direction="in"]', { hasText: 'is ready' }).last();
  // The body's own links; the link preview card (issue 15) is a link of its own, beside the body.
  const body = bubble.getByTestId('message-body');
  await body.getByRole('link').waitFor();
  t.equal((await bubble.locator('strong').innerText()).trim(), 'order', '*order* is bold');
  t.equal((await bubble.locator('em').innerText()).trim(), 'thanks!', '_thanks!_ is italic');
  const link = body.getByRole('link');
  t.equal(await link.count(), 1, 'one link in the text: the javascript: address stays text');
  const card = bubble.getByTestId('link-preview');
  t.equal(await card.getAttribute('href'), 'https://shop.example/track?id=42', 'the preview card links to the same address, not to the javascript: one');
  t.equal(await card.getAttribute('rel'), 'noopener noreferrer', 'the card opens without handing over the page');
  t.equal(await link.getAttribute('href'), 'https://shop.example/track?id=42', 'the link points at the address');
  t.equal(await link.getAttribute('rel'), 'noopener noreferrer', 'and opens without handing over the page');
  t.match(await bubble.innerText(), /javascript:alert\(1\)/, 'the javascript: address is shown as text');
  await checkA11y(t, page, 'conversation with a formatted message');
  await shot(page, '03a-formatted-message.png');
});

step('attention: a message in another chat counts in the tab title and on the Inbox item', async (t) => {
  const chats = await sys.sliceGet<{ items: { id: number; name: string; waId: string }[] }>(sliceId, '/api/chats?limit=100');
  const other = chats.items.find((c) => c.name !== contactName)!;
  const sent = await sys.sim(sliceId, '/sim/incoming', { chatWaId: other.waId, body: `Hello from ${other.name} (${crypto.randomUUID().slice(0, 6)})` });
  t.equal(sent.status, 200, `${other.name} wrote`);
  await page.locator(`[data-testid="chat-row"][data-chat-id="${other.id}"] [data-testid="unread-badge"]`).waitFor();
  t.pass('that chat shows an unread badge');
  await waitUntil('the tab title counts unread chats', STEP, async () => /^\(\d+\) Queunir$/.test(await page.title()));
  const title = await page.title();
  const count = Number(/^\((\d+)\)/.exec(title)![1]);
  t.ok(count >= 1, `the tab title reads "${title}"`);
  t.equal((await page.getByTestId('nav-unread').innerText()).trim(), String(count), 'the Inbox item shows the same count');
  await shot(page, '03b-unread-count.png');
});

step('search: the words of the query are highlighted in the message results', async (t) => {
  await page.getByTestId('chat-search').fill('Confirm ORDER');
  await page.getByTestId('search-tab-messages').click();
  const result = page.getByTestId('message-results').locator('li', { hasText: incomingText });
  await result.waitFor();
  const hits = await result.getByTestId('search-hit').allInnerTexts();
  t.same(hits.map((h) => h.toLowerCase()), ['confirm', 'order'], `the query's words are marked, whatever their case (${hits.join(', ')})`);
  await checkA11y(t, page, 'search results');
  await shot(page, '03c-search-highlight.png');
  await page.getByTestId('chat-search').fill('');
});

step('contact panel: a label and a note', async (t) => {
  await page.getByTestId('toggle-contact').click();
  const panel = page.getByTestId('contact-panel');
  await panel.waitFor();
  t.match(await panel.getByTestId('contact-phone').innerText(), /\d{4}/, 'the phone number from WhatsApp');
  await panel.getByTestId('new-label').fill(labelName);
  await panel.getByTestId('new-label').press('Enter');
  await panel.getByTestId('chat-labels').getByText(labelName).waitFor();
  t.pass('the label is on the chat');
  await panel.getByTestId('new-note').fill(noteText);
  await panel.getByTestId('add-note').click();
  await panel.getByTestId('note').filter({ hasText: noteText }).waitFor();
  t.pass('the note is listed');
  t.equal(await panel.getByTestId('new-note').inputValue(), '', 'the note box is cleared');
  await checkA11y(t, page, 'contact panel');
  await shot(page, '04-contact-panel.png');
});

step('pipeline: drag the chat to a stage', async (t) => {
  await page.getByTestId('nav-pipeline').click();
  await page.waitForURL(/\/pipeline$/);
  const board = page.getByTestId('pipeline-board');
  await board.waitFor();
  const card = board.locator(`[data-testid="pipeline-card"][data-chat-id="${chatId}"]`);
  const unstaged = board.locator('[data-testid="pipeline-column"][data-stage-id="none"]');
  await unstaged.locator(`[data-chat-id="${chatId}"]`).waitFor();
  t.pass('the chat starts with no stage');
  const stages = board.locator('[data-testid="pipeline-column"]:not([data-stage-id="none"])');
  t.ok((await stages.count()) >= 2, `the default stages are columns (${await stages.count()})`);
  const column = stages.nth(1);
  stageId = (await column.getAttribute('data-stage-id'))!;
  const stageName = (await column.locator('h2').innerText()).trim();
  const countBefore = Number(await column.getByTestId('column-count').innerText());
  await card.dragTo(column);
  await column.locator(`[data-testid="pipeline-card"][data-chat-id="${chatId}"]`).waitFor();
  t.pass(`the card moved to "${stageName}"`);
  await waitUntil('the column count', STEP, async () => Number(await column.getByTestId('column-count').innerText()) === countBefore + 1);
  t.equal(await unstaged.locator(`[data-chat-id="${chatId}"]`).count(), 0, 'and left "No stage"');
  const stored = await sys.sliceGet<{ items: { id: number; stageId: number | null }[] }>(sliceId, `/api/chats?stage=${stageId}&limit=100`);
  t.ok(
    stored.items.some((c) => String(c.id) === chatId),
    'the slice stored the stage',
  );
  await checkA11y(t, page, 'pipeline');
  await shot(page, '05-pipeline.png');
});

step('reload: the reply, label, note and stage are still there', async (t) => {
  await page.reload();
  await page.waitForURL(/\/pipeline$/);
  await page.locator(`[data-testid="pipeline-column"][data-stage-id="${stageId}"] [data-testid="pipeline-card"][data-chat-id="${chatId}"]`).waitFor();
  t.pass('the card is in its stage on the reloaded board');
  await page.goto(`${sys.origin}/inbox/${chatId}`);
  await page.getByTestId('conversation').waitFor();
  await page.locator('[data-testid="message"][data-direction="out"]', { hasText: replyText }).waitFor();
  t.pass('the reply');
  await page.locator('[data-testid="message"][data-direction="in"]', { hasText: incomingText }).waitFor();
  t.pass('the incoming message');
  if ((await page.getByTestId('contact-panel').count()) === 0) await page.getByTestId('toggle-contact').click();
  const panel = page.getByTestId('contact-panel');
  await panel.getByTestId('chat-labels').getByText(labelName).waitFor();
  t.pass('the label');
  await panel.getByTestId('note').filter({ hasText: noteText }).waitFor();
  t.pass('the note');
  await waitUntil('the stage select', STEP, async () => (await panel.getByTestId('contact-stage').inputValue()) === stageId);
  t.equal(await panel.getByTestId('contact-stage').inputValue(), stageId, 'the stage');
});

step('chat actions: pin and mute a chat, archive another and bring it back, from the conversation menu', async (t) => {
  type Row = { id: number; name: string; pinned: boolean; muted: boolean; archived: boolean };
  const stored = async (id: string, archived = false) => (await sys.sliceGet<{ items: Row[] }>(sliceId, `/api/chats?limit=100${archived ? '&archived=true' : ''}`)).items.find((c) => String(c.id) === id);
  const rowOf = (id: string) => page.locator(`[data-testid="chat-row"][data-chat-id="${id}"]`);
  const menuItem = async (name: string) => {
    await page.getByTestId('chat-actions').click();
    await page.getByRole('menu').waitFor();
    return page.getByRole('menuitem', { name, exact: true });
  };
  if ((await page.getByTestId('contact-panel').count()) > 0) await page.getByTestId('close-contact').click();
  await page.getByTestId('conversation').waitFor();

  await menuItem('Pin chat');
  await checkA11y(t, page, 'conversation with its actions menu open');
  await shot(page, '05a-chat-actions-menu.png');
  // The menu by keyboard: the first item has the focus, ↓ moves to "Mute", Esc closes it.
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Pin chat', 'the open menu puts the focus on its first item');
  await page.keyboard.press('ArrowDown');
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Mute notifications', '↓ moves through the menu');
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'detached' });
  t.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'chat-actions', 'Esc closes it and gives the focus back');
  await page.getByTestId('conversation').waitFor();
  t.pass('Esc did not close the conversation');

  await (await menuItem('Pin chat')).click();
  await rowOf(chatId).getByTestId('chat-pinned').waitFor();
  await waitUntil('the slice stored the pin', STEP, async () => (await stored(chatId))?.pinned === true);
  const order = await page.getByTestId('chat-row').evaluateAll((rows) => rows.map((r) => ({ id: r.getAttribute('data-chat-id'), pinned: !!r.querySelector('[data-testid="chat-pinned"]') })));
  const at = order.findIndex((r) => r.id === chatId);
  t.ok(at >= 0 && order.slice(0, at + 1).every((r) => r.pinned), `the pinned chat sits among the pinned ones at the top (row ${at + 1})`);

  await (await menuItem('Mute notifications')).click();
  await rowOf(chatId).getByTestId('chat-muted').waitFor();
  await waitUntil('the slice stored the mute', STEP, async () => (await stored(chatId))?.muted === true);
  t.pass('muted: the row shows the muted icon and the slice stored it');
  await shot(page, '05b-pinned-and-muted.png');

  const chats = (await sys.sliceGet<{ items: Row[] }>(sliceId, '/api/chats?limit=100')).items;
  const other = chats.find((c) => String(c.id) !== chatId && !c.pinned)!;
  const otherId = String(other.id);
  await page.goto(`${sys.origin}/inbox/${otherId}`);
  await page.getByTestId('conversation').waitFor();
  await rowOf(otherId).waitFor();
  await (await menuItem('Archive chat')).click();
  await rowOf(otherId).waitFor({ state: 'detached' });
  await waitUntil('the slice stored the archive', STEP, async () => (await stored(otherId, true))?.archived === true);
  t.pass(`${other.name} left the main list`);
  await page.getByTestId('filter-archived').click();
  await rowOf(otherId).waitFor();
  t.equal(await page.getByTestId('filter-archived').getAttribute('aria-pressed'), 'true', 'the Archived list is on');
  await checkA11y(t, page, 'archived list');
  await shot(page, '05c-archived-list.png');
  await (await menuItem('Unarchive chat')).click();
  await rowOf(otherId).waitFor({ state: 'detached' });
  await waitUntil('the slice stored the unarchive', STEP, async () => (await stored(otherId))?.archived === false);
  await page.getByTestId('filter-archived').click();
  await rowOf(otherId).waitFor();
  t.pass('unarchived: back in the main list');
});

step('new chat: a phone number, grouped as typed, opens its conversation', async (t) => {
  await page.getByTestId('new-chat').click();
  const input = page.getByTestId('new-chat-phone');
  await input.waitFor();
  await input.pressSequentially('5511912345678');
  t.equal(await input.inputValue(), '+55 11 91234 5678', 'the number is grouped as it is typed');
  await checkA11y(t, page, 'new chat form');
  await shot(page, '05d-new-chat.png');
  await page.getByTestId('new-chat-start').click();
  await page.waitForURL(/\/inbox\/\d+$/, { timeout: SLOW });
  await waitUntil('the conversation with the new number', STEP, async () => /\+55 11 91234 5678/.test(await page.getByTestId('conversation').locator('header').innerText()));
  const newId = /\/inbox\/(\d+)$/.exec(page.url())![1]!;
  const stored = await sys.sliceGet<{ waId: string }>(sliceId, `/api/chats/${newId}`);
  t.equal(stored.waId, '5511912345678@c.us', 'the slice stored the chat WhatsApp opened');
  await page.locator(`[data-testid="chat-row"][data-chat-id="${newId}"]`).waitFor();
  t.pass('the new chat is in the list');
});

step('contacts: the page, a search, a bulk label on two contacts, a name opens its chat', async (t) => {
  await page.getByTestId('nav-contacts').click();
  await page.waitForURL(/\/contacts$/);
  const rows = page.locator('[data-testid="contact-row"][data-chat-id]');
  await rows.first().waitFor({ timeout: SLOW });
  t.ok((await rows.count()) >= 10, `the contacts are listed (${await rows.count()} with a chat)`);
  await checkA11y(t, page, 'contacts');
  await page.getByTestId('contact-search').fill('Priya');
  await waitUntil('the search answered', STEP, async () => (await page.getByTestId('contact-row').count()) === 1);
  t.match(await page.getByTestId('contact-row').innerText(), /Priya Sharma/, 'the search finds the contact by name');
  await page.getByTestId('contact-search').fill('');
  await waitUntil('the list is back', STEP, async () => (await rows.count()) >= 10);

  const picked = [await rows.nth(1).getAttribute('data-chat-id'), await rows.nth(2).getAttribute('data-chat-id')] as string[];
  await rows.nth(1).getByTestId('select-contact').check();
  await rows.nth(2).getByTestId('select-contact').check();
  t.equal((await page.getByTestId('selected-count').innerText()).trim(), '2 selected', 'two contacts selected');
  await page.getByTestId('bulk-action').selectOption({ label: `Add label: ${labelName}` });
  await page.getByTestId('bulk-apply').click();
  const progress = page.getByTestId('bulk-progress');
  await waitUntil('the bulk change finished', STEP, async () => (await progress.getAttribute('data-done')) === '2');
  t.equal(await progress.getAttribute('data-failed'), '0', `no failure (${await progress.innerText()})`);
  for (const id of picked) {
    await page.locator(`[data-testid="contact-row"][data-chat-id="${id}"] [data-testid="contact-labels"]`).getByText(labelName).waitFor();
    const chat = await sys.sliceGet<{ labels: { name: string }[] }>(sliceId, `/api/chats/${id}`);
    t.ok(chat.labels.some((l) => l.name === labelName), `chat ${id} has the label in the slice`);
  }
  await checkA11y(t, page, 'contacts after a bulk change');
  await shot(page, '05e-contacts-bulk-label.png');
  await page.locator(`[data-testid="contact-row"][data-chat-id="${picked[0]}"]`).getByTestId('contact-open').click();
  await page.waitForURL(new RegExp(`/inbox/${picked[0]}$`));
  await page.getByTestId('conversation').waitFor();
  t.pass('a name opens its chat in the inbox');
});

step('phone width (390 px): the inbox', async (t) => {
  const phone = await newPage({ width: 390, height: 844 });
  await phone.page.goto(`${sys.origin}/login`);
  await phone.page.locator('#email').fill(email);
  await phone.page.locator('#password').fill(password);
  await phone.page.getByTestId('auth-submit').click();
  await phone.page.waitForURL(/\/inbox/);
  await phone.page.getByTestId('chat-row').first().waitFor();
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  t.ok(width <= 390, `nothing wider than the screen (${width} px)`);
  t.ok(await phone.page.getByTestId('chat-list').isVisible(), 'the chat list fills the screen');
  await checkA11y(t, phone.page, 'phone inbox');
  await shot(phone.page, '07-phone-inbox.png');
  await phone.page.locator(`[data-testid="chat-row"]`).first().click();
  await phone.page.getByTestId('conversation').waitFor();
  t.ok(await phone.page.getByTestId('composer').isVisible(), 'a chat opens with its composer on the phone');
  await checkA11y(t, phone.page, 'phone conversation');
  await shot(phone.page, '08-phone-conversation.png');
  await phone.page.keyboard.press('Escape');
  await phone.page.getByTestId('conversation').waitFor({ state: 'detached' });
  t.ok(await phone.page.getByTestId('chat-list').isVisible(), 'Escape closes the conversation on the phone');
  await phone.context.close();
});

step('settings, then log out: the inbox is no longer reachable', async (t) => {
  await page.getByTestId('nav-settings').click();
  await page.waitForURL(/\/settings$/);
  t.equal((await page.getByTestId('account-email').innerText()).trim(), email, 'the account');
  await waitUntil('the WhatsApp state', STEP, async () => (await page.getByTestId('settings-wa-state').getAttribute('data-state')) === 'READY');
  t.pass('the WhatsApp session is connected');
  t.ok(await page.getByTestId('billing-link').isVisible(), 'the billing link');
  t.equal((await page.getByTestId('account-role').innerText()).trim(), 'Owner of this account', 'the role in words');
  t.equal(await page.getByTestId('nav-billing').count(), 0, 'billing is off here: no Billing item in the navigation');
  await checkA11y(t, page, 'settings');
  await shot(page, '06-settings.png');
  await page.getByTestId('billing-link').click();
  await page.waitForURL(/\/billing$/);
  await page.getByTestId('billing-status').waitFor();
  await checkA11y(t, page, 'billing');
  await page.getByTestId('nav-settings').click();
  await page.waitForURL(/\/settings$/);

  await page.getByTestId('logout').click();
  await page.waitForURL(/\/login$/);
  t.pass('logged out to the login screen');
  await page.goto(`${sys.origin}/inbox/${chatId}`);
  await page.waitForURL(/\/login$/);
  t.pass('the inbox redirects to login');
  const r = await context.request.get(`${sys.origin}/api/chats`);
  t.equal(r.status(), 401, '/api/chats answers 401');
  await shot(page, '09-login-after-logout.png');
  await checkA11y(t, page, 'login after logout');
  t.same(consoleErrors, [], 'no uncaught errors in the page');
});
