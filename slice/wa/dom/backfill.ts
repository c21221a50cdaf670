// History backfill: scroll the open conversation upward until no older rows load (or until a
// message we already have is on screen), so every older row is rendered for extraction.
import type { Page } from 'puppeteer-core';
import { runInPage } from './extract.ts';

interface BackfillResult {
  /** True when the top of the conversation was reached (no older rows loaded within idleMs). */
  reachedTop: boolean;
  rows: number;
}

export async function scrollToOldest(page: Page, opts: { stopAtWaId?: string | null; idleMs: number; maxRounds?: number }): Promise<BackfillResult> {
  return runInPage(
    page,
    async (S: Record<string, string>, stopAt: string | null, idleMs: number, maxRounds: number) => {
      const rows = () => document.querySelectorAll(S.messageRow!);
      const first = rows()[0] as HTMLElement | undefined;
      if (!first) return { reachedTop: true, rows: 0 };
      let sc: HTMLElement | null = first.parentElement;
      while (sc && !(sc.scrollHeight > sc.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(sc).overflowY))) sc = sc.parentElement;
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const has = (id: string) => Array.from(document.querySelectorAll(S.mainDataId!)).some((e) => {
        const d = e.getAttribute('data-id') ?? '';
        return d === id || d.includes(`_${id}_`) || d.endsWith(`_${id}`);
      });
      if (!sc) return { reachedTop: true, rows: rows().length };
      for (let round = 0; round < maxRounds; round++) {
        if (stopAt && has(stopAt)) return { reachedTop: false, rows: rows().length };
        const n = rows().length;
        sc.scrollTop = 0;
        sc.dispatchEvent(new Event('scroll'));
        const t0 = Date.now();
        while (rows().length === n && Date.now() - t0 < idleMs) await wait(20);
        if (rows().length === n) return { reachedTop: true, rows: n };
      }
      return { reachedTop: false, rows: rows().length };
    },
    opts.stopAtWaId ?? null,
    opts.idleMs,
    opts.maxRounds ?? 100000,
  );
}
