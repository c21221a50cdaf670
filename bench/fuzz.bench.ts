// The property-based bad-input checks of the test suite (issue 17), run longer: the supervisor's
// socket (frame-properties.ts) and the DOM extractor on mutated captures (extract-properties.ts).
// FUZZ_RUNS (default 5000) cases for the main properties; prints runs, failures and time each, and
// fast-check's report (seed and path, to replay) for a failure.
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { createLogger } from '../lib/logger.ts';
import { runProperty, type FuzzResult } from '../test-support/fuzz.ts';
import { startTestCluster } from '../test-support/pg.ts';
import { loadSupervisorConfig } from '../supervisor/config.ts';
import { startSupervisor } from '../supervisor/daemon.ts';
import { framesProperty, hangUpProperty, hugeLineProperty } from '../supervisor/test/frame-properties.ts';
import { tempDir } from '../supervisor/test/helpers.ts';
import { extractorProperty, openCaptures } from '../slice/test/extract-properties.ts';
import { CHROMIUM } from '../slice/test/wa-support.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);
if (!Number.isInteger(RUNS) || RUNS <= 0) throw new Error(`FUZZ_RUNS: expected a positive integer, got ${process.env.FUZZ_RUNS}`);
const results: FuzzResult[] = [];

// ---- the supervisor's socket ----------------------------------------------------------------------
const cluster = await startTestCluster('bench-fuzz');
const dir = tempDir('bench-fuzz');
try {
  const socketPath = path.join(dir, 'run', 'supervisor.sock');
  const config = loadSupervisorConfig({ SUPERVISOR_SOCKET: socketPath, STATE_DIR: path.join(dir, 'state'), DATABASE_URL: cluster.adminUrl, RUNTIME: 'process', MAX_SLICES: '50', LOG_LEVEL: 'silent' });
  const daemon = await startSupervisor(config, { log: createLogger('supervisor', 'silent') });
  try {
    const target = { socketPath, maxSlices: 50 };
    results.push(await runProperty('supervisor-frames', framesProperty(target), RUNS));
    results.push(await runProperty('supervisor-huge-lines', hugeLineProperty(target), Math.max(20, Math.round(RUNS / 50))));
    results.push(await runProperty('supervisor-hang-ups', hangUpProperty(target), Math.max(100, Math.round(RUNS / 5))));
  } finally {
    await daemon.close();
  }
} finally {
  await cluster.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---- the DOM extractor ------------------------------------------------------------------------------
const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=en-US'] });
try {
  results.push(await runProperty('extractor-mutated-captures', extractorProperty(await openCaptures(browser)), RUNS));
} finally {
  await browser.close();
}

for (const r of results) {
  console.log(`fuzz ${r.name} runs=${r.runs} failures=${r.failures} time=${(r.ms / 1000).toFixed(1)} s`);
  if (r.report) process.stderr.write(`# ${r.name}: ${r.report}\n`);
}
process.exit(results.some((r) => r.failures > 0) ? 1 : 0);
