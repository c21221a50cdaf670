// Sending a file as a person does in WhatsApp Web: the composer's attach button, the menu's own
// file input for that kind of file, the media editor's caption and send button, then the new
// outgoing bubble as for text. Whatever fails on the way closes what was opened, so the next action
// finds the conversation as it was.
import type { ElementHandle, Page } from 'puppeteer-core';
import { AppError } from '../../../lib/errors.ts';
import type { ExtractedMessage, OutgoingFile } from '../types.ts';
import { inPage, runInPage } from './extract.ts';
import { selectorMap } from './selectors.ts';
import { ownBubble, typeLines, type SendTimeouts } from './send.ts';

const S = selectorMap();

/** Photos and videos go through "Photos & videos" (sent as media); the rest as a document. */
type AttachGroup = 'media' | 'document';
const MENU_LABELS: Record<AttachGroup, string[]> = {
  media: ['Photos & videos', 'Photos and videos'],
  document: ['Document'],
};

export async function attachAndSend(page: Page, file: OutgoingFile, opts: SendTimeouts & { uiTimeoutMs: number }): Promise<ExtractedMessage> {
  const group: AttachGroup = file.kind === 'image' || file.kind === 'video' ? 'media' : 'document';
  const before = await inPage(page, 'messageIds');
  const attach = await visibleCentre(page, S.attachButton);
  if (!attach) throw new AppError('FAILED_PRECONDITION', `the composer shows no attach button (attachButton: ${S.attachButton})`);
  await page.mouse.click(attach.x, attach.y);
  let sent = false;
  try {
    const input = await fileInput(page, group, opts.uiTimeoutMs);
    if (!input) {
      throw new AppError('FAILED_PRECONDITION', `the attach menu has no file input for "${MENU_LABELS[group][0]}" (attachFileInput: ${S.attachFileInput}, accept ${group === 'media' ? 'image/*…' : '*'})`);
    }
    await input.uploadFile(file.path);
    await input.dispose();
    const caption = await page.waitForSelector(S.mediaCaption, { visible: true, timeout: opts.uiTimeoutMs }).catch(() => null);
    if (!caption) throw new AppError('WA_ACTION_NOT_CONFIRMED', `the media editor never showed after choosing ${file.fileName} (no caption box: ${S.mediaCaption})`);
    if (file.caption) {
      await caption.click();
      await typeLines(page, file.caption);
    }
    await caption.dispose();
    const send = await runInPage(page, editorSendButton);
    if (!send) throw new AppError('FAILED_PRECONDITION', `the media editor shows no send button (mediaSend: ${S.mediaSend})`);
    await page.mouse.click(send.x, send.y);
    sent = true;
  } finally {
    if (!sent) await closeEditor(page).catch(() => {});
  }
  try {
    return await ownBubble(page, before, opts);
  } catch (err) {
    throw new AppError('WA_ACTION_NOT_CONFIRMED', `${file.fileName} was sent from the media editor but no new outgoing bubble showed within ${opts.timeoutMs} ms`, { cause: err });
  }
}

/** The centre of the first visible element matching `css`, or null. */
export function visibleCentre(page: Page, css: string): Promise<{ x: number; y: number } | null> {
  return runInPage(
    page,
    (_S: Record<string, string>, sel: string) => {
      for (const el of Array.from(document.querySelectorAll(sel))) {
        const b = el.getBoundingClientRect();
        if (b.width > 0 && b.height > 0) return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
      }
      return null;
    },
    css,
  );
}

/** The attach menu's file input for `group`: told apart by its accept attribute (image/… for
 * photos and videos, * for documents), its menu item's label deciding between equals. */
async function fileInput(page: Page, group: AttachGroup, timeoutMs: number): Promise<ElementHandle<HTMLInputElement> | null> {
  const handle = await page
    .waitForFunction(
      (SS: Record<string, string>, g: AttachGroup, labels: string[]) => {
        let best: HTMLInputElement | null = null;
        let bestScore = 0;
        for (const inp of Array.from(document.querySelectorAll<HTMLInputElement>(SS.attachFileInput!))) {
          const accept = (inp.getAttribute('accept') ?? '').toLowerCase();
          const item = inp.closest(SS.attachMenuItem!);
          const label = (item?.getAttribute('aria-label') ?? item?.textContent ?? '').trim().toLowerCase();
          const named = labels.some((l) => label.startsWith(l.toLowerCase()));
          const media = accept.includes('image/');
          const fits = g === 'media' ? media : !media && (accept === '*' || accept === '' || named);
          const score = fits ? (named ? 2 : 1) : 0;
          if (score > bestScore) {
            best = inp;
            bestScore = score;
          }
        }
        return best ?? false;
      },
      { timeout: timeoutMs, polling: 50 },
      S,
      group,
      MENU_LABELS[group],
    )
    .catch(() => null);
  const el = handle?.asElement() as ElementHandle<HTMLInputElement> | null | undefined;
  if (!el) await handle?.dispose();
  return el ?? null;
}

/** The send button of the editor the caption box belongs to (not the composer's, in the footer). */
function editorSendButton(SS: Record<string, string>): { x: number; y: number } | null {
  const cap = document.querySelector(SS.mediaCaption!);
  for (let el = cap?.parentElement ?? null; el; el = el.parentElement) {
    for (const b of Array.from(el.querySelectorAll(SS.mediaSend!))) {
      if (b.closest('#main footer')) continue;
      const r = b.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    }
  }
  return null;
}

/** Escape closes the attach menu and the editor; the editor's own close button when it stays. */
async function closeEditor(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  if (!(await page.$(S.mediaCaption).then((h) => (h ? (h.dispose(), true) : false)))) return;
  const close = await runInPage(page, (SS: Record<string, string>) => {
    const cap = document.querySelector(SS.mediaCaption!);
    for (let el = cap?.parentElement ?? null; el; el = el.parentElement) {
      const b = el.querySelector(SS.mediaEditorClose!);
      if (b) {
        const r = b.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      }
    }
    return null;
  });
  if (close) await page.mouse.click(close.x, close.y);
}
