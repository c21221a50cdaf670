// What a person does to a chat from the list: switch between the chats and the Archived list,
// open the open chat's row menu (right-click) and pick an item, answer the "Mute notifications"
// popup, and start a chat with a phone number from "New chat". Every step clicks with the mouse
// or types with the keyboard, and every result is read back from the page.
import type { Page } from 'puppeteer-core';
import { AppError } from '../../../lib/errors.ts';
import { inPage, untilInPage, type RawChatRow } from './extract.ts';
import { selectorMap } from './selectors.ts';

const S = selectorMap();

/** Shows the Archived list (archived) or the chats, clicking the "Archived" entry or Back. */
export async function showList(page: Page, archived: boolean, timeoutMs: number): Promise<void> {
  const want = archived ? 'archived' : 'main';
  if ((await inPage(page, 'listView')) === want) return;
  const target = archived ? await inPage(page, 'labelled', S.archivedEntry, ['Archived']) : await inPage(page, 'labelled', S.backButton, ['Back']);
  if (!target) throw new AppError('WA_ACTION_NOT_CONFIRMED', archived ? 'the chat list shows no "Archived" entry' : 'the Archived list shows no Back button');
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((w: string) => (window as unknown as { __qn: { listView(): string | null } }).__qn.listView() === w, { timeout: timeoutMs, polling: 25 }, want);
}

/** Right-clicks the open chat's row and clicks the menu item `label`; throws naming it when the
 * menu has no such item (the menu is closed again). */
export async function rowMenu(page: Page, label: string, timeoutMs: number): Promise<void> {
  const row = await inPage(page, 'selectedRow');
  if (!row) throw new AppError('WA_ACTION_NOT_CONFIRMED', `the open chat's row is not in the list; "${label}" was not clicked`);
  await page.mouse.click(row.x, row.y, { button: 'right' });
  const item = await untilInPage(page, Math.min(timeoutMs, 3000), 'labelled', S.menuItem, [label]).catch(() => null);
  if (!item) {
    await page.keyboard.press('Escape');
    await page.mouse.click(1, 1);
    throw new AppError('WA_ACTION_NOT_CONFIRMED', `the row's menu has no "${label}"`);
  }
  await page.mouse.click(item.x, item.y);
}

/** "Mute notifications" asks for how long: Always, then Mute. */
export async function answerMuteDialog(page: Page, timeoutMs: number): Promise<void> {
  const always = await untilInPage(page, timeoutMs, 'labelled', S.dialogOption, ['Always'], S.dialog).catch(() => null);
  if (!always) throw new AppError('WA_ACTION_NOT_CONFIRMED', 'the "Mute notifications" popup offered no "Always"');
  await page.mouse.click(always.x, always.y);
  const mute = await inPage(page, 'labelled', S.dialogButton, ['Mute'], S.dialog);
  if (!mute) throw new AppError('WA_ACTION_NOT_CONFIRMED', 'the "Mute notifications" popup has no Mute button');
  await page.mouse.click(mute.x, mute.y);
}

/** Waits until the open chat's row shows `pred`, and answers the row as read then. */
export async function untilRow(page: Page, timeoutMs: number, what: string, pred: (r: RawChatRow) => boolean): Promise<RawChatRow> {
  const t0 = Date.now();
  for (;;) {
    const row = await inPage(page, 'selectedRow');
    if (row && pred(row)) return row;
    if (Date.now() - t0 > timeoutMs) throw new AppError('WA_ACTION_NOT_CONFIRMED', `the chat's row did not show it ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** "New chat": types the number into its search box and clicks the result that shows it. Answers
 * once a conversation is open and its header names an id. */
export async function startChatByPhone(page: Page, e164: string, timeoutMs: number): Promise<void> {
  const digits = e164.replace(/\D/g, '');
  const button = await inPage(page, 'labelled', S.newChatButton, ['New chat']);
  if (!button) throw new AppError('WA_ACTION_NOT_CONFIRMED', 'the chat list shows no "New chat" button');
  await page.mouse.click(button.x, button.y);
  const box = await page.waitForSelector(S.newChatSearch, { timeout: timeoutMs, visible: true }).catch(() => null);
  if (!box) throw new AppError('WA_ACTION_NOT_CONFIRMED', '"New chat" shows no search box');
  await box.click();
  await box.dispose();
  await page.keyboard.type(e164);
  // The result is the number itself (or the saved contact it belongs to): the one whose text holds those digits.
  const result = await page
    .waitForFunction(
      (sel: string, want: string) => {
        for (const el of Array.from(document.querySelectorAll(sel))) {
          const t = (el.querySelector('[title]')?.getAttribute('title') ?? el.textContent ?? '').replace(/\D/g, '');
          if (t === want || (el.textContent ?? '').replace(/\D/g, '').includes(want)) {
            const b = el.getBoundingClientRect();
            return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
          }
        }
        return false;
      },
      { timeout: timeoutMs, polling: 50 },
      S.newChatResult,
      digits,
    )
    .then((h) => h.jsonValue() as Promise<{ x: number; y: number }>)
    .catch(() => null);
  if (!result) {
    await page.keyboard.press('Escape');
    throw new AppError('WA_NUMBER_NOT_FOUND', `"New chat" found no WhatsApp account for ${e164}`);
  }
  const before = await inPage(page, 'openChat');
  await page.mouse.click(result.x, result.y);
  await page.waitForFunction(
    (prevId: string | null) => {
      const qn = (window as unknown as { __qn: { openChatId(): string | null } }).__qn;
      const id = qn.openChatId();
      return id !== null && id !== prevId;
    },
    { timeout: timeoutMs, polling: 25 },
    before.id,
  ).catch(async () => {
    // The same chat was open already: nothing changes in the header.
    if (before.id !== `${digits}@c.us`) throw new AppError('WA_ACTION_NOT_CONFIRMED', `no conversation opened for ${e164}`);
  });
}
