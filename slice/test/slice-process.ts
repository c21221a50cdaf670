// Runs the real slice program (slice/main.ts) as a child process for the flow tests.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { createDb, urlForRole } from '../../sql/database.ts';
import { provisionSlice } from '../../sql/provision.ts';
import type { SliceDatabase } from '../../sql/slice/schema.ts';
import { ROOT, startTestCluster } from '../../test-support/pg.ts';
import { TOKEN as SLICE_TEST_TOKEN } from './helpers.ts';
import { processesWithAnyArg } from '../../lib/leftover-processes.ts';

export interface SliceProcess {
  child: ChildProcess;
  port: number;
  base: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A JSON call to a slice process with the test token: its status and parsed body (null if empty). */
export function sliceApi(slice: Pick<SliceProcess, 'base'>) {
  return async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${slice.base}${url}`, {
      method,
      headers: { authorization: `Bearer ${SLICE_TEST_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

export function startSliceProcess(env: Record<string, string>, port: number): SliceProcess {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'slice', 'main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', SLICE_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => out, exited };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * SIGKILL every process whose command line names `dir` (the Chromium of a slice that was itself
 * SIGKILLed: Chromium runs in its own process group, so it outlives its parent). In a container the
 * kill takes the whole container; here this does the same. Returns the pids it killed.
 */
export function killProcessesUsing(dir: string): number[] {
  const killed: number[] = [];
  for (const pid of processesWithAnyArg((a) => a.includes(dir))) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      /* already gone */
    }
  }
  return killed;
}

/** SIGKILLs the slice process (when it still runs) and then its Chromium (every process naming its session folder), as a container's kill would. */
export async function killSliceProcess(slice: SliceProcess, authDir: string): Promise<void> {
  if (slice.child.exitCode === null && slice.child.signalCode === null) {
    slice.child.kill('SIGKILL');
    await slice.exited;
  }
  killProcessesUsing(authDir);
}

/**
 * What a slice process needs around it: a PostgreSQL cluster of the test's own with slice 1
 * provisioned (its role's URL, and a connection scoped to its schema), and a temp folder for its
 * session (auth/) and scenario file; all removed when the test ends.
 */
export async function sliceProcessSetting(
  t: { teardown(fn: () => unknown): void },
  name: string,
): Promise<{ sliceUrl: string; db: Kysely<SliceDatabase>; dir: string; authDir: string; scenarioFile: string }> {
  const cluster = await startTestCluster(name);
  t.teardown(() => cluster.stop());
  const admin = createDb<any>(cluster.adminUrl, { max: 1 });
  t.teardown(() => admin.destroy());
  const provisioned = await provisionSlice(admin, 1);
  const sliceUrl = urlForRole(cluster.adminUrl, 'slice_1', provisioned.password!);
  const db = createDb<SliceDatabase>(sliceUrl, { max: 2 }).withSchema('slice_1');
  t.teardown(() => db.destroy());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `queunir-${name}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { sliceUrl, db, dir, authDir: path.join(dir, 'auth'), scenarioFile: path.join(dir, 'scenario.json') };
}

/** The environment of slice 1 in sim mode over that setting: the phone scans only when told. */
export function simSliceEnv(o: { sliceUrl: string; authDir: string; scenarioFile: string; chromium: string; token?: string }): Record<string, string> {
  return {
    DATABASE_URL: o.sliceUrl,
    SLICE_ID: '1',
    SLICE_TOKEN: o.token ?? SLICE_TEST_TOKEN,
    WA_MODE: 'sim',
    WA_AUTH_DIR: o.authDir,
    CHROMIUM_PATH: o.chromium,
    SIM_SCENARIO: o.scenarioFile,
    SIM_SCAN_AFTER_MS: '0',
    LOG_LEVEL: 'info',
  };
}

/** Whether Chromium has written the simulator's linked-device key into the profile's Local Storage:
 * before that, a kill loses the login (as it would a real WhatsApp Web login written moments ago). */
export function loginOnDisk(authDir: string): boolean {
  const walk = (dir: string): boolean =>
    fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return walk(p);
      return p.includes(`${path.sep}Local Storage${path.sep}`) && fs.readFileSync(p).includes('queunir-sim-device');
    });
  return fs.existsSync(authDir) && walk(authDir);
}
