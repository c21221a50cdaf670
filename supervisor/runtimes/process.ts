// The process runtime: each slice a child of the daemon, in a process group of its own so a stop
// reaches Chromium too. Output is kept in a ring buffer per slice for slice.tailLog. The embedded
// default (RUNTIME=process): no Docker, no isolation beyond the database role.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../lib/logger.ts';
import { endProcesses, processesWithAnyArg } from '../../lib/leftover-processes.ts';
import { slicePort } from '../protocol.ts';
import { foreignStoreError, storeOwnedBy, type RunningInstance, type RuntimeExit, type SliceLaunch, type SliceRuntime } from './runtime.ts';
import { readProcStats } from '../../lib/proc-stat.ts';

/** In a process-runtime session directory: the generation of the slice that owns it. */
const STORE_MARKER = '.queunir-store';

export interface ProcessRuntimeOptions {
  root: string;
  stateDir: string;
  /** e.g. "node --import tsx slice/main.ts"; "node" means the daemon's own node binary. */
  command: string;
  chromiumPath: string;
  logLines: number;
  /** How long close() lets children stop after SIGTERM before SIGKILL. */
  stopWaitMs: number;
  log: Logger;
}

/** A fixed-size ring of output lines. */
class LineRing {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly size: number) {}

  write(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 64 * 1024) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.size) this.lines.shift();
    }
  }

  tail(n: number): string[] {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-n);
  }
}

interface Child {
  proc: ChildProcess;
  pid: number;
  exited: boolean;
}

export class ProcessRuntime implements SliceRuntime {
  readonly kind = 'process' as const;
  private readonly children = new Map<number, Child>();
  private readonly logs = new Map<number, LineRing>();
  private readonly listeners: Array<(e: RuntimeExit) => void> = [];

  constructor(private readonly opts: ProcessRuntimeOptions) {}

  private authDir(id: number): string {
    return path.join(this.opts.stateDir, 'auth', `slice-${id}`);
  }
  private pidFile(id: number): string {
    return path.join(this.opts.stateDir, 'run', `slice-${id}.pid`);
  }

  async init(): Promise<void> {
    fs.mkdirSync(path.join(this.opts.stateDir, 'run'), { recursive: true, mode: 0o700 });
    // A daemon that died without stopping its children leaves them holding the slice ports:
    // their process groups are recorded, end them now (they cannot be adopted: no pipes).
    for (const name of fs.readdirSync(path.join(this.opts.stateDir, 'run'))) {
      const m = /^slice-(\d+)\.pid$/.exec(name);
      if (!m) continue;
      const pid = Number(fs.readFileSync(path.join(this.opts.stateDir, 'run', name), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 1 && groupAlive(pid)) {
        this.opts.log.warn({ slice: Number(m[1]), pid }, 'ending a slice process group left by a previous daemon');
        killGroup(pid, 'SIGKILL');
      }
      fs.rmSync(path.join(this.opts.stateDir, 'run', name), { force: true });
    }
  }

  async prepare(id: number, storeGeneration: string): Promise<void> {
    const dir = this.authDir(id);
    const marker = path.join(dir, STORE_MARKER);
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(marker, storeGeneration + '\n', { mode: 0o600 });
      return;
    }
    const found = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : null;
    if (!storeOwnedBy({ generation: found, empty: fs.readdirSync(dir).length === 0 }, storeGeneration)) {
      this.opts.log.warn({ slice: id, dir }, 'session store of another slice generation: refused');
      throw foreignStoreError(id, dir, found ? `generation ${found}` : 'no generation marker', `rm -rf ${dir}`);
    }
    // Marked for this generation from now on (a legacy or empty store is taken over).
    if (found !== storeGeneration) fs.writeFileSync(marker, storeGeneration + '\n', { mode: 0o600 });
  }

