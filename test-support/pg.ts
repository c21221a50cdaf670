// A PostgreSQL cluster of its own for each test file, so files run in parallel without sharing
// roles (roles are cluster-wide). A template data directory is initialised once per run by
// test-support/before.ts and copied here: a copy and a start take well under a second.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../sql/embedded.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TEST_DATA = path.join(ROOT, '.data', 'test');
export const TEMPLATE_DIR = path.join(TEST_DATA, 'template', 'pg');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Initialise the template once (before.ts calls this; safe to call again). */
export async function ensureTemplate(): Promise<void> {
  if (fs.existsSync(path.join(TEMPLATE_DIR, 'PG_VERSION'))) return;
  const handle = await startEmbeddedPostgres({ dataDir: TEMPLATE_DIR, port: await freePort() });
  await handle.stop();
}

export interface TestCluster extends EmbeddedPostgresHandle {
  /** Admin (superuser) URL of the database wank_saas in this cluster. */
  adminUrl: string;
}

export interface TestClusterOptions {
  /** Put the cluster's directory on a tmpfs of this size (mounted here, unmounted by stop; needs
   * root): for the disk-full fault tests. */
  tmpfsSize?: `${number}m`;
}

export async function startTestCluster(name: string, options: TestClusterOptions = {}): Promise<TestCluster> {
  await ensureTemplate();
  const safe = name.replace(/[^a-z0-9-]+/gi, '-').slice(0, 40);
  const dir = path.join(TEST_DATA, `${safe}-${process.pid}-${Date.now()}`, 'pg');
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (options.tmpfsSize) execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${options.tmpfsSize}`, 'tmpfs', path.dirname(dir)]);
  // cp -a keeps the postgres user's ownership and the 0700 mode the server insists on.
  execFileSync('cp', ['-a', TEMPLATE_DIR, dir]);
  fs.copyFileSync(`${TEMPLATE_DIR}.password`, `${dir}.password`);
  fs.rmSync(path.join(dir, 'postmaster.pid'), { force: true });
  const handle = await startEmbeddedPostgres({ dataDir: dir, port: await freePort() });
  return {
    ...handle,
    adminUrl: handle.url,
    stop: async () => {
      await handle.stop();
      if (options.tmpfsSize) execFileSync('umount', [path.dirname(dir)]);
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    },
  };
}

/** Stop a cluster's server the way an operator or a crash does (fast shutdown of the postmaster),
 * keeping its data directory so a fault test can start it again on the same port. */
export async function stopPostgres(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (fs.existsSync(pidFile)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL in ${dataDir} did not stop within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
