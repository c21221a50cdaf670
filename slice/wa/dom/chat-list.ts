// The chat list is virtualised: only the rows near the viewport exist. Collect them all by scrolling
// #pane-side, and open a chat by scrolling until its row exists, then clicking it like a person.
import type { Page } from 'puppeteer-core';
import type { RawChatRow } from './extract.ts';
import { selectorMap } from './selectors.ts';

const S = selectorMap();

export async function collectChatList(page: Page, settleMs = 40): Promise<RawChatRow[]> {
  return page.evaluate(
    async (S: Record<string, string>, settleMs: number) => {
      const qn = (window as unknown as { __qn: { listVisibleChats(): RawChatRowLike[] } }).__qn;
      type RawChatRowLike = { title: string; position: number };
      const pane = document.querySelector(S.chatList!) as HTMLElement | null;
      if (!pane) throw new Error('chat list (#pane-side) not found');
      const seen = new Map<string, RawChatRowLike>();
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      pane.scrollTop = 0;
      await wait(settleMs);
      for (let guard = 0; guard < 100000; guard++) {
        for (const row of qn.listVisibleChats()) if (row.title && !seen.has(row.title)) seen.set(row.title, row);
        if (pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 1) break;
        const before = pane.scrollTop;
        pane.scrollTop = before + Math.max(40, Math.floor(pane.clientHeight * 0.6));
        await wait(settleMs);
        if (pane.scrollTop === before) break;
      }
      pane.scrollTop = 0;
      return Array.from(seen.values()).sort((a, b) => a.position - b.position);
    },
    S,
    settleMs,
  ) as Promise<RawChatRow[]>;
}

/** Scrolls the list until the row titled `title` exists, clicks it, waits for #main to show it. */
export async function openChat(page: Page, title: string, opts: { settleMs?: number; timeoutMs?: number } = {}): Promise<void> {
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
