// The supervisor's figures: RPC round trip on the socket, slice.start → RUNNING per runtime, and
// the daemon's memory idle and with 20 slices. Runs alone: npx tsx bench/supervisor.bench.ts
//
// - process runtime start → RUNNING: the real slice program (WA_MODE=sim, real Chromium).
// - docker runtime start → RUNNING: the real slice image (built if missing); skipped with a line
//   saying so when no Docker engine can be started.
// - 20 slices: process-runtime slices running the stand-in supervisor/test/fixtures/minimal-slice.ts
//   (the daemon's own memory is what is measured; 20 Chromiums would not fit 2 cores).
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startTestCluster } from '../test-support/pg.ts';
import { SupervisorClient } from '../supervisor/client.ts';
import { createLogger } from '../lib/logger.ts';
import { ensureDocker, ensureSliceImage, startDaemon, startReachableCluster, tempDir, waitForState } from '../supervisor/test/helpers.ts';

// The daemon as production runs it (systemd/wank-supervisor.service's ExecStart): compiled once
// (scripts/build-server.sh), no TypeScript loader, a small young generation.
execFileSync('bash', ['scripts/build-server.sh'], { stdio: 'inherit' });
const unit = fs.readFileSync('systemd/wank-supervisor.service', 'utf8');
const execStart = /^ExecStart=\S*node (.+)$/m.exec(unit)?.[1]?.trim().split(/\s+/);
if (!execStart?.includes('dist/server/supervisor.mjs')) throw new Error('systemd/wank-supervisor.service does not run dist/server/supervisor.mjs');
const DAEMON = execStart;

const STARTSECS = '1';

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function startToRunning(client: SupervisorClient, id: number): Promise<number> {
  await client.call('slice.create', { id });
  const t0 = performance.now();
  await client.call('slice.start', { id });
  await waitForState(client, id, 'RUNNING', 180_000);
  return performance.now() - t0;
}

async function main() {
  const cluster = await startTestCluster('bench-supervisor');
  const dir = tempDir('bench');
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    process.stdout.write(line + '\n');
  };
  try {
    // ---- process runtime: RPC, idle memory, start → RUNNING with the real slice ----------------
    const env = (name: string, extra: Record<string, string> = {}) => ({
      SUPERVISOR_SOCKET: path.join(dir, name, 'run', 'supervisor.sock'),
      STATE_DIR: path.join(dir, name, 'state'),
      DATABASE_URL: cluster.adminUrl,
      RUNTIME: 'process',
      WA_MODE: 'sim',
      STARTSECS,
      HEALTH_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
      ...extra,
    });
    const d1 = await startDaemon({ ...env('proc'), SLICE_COMMAND: 'node dist/server/slice.mjs' }, 60_000, DAEMON);
    const c1 = new SupervisorClient({ socketPath: d1.socketPath, timeoutMs: 180_000 });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      say(`supervisor daemon idle rss=${rssMb(d1.proc.pid!)} MB`);
      for (let i = 0; i < 200; i++) await c1.call('system.version', {});
      const samples: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const t0 = performance.now();
        await c1.call('slice.list', {});
        samples.push(performance.now() - t0);
      }
      samples.sort((a, b) => a - b);
      say(`supervisor rpc p50=${pct(samples, 50).toFixed(3)} ms p99=${pct(samples, 99).toFixed(3)} ms (slice.list, 5000 sequential calls on one connection)`);
      const ms = await startToRunning(c1, 1);
      say(`supervisor process start→RUNNING=${Math.round(ms)} ms (real slice, WA_MODE=sim, startsecs=${STARTSECS})`);
      await c1.call('slice.remove', { id: 1, purgeData: true });
    } finally {
      await c1.close();
      await d1.stop();
    }

    // ---- 20 process-runtime slices (stand-in) -----------------------------------------------------
    const d2 = await startDaemon(env('twenty', { SLICE_COMMAND: 'node --import tsx supervisor/test/fixtures/minimal-slice.ts' }), 60_000, DAEMON);
    const c2 = new SupervisorClient({ socketPath: d2.socketPath, timeoutMs: 180_000 });
    try {
      const ids = Array.from({ length: 20 }, (_, i) => i + 1);
      for (const id of ids) await c2.call('slice.create', { id });
      await Promise.all(ids.map((id) => c2.call('slice.start', { id })));
      await Promise.all(ids.map((id) => waitForState(c2, id, 'RUNNING', 180_000)));
      await new Promise((r) => setTimeout(r, 2000));
      const peak = rssMb(d2.proc.pid!);
      // Steady state: what it holds once the starts (20 provisionings, 20 spawns) are behind it.
      await new Promise((r) => setTimeout(r, 15_000));
      say(`supervisor daemon with 20 slices rss=${rssMb(d2.proc.pid!)} MB steady (${peak} MB 2 s after the 20 starts; process runtime, stand-in slices)`);
    } finally {
      await c2.close();
      await d2.stop();
    }

    // ---- docker runtime: start → RUNNING with the real image ---------------------------------------
    try {
      ensureDocker();
      ensureSliceImage('queunir/slice:latest');
    } catch (err) {
      say(`supervisor docker start→RUNNING=skipped (no Docker engine: ${(err as Error).message.split('\n')[0]})`);
      return;
    }
    const { DockerRuntime } = await import('../supervisor/runtimes/docker.ts');
    const probe = new DockerRuntime({ image: 'queunir/slice:latest', network: 'wank-slices', dbHost: 'auto', memoryMb: 768, pidsLimit: 1024, shmMb: 512, cpus: 1, command: null, log: createLogger('bench', 'silent') });
    await probe.init();
    const net = await probe.networkAddress();
    await probe.close();
    const reachable = await startReachableCluster('bench-docker', net.gateway, net.subnet);
    const d3 = await startDaemon({ ...env('docker'), RUNTIME: 'docker', DATABASE_URL: reachable.adminUrl, SLICE_MEMORY_MB: '1024' }, 60_000, DAEMON);
    const c3 = new SupervisorClient({ socketPath: d3.socketPath, timeoutMs: 180_000 });
    try {
      const id = 48;
      await c3.call('slice.remove', { id, purgeData: true }).catch(() => {});
      const ms = await startToRunning(c3, id);
      say(`supervisor docker start→RUNNING=${Math.round(ms)} ms (real slice image, WA_MODE=sim, startsecs=${STARTSECS})`);
      await c3.call('slice.remove', { id, purgeData: true });
    } finally {
      await c3.close();
      await d3.stop();
      await reachable.stop();
    }
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`supervisor bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
