// Sending as a person does: focus the composer of the open chat, type, press Enter, and wait for the
// new outgoing bubble to appear; its data-id and time are the result.
import type { Page } from 'puppeteer-core';
import { AppError } from '../../../lib/errors.ts';
import type { ExtractedMessage } from '../types.ts';
import { inPage, untilInPage } from './extract.ts';
import { selectorMap } from './selectors.ts';

const S = selectorMap();

export interface SendTimeouts {
  timeoutMs: number;
  ackTimeoutMs: number;
}

export async function typeAndSend(page: Page, body: string, opts: SendTimeouts): Promise<ExtractedMessage> {
  const before = await inPage(page, 'messageIds');
  const composer = await page.$(S.composer);
  if (!composer) throw new AppError('FAILED_PRECONDITION', `composer not found (${S.composer})`);
  await composer.click();
  await typeLines(page, body);
  await page.keyboard.press('Enter');
  await composer.dispose();
  return ownBubble(page, before, opts);
}

/** Types `text` into the focused box, a line break as Shift+Enter (Enter alone sends). */
export async function typeLines(page: Page, text: string): Promise<void> {
  for (const [i, line] of text.split('\n').entries()) {
    if (i > 0) {
      await page.keyboard.down('Shift');
      await page.keyboard.press('Enter');
      await page.keyboard.up('Shift');
    }
    if (line) await page.keyboard.type(line);
  }
}

/** The outgoing bubble that appeared since `before` (the ids rendered then). */
export async function ownBubble(page: Page, before: string[], opts: SendTimeouts): Promise<ExtractedMessage> {
  let msg = await untilInPage(page, opts.timeoutMs, 'newOutgoing', before);
  // The bubble shows a clock until WhatsApp's server takes the message: report it sent (one tick)
  // when the clock goes, or as pending if it has not gone within ackTimeoutMs.
  if (msg.ack === 0) {
    const acked = await untilInPage(page, opts.ackTimeoutMs, 'acked', msg.waId).catch(() => null);
    if (acked) msg = acked;
  }
  return msg;
}
