// The DOM extractor on mutated WhatsApp Web captures, in real Chromium (issue 17): fast-check's
// edits (classes renamed, attributes dropped or changed, nodes dropped, duplicated or moved, texts
// changed) and the extractor's promises on whatever page results. The properties are in
// extract-properties.ts; bench/fuzz.bench.ts runs them longer. A failure prints the seed.
import fc from 'fast-check';
import puppeteer, { type Browser } from 'puppeteer-core';
import t from 'tap';
import { fuzzRuns } from '../../test-support/fuzz.ts';
import { extractorProperty, openCaptures, problemWith } from './extract-properties.ts';
import { CHROMIUM, requireChromium } from './wa-support.ts';

requireChromium(t);
const browser: Browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=en-US'] });
t.teardown(() => browser.close());
const captures = await openCaptures(browser);

t.test('the verdict catches what it must (a phantom, a duplicate, an id the page lacks)', async (t) => {
  const ids = new Set(['A', 'B']);
  const ok = { waId: 'A', direction: 'in', body: 'hi', mediaKind: null, kind: 'text', recalled: false };
  t.equal(problemWith([ok], ids), null);
  t.match(problemWith([{ ...ok, body: ' ' }], ids), /phantom/);
  t.match(problemWith([ok, ok], ids), /two messages/);
  t.match(problemWith([{ ...ok, waId: 'C' }], ids), /no data-id/);
  t.match(problemWith([{ ...ok, waId: '' }], ids), /without a waId/);
  t.match(problemWith([{ ...ok, direction: 'sideways' }], ids), /direction/);
  t.equal(problemWith([{ ...ok, body: '', mediaKind: 'image', kind: 'media' }], ids), null, 'media without a caption is a message');
});

t.test(`mutated captures (${captures.map((c) => c.name).join(', ')}): the extractor keeps its promises`, async (t) => {
  const runs = fuzzRuns(300);
  await fc.assert(extractorProperty(captures), { numRuns: runs });
  t.pass(`${runs} mutated pages`);
});
