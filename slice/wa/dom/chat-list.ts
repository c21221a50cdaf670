// The chat list is virtualised: only the rows near the viewport exist. Collect them all by scrolling
// #pane-side, and open a chat by scrolling until its row exists, then clicking it like a person.
// Titles repeat (a contact and a group can both be "Alice") and rows carry no id: a row is a title
// at a list position, and which chat it opened is read from the conversation header afterwards.
import type { Page } from 'puppeteer-core';
import { AppError } from '../../../lib/errors.ts';
import { inPage, listVisibleChatsIn, openChatIdIn, runInPage, untilInPage, type QnWindow, type RawChatRow } from './extract.ts';

/** All rows of the virtualised list. Rows render a moment after a scroll, so each step waits
 * settleMs; when the list announces its size (aria-rowcount, as WhatsApp's grid does) and a pass
 * saw fewer rows, the pass is repeated more slowly. */
export async function collectChatList(page: Page, settleMs: number): Promise<RawChatRow[]> {
  let best: RawChatRow[] = [];
  for (let attempt = 0, settle = settleMs; attempt < 4; attempt++, settle *= 3) {
    const { rows, expected } = await onePass(page, settle);
    if (rows.length > best.length) best = rows;
    if (expected === null || best.length >= expected) break;
  }
  return best;
}

async function onePass(page: Page, settleMs: number): Promise<{ rows: RawChatRow[]; expected: number | null }> {
  return runInPage(
    page,
    async (S: Record<string, string>, settleMs: number) => {
      const qn = (window as unknown as QnWindow).__qn;
      type RawChatRowLike = { title: string; position: number };
      const pane = document.querySelector(S.chatList!) as HTMLElement | null;
      if (!pane) throw new Error('chat list (#pane-side) not found');
      const countAttr = pane.querySelector(S.chatRowCount!)?.getAttribute('aria-rowcount');
      const expected = countAttr && /^\d+$/.test(countAttr) ? Number(countAttr) : null;
      const seen = new Map<string, RawChatRowLike>();
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));
      pane.scrollTop = 0;
      await frame();
      await wait(settleMs);
      for (let guard = 0; guard < 100000; guard++) {
        for (const row of qn.listVisibleChats()) {
          const key = `${row.title}\u0000${row.position}`;
          if (row.title && !seen.has(key)) seen.set(key, row);
        }
        if (pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 1) break;
        const before = pane.scrollTop;
        pane.scrollTop = before + Math.max(40, Math.floor(pane.clientHeight * 0.5));
        await frame();
        await wait(settleMs);
        if (pane.scrollTop === before) break;
      }
      pane.scrollTop = 0;
      return { rows: Array.from(seen.values()).sort((a, b) => a.position - b.position), expected };
    },
    settleMs,
  ) as Promise<{ rows: RawChatRow[]; expected: number | null }>;
}

/** settleMs: the wait after each scroll; timeoutMs: for the clicked chat to show (see tuning.ts). */
export interface OpenOptions {
  settleMs: number;
  timeoutMs: number;
}

/** Scrolls the list until the row titled `title` (the one nearest `position` when several are)
 * exists, clicks it, waits for #main to show it, and returns the open chat's id from the header
 * (null when the header names none). */
export async function openChatRow(page: Page, title: string, position: number | null, opts: OpenOptions): Promise<string | null> {
  // A click can land while the list re-renders under it: try a few times, more slowly each time.
  let lastErr: unknown = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await openChatRowOnce(page, title, position, { settleMs: opts.settleMs * (1 + attempt * 2), timeoutMs: attempt < 2 ? 3000 : opts.timeoutMs });
    } catch (err) {
      lastErr = err;
      if (/not found in the chat list/.test((err as Error).message) && attempt > 0) break;
    }
  }
  throw lastErr;
}

/**
 * Opens the chat `waId` (titled `title` in the list): every row with that title is a candidate,
 * and only the header showing `waId` confirms it. Refuses (WA_CHAT_NOT_CONFIRMED) rather than
 * leave another chat open, so nothing is ever typed into the wrong conversation.
 */
