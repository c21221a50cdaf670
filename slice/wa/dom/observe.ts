// A MutationObserver in the page: new and changed message rows of the open chat, and changes of the
// chat list, reported to Node through page.exposeFunction. It needs the extraction module
// (window.__qn, see extract.ts) and batches what changed within a few milliseconds.
import type { Page } from 'puppeteer-core';
import type { ExtractedMessage } from '../types.ts';
import { runInPage, type RawChatRow } from './extract.ts';

export interface ObserverReport {
  messages: ExtractedMessage[];
  /** The visible chat rows, when the list changed. */
  chats: RawChatRow[] | null;
}

const REPORT_BINDING = '__qnReport';

/** In-page: (re)installs the observer on document.body. */
function observerModule(S: Record<string, string>, binding: string, batchMs: number): void {
  type W = Window & { __qnObserver?: MutationObserver; __qn: { extractRow(e: Element, c: string | null): unknown; listVisibleChats(): unknown } } & Record<string, unknown>;
  const w = window as unknown as W;
  w.__qnObserver?.disconnect();
  const MEDIA_ATTRS = ['src', 'style', 'poster', 'href'];
  const pending = new Set<Element>();
  let chatsDirty = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    timer = null;
    const els = Array.from(pending);
    pending.clear();
    const messages: unknown[] = [];
    for (const el of els) {
      // The conversation header's data-id is the chat's, not a message's.
      if (!el.isConnected || el.matches(S.mainChatId!)) continue;
      try {
        const m = w.__qn.extractRow(el, null);
        if (m) messages.push(m);
      } catch {
        /* a half-rendered row: the next mutation brings it again */
      }
    }
    const chats = chatsDirty ? w.__qn.listVisibleChats() : null;
    chatsDirty = false;
    if (messages.length === 0 && !chats) return;
    const report = w[binding] as ((r: unknown) => Promise<void>) | undefined;
    if (report) void report({ messages, chats });
  };
  const idOf = (el: Element | null): Element | null => {
    if (!el) return null;
    const row = el.closest(S.messageRow!);
    if (!row) return el.closest(S.mainDataId!);
    return row.matches(S.messageId!) ? row : row.querySelector(S.messageId!);
  };
  const obs = new MutationObserver((records) => {
    for (const r of records) {
      const t = (r.target.nodeType === 1 ? r.target : r.target.parentElement) as Element | null;
      if (!t) continue;
      // Those only matter for message media; the list's rows move by style on every scroll.
      if (r.type === 'attributes' && MEDIA_ATTRS.includes(r.attributeName ?? '') && !t.closest(S.main!)) continue;
      if (t.closest(S.chatList!) || t.querySelector?.(S.chatList!)) chatsDirty = true;
      if (r.type === 'childList') {
        r.addedNodes.forEach((n) => {
          if (n.nodeType !== 1) return;
          const e = n as Element;
          if (!e.closest(S.main!) && !e.querySelector(S.main!)) {
            const own = idOf(e);
            if (own) pending.add(own);
            return;
          }
          if (e.matches(S.messageId!)) pending.add(e);
          e.querySelectorAll(S.messageId!).forEach((x) => {
            if (x.closest(S.main!)) pending.add(x);
          });
          const own = idOf(e);
          if (own) pending.add(own);
        });
        if (t.closest(S.mainDataId!)) {
          const own = idOf(t);
          if (own) pending.add(own);
        }
      } else {
        const own = t.closest(S.main!) ? idOf(t) : null;
        if (own) pending.add(own);
      }
    }
    if (!timer && (pending.size > 0 || chatsDirty)) timer = setTimeout(flush, batchMs);
  });
  obs.observe(document.body, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    // src/style/poster/href: a picture's blurred preview giving way to the downloaded file.
    attributeFilter: ['data-icon', 'aria-label', 'data-id', 'title', 'class', ...MEDIA_ATTRS],
  });
  w.__qnObserver = obs;
  // What changed before the observer existed (a message that came while the initial sync read other
  // chats) is only caught by comparing now: report the list and the open chat's rows once.
  chatsDirty = true;
  document.querySelectorAll(S.mainDataId!).forEach((e) => pending.add(e));
  timer = setTimeout(flush, batchMs);
}

/** Exposes the report binding (once per page) and installs the observer now. */
export async function installObserver(page: Page, onReport: (r: ObserverReport) => void | Promise<void>, batchMs: number): Promise<void> {
  await page.exposeFunction(REPORT_BINDING, (r: ObserverReport) => onReport(r)).catch((err: Error) => {
    if (!/already exists/.test(err.message)) throw err;
  });
  await runInPage(page, observerModule, REPORT_BINDING, batchMs);
}
