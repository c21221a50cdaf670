// The chat list is virtualised: only the rows near the viewport exist. Collect them all by scrolling
// #pane-side, and open a chat by scrolling until its row exists, then clicking it like a person.
import type { Page } from 'puppeteer-core';
import type { RawChatRow } from './extract.ts';
import { selectorMap } from './selectors.ts';

const S = selectorMap();

/** All rows of the virtualised list. Rows render a moment after a scroll, so each step waits
 * settleMs; when the list announces its size (aria-rowcount, as WhatsApp's grid does) and a pass
 * saw fewer rows, the pass is repeated more slowly. */
export async function collectChatList(page: Page, settleMs = 40): Promise<RawChatRow[]> {
  let best: RawChatRow[] = [];
  for (let attempt = 0, settle = settleMs; attempt < 4; attempt++, settle *= 3) {
    const { rows, expected } = await onePass(page, settle);
    if (rows.length > best.length) best = rows;
    if (expected === null || best.length >= expected) break;
  }
  return best;
}

async function onePass(page: Page, settleMs: number): Promise<{ rows: RawChatRow[]; expected: number | null }> {
  return page.evaluate(
    async (S: Record<string, string>, settleMs: number) => {
      const qn = (window as unknown as { __qn: { listVisibleChats(): RawChatRowLike[] } }).__qn;
      type RawChatRowLike = { title: string; position: number };
      const pane = document.querySelector(S.chatList!) as HTMLElement | null;
      if (!pane) throw new Error('chat list (#pane-side) not found');
      const countAttr = pane.querySelector('[aria-rowcount]')?.getAttribute('aria-rowcount');
      const expected = countAttr && /^\d+$/.test(countAttr) ? Number(countAttr) : null;
      const seen = new Map<string, RawChatRowLike>();
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));
      pane.scrollTop = 0;
      await frame();
      await wait(settleMs);
      for (let guard = 0; guard < 100000; guard++) {
        for (const row of qn.listVisibleChats()) if (row.title && !seen.has(row.title)) seen.set(row.title, row);
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
    S,
    settleMs,
  ) as Promise<{ rows: RawChatRow[]; expected: number | null }>;
}

/** Scrolls the list until the row titled `title` exists, clicks it, waits for #main to show it. */
export async function openChat(page: Page, title: string, opts: { settleMs?: number; timeoutMs?: number } = {}): Promise<void> {
  // A click can land while the list re-renders under it: try a few times, more slowly each time.
  let lastErr: unknown = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await openChatOnce(page, title, { settleMs: (opts.settleMs ?? 40) * (1 + attempt * 2), timeoutMs: attempt < 2 ? 3000 : opts.timeoutMs ?? 10_000 });
    } catch (err) {
      lastErr = err;
      if (/not found in the chat list/.test((err as Error).message) && attempt > 0) break;
    }
  }
  throw lastErr;
}

async function openChatOnce(page: Page, title: string, opts: { settleMs: number; timeoutMs: number }): Promise<void> {
  const current = await page.evaluate(() => (window as unknown as { __qn: { openChatTitle(): string | null } }).__qn.openChatTitle());
  if (current === title) return;
  // Find the row (scrolling the virtualised list), bring it into view, let the list re-render,
  // then click its centre with the mouse: rows are re-created on scroll, so no handle is kept.
  const box = await page.evaluate(
    async (S: Record<string, string>, title: string, settleMs: number) => {
      const pane = document.querySelector(S.chatList!) as HTMLElement | null;
      if (!pane) return null;
      const find = (): Element | null =>
        Array.from(document.querySelectorAll(S.chatRow!)).find((r) => {
          const t = r.querySelector(S.chatTitle!);
          return t && (t.getAttribute('title') ?? t.textContent?.trim()) === title;
        }) ?? null;
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      let row = find();
      const visible = (r: Element): boolean => {
        const a = r.getBoundingClientRect();
        const b = pane.getBoundingClientRect();
        return a.height > 0 && a.top >= b.top && a.bottom <= b.bottom;
      };
      // Already on screen (the list is kept at the top, where new activity lands): click at once.
      if (row && visible(row)) {
        const r = row.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
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
      if (!row) return null;
      const r = row.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    },
    S,
    title,
    opts.settleMs ?? 40,
  );
  if (!box) throw new Error(`chat "${title}" not found in the chat list`);
  await page.mouse.click(box.x, box.y);
  await page.waitForFunction(
    (t: string) => (window as unknown as { __qn: { openChatTitle(): string | null } }).__qn.openChatTitle() === t,
    { timeout: opts.timeoutMs ?? 10_000, polling: 25 },
    title,
  );
  // Back to the top of the list, where WhatsApp moves a chat with new activity: the observer sees
  // only the rows that exist, and those are the ones near the viewport.
  await page.evaluate((css: string) => {
    const pane = document.querySelector(css);
    if (pane) pane.scrollTop = 0;
  }, S.chatList!);
}
