// Property-based mutation of the WhatsApp Web captures for the DOM extractor (issue 17): fast-check
// picks edits (a class renamed, an attribute dropped or changed, a node dropped, duplicated or
// moved, a text changed), they are applied to a capture in a real Chromium page, and what
// extractMessages reads must still make sense: it does not throw, every message has a non-empty
// waId that some data-id of the mutated page carries, direction in/out, no phantom (an empty body
// with no media, no system notice and not a deleted message), no two messages with one waId.
// Shared by slice/test/extract-fuzz.test.ts and bench/fuzz.bench.ts (more runs); one page per
// capture, reset between cases, so a run costs an in-page reset rather than a page load.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { Browser, Page } from 'puppeteer-core';
import { extractMessagesIn, installPageModule } from '../wa/dom/extract.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repo's captures and the shared ones (the same file twice is loaded once). */
export const CAPTURE_DIRS = [path.join(HERE, 'fixtures', 'whatsapp-web'), '/work/shared/fixtures/whatsapp-web'];

export interface Capture {
  name: string;
  page: Page;
}

export async function openCaptures(browser: Browser): Promise<Capture[]> {
  const seen = new Set<string>();
  const out: Capture[] = [];
  for (const dir of CAPTURE_DIRS) {
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.html')).sort()) {
      const html = fs.readFileSync(path.join(dir, file), 'utf8');
      const hash = crypto.createHash('sha256').update(html).digest('hex');
      if (seen.has(hash)) continue;
      seen.add(hash);
      const page = await browser.newPage();
      await page.emulateTimezone('UTC');
      await page.setContent(html, { waitUntil: 'load' });
      await installPageModule(page);
      await page.evaluate(() => {
        (window as unknown as { __original: string }).__original = document.body.innerHTML;
      });
      out.push({ name: file, page });
    }
  }
  if (out.length === 0) throw new Error(`no WhatsApp Web capture in ${CAPTURE_DIRS.join(' or ')}`);
  return out;
}

export type Mutation =
  | { op: 'renameClass' | 'dropAttr' | 'dropNode' | 'dupNode'; at: number; arg: number; text: string }
  | { op: 'moveNode' | 'setText' | 'setAttr'; at: number; arg: number; text: string };

const oddText = fc.oneof(
  fc.constant(''),
  fc.constantFrom(' ', '\u200e', 'This message was deleted', '12:34', '[9:15 am, 10/12/2025] X: ', 'true_1@c.us_', '_', 'false__'),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('renameClass', 'dropAttr', 'dropNode', 'dupNode', 'moveNode', 'setText', 'setAttr'),
  at: fc.nat(),
  arg: fc.nat(),
  text: oddText,
});

/** Applied in the page: the edit picks its element among #main's (or the body's) by index. */
function applyInPage(muts: Mutation[]): void {
  document.body.innerHTML = (window as unknown as { __original: string }).__original;
  for (const m of muts) {
    const scope = document.querySelector('#main') ?? document.body;
    const els = Array.from(scope.querySelectorAll('*'));
    if (els.length === 0) return;
    const el = els[m.at % els.length]!;
    const other = els[m.arg % els.length]!;
    switch (m.op) {
      case 'renameClass': {
        const cls = Array.from(el.classList);
        if (cls.length > 0) el.classList.replace(cls[m.arg % cls.length]!, `x${m.arg}${m.text.replace(/\s/g, '')}`);
        break;
      }
      case 'dropAttr': {
        const attrs = Array.from(el.attributes);
        if (attrs.length > 0) el.removeAttribute(attrs[m.arg % attrs.length]!.name);
        break;
      }
      case 'setAttr': {
        const attrs = Array.from(el.attributes);
        if (attrs.length > 0) el.setAttribute(attrs[m.arg % attrs.length]!.name, m.text);
        break;
      }
      case 'dropNode':
        el.remove();
        break;
      case 'dupNode':
        el.after(el.cloneNode(true));
        break;
      case 'moveNode':
        if (!el.contains(other)) (m.arg % 2 === 0 ? other.before(el) : other.appendChild(el));
        break;
      case 'setText': {
        const textNode = Array.from(el.childNodes).find((n) => n.nodeType === Node.TEXT_NODE);
        if (textNode) textNode.textContent = m.text;
        else if (el.children.length === 0) el.textContent = m.text;
        break;
      }
    }
  }
}

/** The waIds the mutated page's data-ids name (a bare id, or the id part of the packed form). */
function idsInPage(): string[] {
  const out: string[] = [];
  for (const e of Array.from(document.querySelectorAll('[data-id]'))) {
    const raw = e.getAttribute('data-id') ?? '';
    out.push(raw.trim());
    const m = /^(true|false)_([^_]+@[^_]+)_([^_]+)(?:_(.+))?$/.exec(raw.trim());
    if (m?.[3]) out.push(m[3]);
  }
  return out;
}

/** The properties' verdict on one extraction: the first problem, or null. */
export function problemWith(messages: Array<Record<string, any>>, ids: Set<string>): string | null {
  const seen = new Set<string>();
  for (const m of messages) {
    const waId = m.waId;
    if (typeof waId !== 'string' || waId.trim() === '') return `a message without a waId: ${JSON.stringify(m)}`;
    if (!ids.has(waId)) return `waId ${JSON.stringify(waId)} is no data-id of the page`;
    if (seen.has(waId)) return `two messages with waId ${JSON.stringify(waId)}`;
    seen.add(waId);
    if (m.direction !== 'in' && m.direction !== 'out') return `${waId}: direction ${JSON.stringify(m.direction)}`;
    const empty = typeof m.body !== 'string' || m.body.trim() === '';
    if (empty && !m.mediaKind && m.kind !== 'system' && !m.recalled) return `${waId}: a phantom (empty body, no media, not a notice): ${JSON.stringify(m)}`;
  }
  return null;
}

export function extractorProperty(captures: Capture[]) {
  return fc.asyncProperty(fc.nat({ max: captures.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }), async (which, muts) => {
    const { page, name } = captures[which]!;
    await page.evaluate(applyInPage, muts);
    let messages: Array<Record<string, any>>;
    try {
      messages = (await extractMessagesIn(page, null)) as unknown as Array<Record<string, any>>;
    } catch (err) {
      throw new Error(`${name}: the extractor threw: ${(err as Error).message}`);
    }
    const ids = new Set(await page.evaluate(idsInPage));
    const problem = problemWith(messages, ids);
    if (problem) throw new Error(`${name}: ${problem}`);
  });
}
