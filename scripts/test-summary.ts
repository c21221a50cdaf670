// Counts the results tap kept of the last run (.tap/test-results/*.tap), one per top-level test of each file,
// and prints the one line CI reads: "tests: N passed, N failed[, N skipped]".
import fs from 'node:fs';
import path from 'node:path';
import { Parser } from 'tap-parser';

const dir = path.join(process.cwd(), '.tap', 'test-results');
const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.tap')) : [];
let pass = 0;
let fail = 0;
let skip = 0;
for (const file of files) {
  const parser = new Parser();
  parser.on('complete', (r) => {
    pass += r.pass - r.skip - r.todo;
    fail += r.fail;
    skip += r.skip + r.todo;
  });
  parser.end(fs.readFileSync(path.join(dir, file)));
}
// The web app's Vitest run, when there was one.
const vitest = path.join(process.cwd(), '.tap', 'vitest.json');
let vitestFiles = 0;
if (fs.existsSync(vitest)) {
  const r = JSON.parse(fs.readFileSync(vitest, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: unknown[] };
  pass += r.numPassedTests;
  fail += r.numFailedTests;
  skip += r.numPendingTests + r.numTodoTests;
  vitestFiles = r.testResults.length;
}
if (files.length + vitestFiles === 0) {
  console.log('tests: 0 passed, 1 failed (no test results found)');
  process.exit(1);
}
console.log(`tests: ${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ''}`);
process.exit(fail > 0 ? 1 : 0);