  async start(launch: SliceLaunch): Promise<string> {
    const { id } = launch;
    const old = this.children.get(id);
    if (old && !old.exited) killGroup(old.pid, 'SIGKILL');
    await this.prepare(id, launch.storeGeneration);
    const [cmd, ...args] = this.opts.command.trim().split(/\s+/);
    const ring = this.logs.get(id) ?? new LineRing(this.opts.logLines);
    this.logs.set(id, ring);
    // A clean environment: the daemon's own (its admin DATABASE_URL above all) is not inherited.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: this.authDir(id),
      LANG: process.env.LANG ?? 'C.UTF-8',
      NODE_ENV: process.env.NODE_ENV ?? 'production',
      ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
      CHROMIUM_PATH: this.opts.chromiumPath,
      ...launch.env,
      // The token and the database password come on a pipe, not in the environment: every process
      // of this user (the other slices, their Chromiums) may read /proc/<pid>/environ.
      SLICE_SECRETS_FD: '3',
      SLICE_ID: String(id),
      SLICE_PORT: String(slicePort(id)),
      SLICE_HOST: '127.0.0.1',
      WA_AUTH_DIR: this.authDir(id),
    };
    const proc = spawn(cmd === 'node' ? process.execPath : cmd!, args, {
      cwd: this.opts.root,
      env,
      detached: true, // its own process group: signals reach Chromium and its helpers too
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const secrets = proc.stdio[3] as NodeJS.WritableStream | null;
    secrets?.on('error', () => {}); // a child that died at once: reported through exit
    secrets?.end(JSON.stringify({ SLICE_TOKEN: launch.token, DATABASE_URL: launch.databaseUrl }));
    const pid = proc.pid;
    if (pid === undefined) {
      const err = await new Promise<Error>((resolve) => proc.once('error', resolve));
      throw new Error(`cannot run ${cmd}: ${err.message}`);
    }
    proc.on('error', () => {}); // reported through exit
    const child: Child = { proc, pid, exited: false };
    this.children.set(id, child);
    fs.writeFileSync(this.pidFile(id), String(pid), { mode: 0o600 });
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => ring.write(s));
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => ring.write(s));
    ring.write(`[supervisor] started pid ${pid}\n`);
    proc.once('exit', (code, signal) => {
      child.exited = true;
      // Whatever the slice left behind in its group goes with it; its Chromium leads a group of its
      // own, so it is found by its profile under the slice's auth dir and asked to end (it writes
      // the login to disk on SIGTERM).
      killGroup(pid, 'SIGKILL');
      const authPrefix = `--user-data-dir=${path.resolve(this.authDir(id))}/`;
      void endProcesses(processesWithAnyArg((a) => a.startsWith(authPrefix)), 3000);
      if (this.children.get(id) === child) fs.rmSync(this.pidFile(id), { force: true });
      const reason = signal ? `killed by ${signal}` : `exit code ${code}`;
      ring.write(`[supervisor] pid ${pid} ${reason}\n`);
      for (const l of this.listeners) l({ id, instanceId: String(pid), reason });
    });
    return String(pid);
  }

  async signal(id: number, how: 'terminate' | 'kill'): Promise<void> {
    const child = this.children.get(id);
    if (!child || child.exited) return;
    killGroup(child.pid, how === 'kill' ? 'SIGKILL' : 'SIGTERM');
  }

  async listRunning(): Promise<RunningInstance[]> {
    return [...this.children.entries()].filter(([, c]) => !c.exited).map(([id, c]) => ({ id, instanceId: String(c.pid) }));
  }

  async isRunning(id: number, instanceId: string): Promise<boolean> {
    const c = this.children.get(id);
    return !!c && !c.exited && String(c.pid) === instanceId;
  }

  async memoryBytes(id: number): Promise<number | null> {
    const c = this.children.get(id);
    if (!c || c.exited) return null;
    return groupRss(c.pid);
  }

  async tailLog(id: number, lines: number): Promise<string[]> {
    return this.logs.get(id)?.tail(lines) ?? [];
  }

  async remove(id: number): Promise<void> {
    const c = this.children.get(id);
    if (c && !c.exited) killGroup(c.pid, 'SIGKILL');
    this.children.delete(id);
    this.logs.delete(id);
    fs.rmSync(this.pidFile(id), { force: true });
  }

  async purge(id: number): Promise<void> {
    fs.rmSync(this.authDir(id), { recursive: true, force: true });
  }

  async remnants(id: number): Promise<string[]> {
    const found: string[] = [];
    if (fs.existsSync(this.authDir(id))) found.push(`directory ${this.authDir(id)}`);
    if (fs.existsSync(this.pidFile(id))) found.push(`file ${this.pidFile(id)}`);
    const c = this.children.get(id);
    if (c && !c.exited) found.push(`process group ${c.pid}`);
    return found;
  }

  onExit(listener: (exit: RuntimeExit) => void): void {
    this.listeners.push(listener);
  }

  baseUrl(id: number): string {
    return `http://127.0.0.1:${slicePort(id)}`;
  }

  /** Children die with the daemon: SIGTERM, then SIGKILL after stopWaitMs; waits for their exit. */
  async close(): Promise<void> {
    this.listeners.length = 0;
    const alive = [...this.children.values()].filter((c) => !c.exited);
    for (const c of alive) killGroup(c.pid, 'SIGTERM');
    const waitExit = async (ms: number) => {
      const deadline = Date.now() + ms;
      while (alive.some((c) => !c.exited) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    await waitExit(this.opts.stopWaitMs);
    for (const c of alive) if (!c.exited) killGroup(c.pid, 'SIGKILL');
    await waitExit(3000);
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sum of the resident memory of every process in the group (from /proc). */
function groupRss(pgid: number): number | null {
  let total = 0;
  let found = false;
  const page = 4096;
  for (const { fields } of readProcStats()) {
    if (Number(fields[2]) !== pgid) continue; // field 5: pgrp
    found = true;
    total += Number(fields[21]) * page; // field 24: rss in pages
  }
  return found ? total : null;
}