export async function openChatById(page: Page, title: string, waId: string, opts: OpenOptions): Promise<void> {
  if ((await openChatIdIn(page)) === waId) return;
  const tried = new Set<number>();
  const seenIds: string[] = [];
  const attempt = async (position: number): Promise<boolean> => {
    if (tried.has(position)) return false;
    tried.add(position);
    const id = await openChatRow(page, title, position, opts).catch(() => null);
    if (id && id !== waId) seenIds.push(id);
    return id === waId;
  };
  // The rows on screen first (the list is kept at the top, where recent chats are), then all.
  for (const r of (await listVisibleChatsIn(page)).filter((x) => x.title === title)) if (await attempt(r.position)) return;
  for (const r of (await collectChatList(page, opts.settleMs)).filter((x) => x.title === title)) if (await attempt(r.position)) return;
  throw new AppError(
    'WA_CHAT_NOT_CONFIRMED',
    `chat ${waId} could not be opened: no chat list row titled "${title}" shows that id in the conversation header` +
      (seenIds.length ? ` (found ${seenIds.join(', ')})` : '') +
      '; nothing was typed',
  );
}

async function openChatRowOnce(page: Page, title: string, position: number | null, opts: OpenOptions): Promise<string | null> {
  const prev = await inPage(page, 'openChat');
  // Find the row (scrolling the virtualised list), bring it into view, let the list re-render,
  // then click its centre with the mouse: rows are re-created on scroll, so no handle is kept.
  const box = await runInPage(
    page,
    async (S: Record<string, string>, title: string, position: number | null, settleMs: number) => {
      const qn = (window as unknown as QnWindow).__qn;
      const pane = document.querySelector(S.chatList!) as HTMLElement | null;
      if (!pane) return null;
      const find = (): Element | null => qn.findChatRow(title, position);
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const at = (r: Element) => {
        const b = r.getBoundingClientRect();
        return { x: b.left + b.width / 2, y: b.top + b.height / 2, selected: r.getAttribute('aria-selected') === 'true' };
      };
      let row = find();
      const visible = (r: Element): boolean => {
        const a = r.getBoundingClientRect();
        const b = pane.getBoundingClientRect();
        return a.height > 0 && a.top >= b.top && a.bottom <= b.bottom;
      };
      // Already on screen (the list is kept at the top, where new activity lands): click at once.
      if (row && visible(row)) return at(row);
      if (!row && position !== null) {
        // A position is where the row was: look there first.
        pane.scrollTop = Math.max(0, position - Math.floor(pane.clientHeight / 2));
        await wait(settleMs);
        row = find();
      }
      if (!row) {
        pane.scrollTop = 0;
        await wait(settleMs);
        row = find();
        while (!row && pane.scrollTop + pane.clientHeight < pane.scrollHeight - 1) {
          const before = pane.scrollTop;
          pane.scrollTop = before + Math.max(40, Math.floor(pane.clientHeight * 0.6));
          await wait(settleMs);
          row = find();
          if (pane.scrollTop === before) break;
        }
      }
      if (!row) return null;
      (row as HTMLElement).scrollIntoView({ block: 'center' });
      await wait(settleMs);
      row = find();
      return row ? at(row) : null;
    },
    title,
    position,
    opts.settleMs,
  );
  if (!box) throw new AppError('NOT_FOUND', `chat "${title}" not found in the chat list`);
  // The row of the open chat is marked selected: clicking it again changes nothing.
  if (!(box.selected && prev.title === title)) {
    await page.mouse.click(box.x, box.y);
    await untilInPage(page, opts.timeoutMs, 'chatShown', title, prev.title, prev.id);
  }
  // Back to the top of the list, where WhatsApp moves a chat with new activity: the observer sees
  // only the rows that exist, and those are the ones near the viewport.
  await inPage(page, 'chatListToTop');
  return openChatIdIn(page);
}
