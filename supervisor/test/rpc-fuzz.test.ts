// Property-based bad input on the supervisor's socket (issue 17): the real daemon in-process
// (process runtime, a PostgreSQL cluster of this file's own), fed fast-check's frames. A failure
// prints fast-check's seed and path: replay with FUZZ_RUNS and the seed in frame-properties.ts's
// callers. The properties are in frame-properties.ts; bench/fuzz.bench.ts runs them longer.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { createLogger } from '../../lib/logger.ts';
import { fuzzRuns } from '../../test-support/fuzz.ts';
import { startTestCluster } from '../../test-support/pg.ts';
import { loadSupervisorConfig } from '../config.ts';
import { startSupervisor } from '../daemon.ts';
import { framesProperty, hangUpProperty, hugeLineProperty, type FrameTarget } from './frame-properties.ts';
import { tempDir } from './helpers.ts';

const cluster = await startTestCluster('supervisor-rpc-fuzz');
t.teardown(() => cluster.stop());
const dir = tempDir('rpc-fuzz');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const socketPath = path.join(dir, 'run', 'supervisor.sock');
const config = loadSupervisorConfig({
  SUPERVISOR_SOCKET: socketPath,
  STATE_DIR: path.join(dir, 'state'),
  DATABASE_URL: cluster.adminUrl,
  RUNTIME: 'process',
  MAX_SLICES: '50',
  LOG_LEVEL: 'silent',
});
const daemon = await startSupervisor(config, { log: createLogger('supervisor', 'silent') });
t.teardown(() => daemon.close());
const target: FrameTarget = { socketPath, maxSlices: 50 };

t.test('frames of every kind, split anywhere, many in one write: each gets its predicted JSON-RPC answer', async (t) => {
  await fc.assert(framesProperty(target), { numRuns: fuzzRuns(1000) });
  t.pass(`${fuzzRuns(1000)} streams`);
});

t.test('lines over 1 MiB, in pieces: -32600, that connection closed, a new one served', async (t) => {
  await fc.assert(hugeLineProperty(target), { numRuns: fuzzRuns(20) });
  t.pass(`${fuzzRuns(20)} huge lines`);
});

t.test('clients hanging up mid-frame: the daemon serves the next one', async (t) => {
  await fc.assert(hangUpProperty(target), { numRuns: fuzzRuns(200) });
  t.pass(`${fuzzRuns(200)} hang-ups`);
});
