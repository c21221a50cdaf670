// Shared by the supervisor's tests: a daemon run as a child process (like production, so it can
// be stopped and started again), waiting for states, raw socket access for protocol tests, and a
// PostgreSQL cluster that slice containers can reach.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, TEMPLATE_DIR, TEST_DATA, ensureTemplate, freePort } from '../../test-support/pg.ts';
import { startEmbeddedPostgres } from '../../sql/embedded.ts';
import { createLogger } from '../../lib/logger.ts';
import { SupervisorClient } from '../client.ts';
import type { SliceInfo, SliceState } from '../protocol.ts';

export { ROOT };

export function tempDir(name: string): string {
  const dir = path.join(TEST_DATA, `sup-${name}-${process.pid}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export interface DaemonChild {
  proc: ChildProcess;
  socketPath: string;
  output(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `npm run supervisor` as a child, resolved once its socket answers. */
/** The daemon from its TypeScript sources, or with `nodeArgs` as production runs it (the compiled
 * dist/server/supervisor.mjs and the unit's node flags). */
export async function startDaemon(env: Record<string, string>, timeoutMs = 60_000, nodeArgs?: string[]): Promise<DaemonChild> {
  const socketPath = env.SUPERVISOR_SOCKET!;
  const proc = spawn(process.execPath, nodeArgs ?? ['--import', 'tsx', 'supervisor/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // Kept after the test (the state dir is not) so a failure can be read.
  const logDir = path.join(TEST_DATA, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `supervisor-${path.basename(path.dirname(path.dirname(socketPath)))}.log`);
  const onData = (d: Buffer) => {
    out = (out + d).slice(-200_000);
    fs.appendFileSync(logFile, d);
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  // tap ends a timed-out file with SIGTERM: take the daemon along rather than leave an orphan
  // that keeps restarting slices.
  const orphanGuard = () => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    process.exit(143);
  };
  process.once('SIGTERM', orphanGuard);
  proc.once('exit', () => process.off('SIGTERM', orphanGuard));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`supervisor exited with ${proc.exitCode}:\n${out}`);
    if (fs.existsSync(socketPath) && (await answers(socketPath))) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`supervisor did not listen within ${timeoutMs} ms:\n${out}`);
    }
    await sleep(100);
  }
  return {
    proc,
    socketPath,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll slice.getInfo until the state is reached (or fail with the last info). */
export async function waitForState(client: SupervisorClient, id: number, states: SliceState | SliceState[], timeoutMs: number, extra: (info: SliceInfo) => boolean = () => true) {
  const want = Array.isArray(states) ? states : [states];
  const deadline = Date.now() + timeoutMs;
  let info = await client.call('slice.getInfo', { id });
  while (!(want.includes(info.state) && extra(info))) {
    if (Date.now() > deadline) throw new Error(`slice ${id} not ${want.join('|')} within ${timeoutMs} ms: ${JSON.stringify(info)}`);
    await sleep(50);
    info = await client.call('slice.getInfo', { id });
  }
  return info;
}

/** A raw connection for protocol tests: send lines, read answers line by line. */
export class RawConn {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;
  readonly socket: net.Socket;

  constructor(socketPath: string) {
    this.socket = net.createConnection(socketPath);
    this.socket.on('data', (d) => {
      this.buf += d.toString('utf8');
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  async line(timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        return JSON.parse(line);
      }
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('no answer');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await sleep(20);
    return this.closed;
  }

  close() {
    this.socket.destroy();
  }
}

/**
 * A cluster of this test file's own (copied from the tap template) that also listens on the
 * slice network's gateway and accepts logins from its subnet, as production's does.
 */
export async function startReachableCluster(name: string, gateway: string, subnet: string) {
  await ensureTemplate();
  const dir = path.join(TEST_DATA, `${name}-${process.pid}-${Date.now()}`, 'pg');
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  execFileSync('cp', ['-a', TEMPLATE_DIR, dir]);
  fs.copyFileSync(`${TEMPLATE_DIR}.password`, `${dir}.password`);
  fs.rmSync(path.join(dir, 'postmaster.pid'), { force: true });
  const handle = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), listen: `127.0.0.1,${gateway}`, sliceSubnet: subnet });
  return {
    adminUrl: handle.url,
    port: handle.port,
    stop: async () => {
      await handle.stop();
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    },
  };
}

/** Docker must be there: start it like CI does, fail loudly when it cannot. */
export function ensureDocker(): void {
  execFileSync('bash', [path.join(ROOT, 'scripts/ensure-docker.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** The slice image, built once when missing. */
/** The image of this checkout: the build script is a no-op when the image's context is current (an
 * image that merely exists may hold older code). */
export function ensureSliceImage(image: string): void {
  execFileSync('bash', [path.join(ROOT, 'scripts/build-slice-image.sh')], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, SLICE_IMAGE: image } });
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/**
 * The slice network (made through the runtime's own code, as the daemon does) and a cluster of
 * this file's own listening on its gateway, after Docker and the slice image are made sure of.
 */
export async function sliceNetworkCluster(name: string, image: string, options: { buildImage?: boolean } = {}) {
  ensureDocker();
  // Tests that start no slice need only the network and the database, not this checkout's image.
  if (options.buildImage !== false) ensureSliceImage(image);
  const { DockerRuntime } = await import('../runtimes/docker.ts');
  const probe = new DockerRuntime({ image, network: 'wank-slices', dbHost: 'auto', memoryMb: 768, pidsLimit: 1024, shmMb: 512, cpus: 1, command: null, log: createLogger('test', 'silent') });
  await probe.init();
  const net = await probe.networkAddress();
  await probe.close();
  return { net, cluster: await startReachableCluster(name, net.gateway, net.subnet) };
}
