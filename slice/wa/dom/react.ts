// Reacting as a person does in WhatsApp Web: hover the message's bubble, click its "React" button,
// click the emoji in the picker. Taking a reaction back is clicking one's own chosen emoji again,
// which the picker shows pressed. The result is the message's chips read again from the page.
import type { Page } from 'puppeteer-core';
import { AppError } from '../../../lib/errors.ts';
import type { ExtractedMessage, ExtractedReaction } from '../types.ts';
import { runInPage } from './extract.ts';
import { scrollToOldest } from './backfill.ts';
import { selectorMap } from './selectors.ts';

const S = selectorMap();

/** How many pages of older history a reaction may scroll back through to find its message: an
 * older one is rare, and each page costs a load round. */
const MAX_PAGES_BACK = 20;

export interface ReactResult {
  reactions: ExtractedReaction[];
  /** The message as the page shows it afterwards (for the sink), when the extraction reads it. */
  message: ExtractedMessage | null;
}

export async function reactTo(page: Page, waId: string, emoji: string | null, opts: { timeoutMs: number; idleMs: number }): Promise<ReactResult> {
  let bubble = await pointOf(page, waId, 'bubble');
  if (!bubble) {
    await scrollToOldest(page, { stopAtWaId: waId, idleMs: opts.idleMs, maxRounds: MAX_PAGES_BACK });
    bubble = await pointOf(page, waId, 'bubble');
  }
  if (!bubble) throw new AppError('WA_MESSAGE_NOT_SHOWN', `message ${waId} is not shown in the open chat (looked back up to ${MAX_PAGES_BACK} pages of history)`);
  const before = await readRow(page, waId);
  await page.mouse.move(bubble.x, bubble.y);
  const button = await untilFound(page, opts.timeoutMs, () => pointOf(page, waId, 'button'));
  if (!button) throw new AppError('FAILED_PRECONDITION', `hovering message ${waId} shows no "React" button (reactButton: ${S.reactButton})`);
  await page.mouse.click(button.x, button.y);
  const picker = await untilFound(page, opts.timeoutMs, () => runInPage(page, pickerOptions));
  if (!picker) throw new AppError('WA_ACTION_NOT_CONFIRMED', `the "React" button of message ${waId} opened no reaction picker (reactionOption: ${S.reactionOption})`);
  // One's own emoji: pressed in the picker, or else the chip that says it is one's own.
  const ownChip = before.reactions.find((r) => r.mine)?.emoji ?? null;
  const pressed = picker.find((o) => o.pressed) ?? (ownChip ? picker.find((o) => sameEmoji(o.emoji, ownChip)) : undefined) ?? null;
  // Clicking one's own emoji takes it back: only click when that is what is asked for.
  const want = emoji === null ? pressed : picker.find((o) => sameEmoji(o.emoji, emoji));
  if (emoji !== null && !want) {
    await page.keyboard.press('Escape');
    throw new AppError('FAILED_PRECONDITION', `the reaction picker offers ${picker.map((o) => o.emoji).join(' ')}, not ${emoji}`);
  }
  if (!want || (emoji !== null && pressed && sameEmoji(pressed.emoji, emoji))) {
    await page.keyboard.press('Escape');
    return before;
  }
  await page.mouse.click(want.x, want.y);
  const sig = (r: ExtractedReaction[]) => JSON.stringify(r);
  const t0 = Date.now();
  for (;;) {
    const now = await readRow(page, waId);
    const shows = emoji === null || now.reactions.some((r) => sameEmoji(r.emoji, emoji));
    if (sig(now.reactions) !== sig(before.reactions) && shows) return now;
    if (Date.now() - t0 > opts.timeoutMs) {
      throw new AppError('WA_ACTION_NOT_CONFIRMED', `message ${waId} did not show ${emoji === null ? 'the reaction taken back' : `the reaction ${emoji}`} within ${opts.timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Emoji compare without the variation selector (❤ and ❤️ are the same heart). */
export const sameEmoji = (a: string, b: string): boolean => a.replace(/\uFE0F/g, '') === b.replace(/\uFE0F/g, '');

async function untilFound<T>(page: Page, timeoutMs: number, probe: () => Promise<T | null>): Promise<T | null> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Point = { x: number; y: number };
const pointOf = (page: Page, waId: string, what: 'bubble' | 'button') => runInPage(page, onRow, waId, what) as Promise<Point | null>;
const readRow = (page: Page, waId: string) => runInPage(page, onRow, waId, 'read') as Promise<ReactResult>;

type RowAnswer = Point | ReactResult | null;

/** One in-page routine for what is done to the message row `id` (by data-id): 'bubble' scrolls it
 * to the middle and answers its bubble's centre; 'button' the centre of its hover "React" button;
 * 'read' its chips (and the message, when the extraction reads it). */
function onRow(SS: Record<string, string>, id: string, what: 'bubble' | 'button' | 'read'): RowAnswer {
  const el = Array.from(document.querySelectorAll(SS.mainDataId!)).find((e) => {
    const d = e.getAttribute('data-id') ?? '';
    return d === id || d.includes(`_${id}_`) || d.endsWith(`_${id}`);
  });
  const row = el?.closest(SS.messageRow!) ?? null;
  const centre = (e: Element | null | undefined) => {
    const r = e?.getBoundingClientRect();
    return r && r.width > 0 && r.height > 0 ? { x: r.left + r.width / 2, y: r.top + r.height / 2 } : null;
  };
  if (what === 'bubble') {
    if (!el || !row) return null;
    el.scrollIntoView({ block: 'center' });
    return centre(el.querySelector(`${SS.messageIn}, ${SS.messageOut}`) ?? el);
  }
  if (what === 'button') return centre(row?.querySelector(SS.reactButton!));
  if (!el) return { reactions: [], message: null };
  const qn = (window as unknown as { __qn?: { extractRow(e: Element, c: string | null): ExtractedMessage | null } }).__qn;
  const message = qn?.extractRow(el, null) ?? null;
  // The extraction reads the chips once it knows them; until then, their labels here:
  // "reaction 👍. View reactions", "Reactions 👍, ❤ 4 in total", with ", including yours ❤".
  if (message && Array.isArray(message.reactions)) return { reactions: message.reactions, message };
  const reactions: ExtractedReaction[] = [];
  for (const chip of Array.from((row ?? el).querySelectorAll(SS.reactionChip!))) {
    const label = (chip.getAttribute('aria-label') ?? '').replace(/\.?\s*View reactions\.?$/i, '').trim();
    const yours = /,?\s*including yours\s*(\S*)/i.exec(label);
    const rest = label.replace(/,?\s*including yours\s*\S*/i, '').trim();
    const single = /^reaction\s+(.+)$/i.exec(rest);
    const many = /^Reactions\s+(.+?)\s+(\d+)\s+in total$/i.exec(rest);
    const emojis = single ? [single[1]!.trim()] : many ? many[1]!.split(/,\s*/).map((e) => e.trim()) : [];
    const total = single ? 1 : many ? Number(many[2]) : null;
    for (const e of emojis) {
      const mine = !!yours && (yours[1] ? yours[1].replace(/\uFE0F/g, '') === e.replace(/\uFE0F/g, '') : emojis.length === 1);
      reactions.push({ emoji: e, count: emojis.length === 1 ? total : null, mine });
    }
  }
  return { reactions, message };
}

/** The emoji the open picker offers and which one is one's own (pressed). The picker is found by
 * its own selector where the page labels it; else its options are the emoji-only buttons outside
 * the conversation's rows and the composer (the chips under bubbles are buttons too). */
function pickerOptions(SS: Record<string, string>): { emoji: string; pressed: boolean; x: number; y: number }[] | null {
  const pickers = Array.from(document.querySelectorAll(SS.reactionPicker!));
  const scopes: ParentNode[] = pickers.length ? pickers : [document];
  const out: { emoji: string; pressed: boolean; x: number; y: number }[] = [];
  for (const scope of scopes) {
    for (const o of Array.from(scope.querySelectorAll(SS.reactionOption!))) {
      if (!pickers.length && o.closest(`${SS.messageRow}, footer`)) continue;
      const img = o.querySelector('img[alt], img[data-plain-text]');
      const label = (o.getAttribute('aria-label') ?? img?.getAttribute('data-plain-text') ?? img?.getAttribute('alt') ?? o.textContent ?? '').trim();
      // An emoji, not "More reactions".
      if (!label || label.length > 16 || /\p{L}/u.test(label) || !/\p{Extended_Pictographic}/u.test(label)) continue;
      const r = o.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const pressed = ['aria-pressed', 'aria-selected', 'aria-checked'].some((a) => o.getAttribute(a) === 'true');
      out.push({ emoji: label, pressed, x: r.left + r.width / 2, y: r.top + r.height / 2 });
    }
  }
  return out.length ? out : null;
}
