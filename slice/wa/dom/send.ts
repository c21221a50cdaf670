// Sending as a person does: focus the composer of the open chat, type, press Enter, and wait for the
// new outgoing bubble to appear; its data-id and time are the result.
import type { Page } from 'puppeteer-core';
import { AppError } from '../../../lib/errors.ts';
import type { ExtractedMessage } from '../types.ts';
import { selectorMap } from './selectors.ts';

const S = selectorMap();

export async function typeAndSend(page: Page, body: string, opts: { timeoutMs: number; ackTimeoutMs: number }): Promise<ExtractedMessage> {
  const before: string[] = await page.evaluate(
    (S: Record<string, string>) => Array.from(document.querySelectorAll(`${S.messageRow} [data-id]`)).map((e) => e.getAttribute('data-id') ?? ''),
    S,
  );
  const composer = await page.$(S.composer!);
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
  const handle = await page.waitForFunction(
    (S: Record<string, string>, known: string[]) => {
      const els = Array.from(document.querySelectorAll(`${S.messageRow} [data-id]`));
      for (let i = els.length - 1; i >= 0; i--) {
        const e = els[i]!;
        const id = e.getAttribute('data-id') ?? '';
        if (known.includes(id)) continue;
        const out = e.matches(S.messageOut!) || !!e.querySelector(S.messageOut!) || id.startsWith('true_');
        if (out) return (window as unknown as { __qn: { extractRow(e: Element, c: null): unknown } }).__qn.extractRow(e, null);
      }
      return false;
    },
    { timeout: opts.timeoutMs, polling: 25 },
    S,
    before,
  );
  let msg = (await handle.jsonValue()) as ExtractedMessage;
  await handle.dispose();
  // The bubble shows a clock until WhatsApp's server takes the message: report it sent (one tick)
  // when the clock goes, or as pending if it has not gone within ackTimeoutMs.
  if (msg.ack === 0) {
    const acked = await page
      .waitForFunction(
        (id: string) => {
          const el = Array.from(document.querySelectorAll('#main [data-id]')).find((e) => {
            const d = e.getAttribute('data-id') ?? '';
            return d === id || d.includes(`_${id}`);
          });
          if (!el) return false;
          const m = (window as unknown as { __qn: { extractRow(e: Element, c: null): { ack: number } | null } }).__qn.extractRow(el, null);
          return m && m.ack !== 0 ? m : false;
        },
        { timeout: opts.ackTimeoutMs, polling: 25 },
        msg.waId,
      )
      .then(async (h) => {
        const v = (await h.jsonValue()) as ExtractedMessage;
        await h.dispose();
        return v;
      })
      .catch(() => null);
    if (acked) msg = acked;
  }
  return msg;
}
