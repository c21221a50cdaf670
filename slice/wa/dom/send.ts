// Sending as a person does: focus the composer of the open chat, type, press Enter, and wait for the
// new outgoing bubble to appear; its data-id and time are the result.
import type { Page } from 'puppeteer-core';
import { AppError } from '../../../lib/errors.ts';
import type { ExtractedMessage } from '../types.ts';
import { inPage, untilInPage } from './extract.ts';
import { selectorMap } from './selectors.ts';

const S = selectorMap();

export async function typeAndSend(page: Page, body: string, opts: { timeoutMs: number; ackTimeoutMs: number }): Promise<ExtractedMessage> {
  const before = await inPage(page, 'messageIds');
  const composer = await page.$(S.composer);
  if (!composer) throw new AppError('FAILED_PRECONDITION', `composer not found (${S.composer})`);
  await composer.click();
  const lines = body.split('\n');
  for (const [i, line] of lines.entries()) {
    if (i > 0) {
      await page.keyboard.down('Shift');
      await page.keyboard.press('Enter');
      await page.keyboard.up('Shift');
    }
    if (line) await page.keyboard.type(line);
  }
  await page.keyboard.press('Enter');
  await composer.dispose();
  let msg = await untilInPage(page, opts.timeoutMs, 'newOutgoing', before);
  // The bubble shows a clock until WhatsApp's server takes the message: report it sent (one tick)
  // when the clock goes, or as pending if it has not gone within ackTimeoutMs.
  if (msg.ack === 0) {
    const acked = await untilInPage(page, opts.ackTimeoutMs, 'acked', msg.waId).catch(() => null);
    if (acked) msg = acked;
  }
  return msg;
}
