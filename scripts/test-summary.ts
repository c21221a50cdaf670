// Counts the results tap kept of the last run (.tap/test-results/*.tap), every assertion flattened,
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
  const parser = new Parser({ flat: true });
  parser.on('complete', (r) => {
    pass += r.pass - r.skip - r.todo;
    fail += r.fail;
    skip += r.skip + r.todo;
  });
  parser.end(fs.readFileSync(path.join(dir, file)));
}
if (files.length === 0) {
  console.log('tests: 0 passed, 1 failed (no test results found)');
  process.exit(1);
}
console.log(`tests: ${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ''}`);
process.exit(fail > 0 ? 1 : 0);
