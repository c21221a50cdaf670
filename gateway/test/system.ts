// The real parts for the gateway's system tests: the supervisor daemon as a child process (process
// runtime, slices in sim mode: real Chromium on the simulator page), and an SSE client.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../sql/database.ts';
import { SseParser, type SseEvent } from '../support/sse.ts';
import { ROOT } from '../app.ts';

export const CHROMIUM = '/usr/lib/chromium/chromium';

export function assertChromium(): void {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
}

export class Supervisor {
  proc: ChildProcess | null = null;
  output: string[] = [];
  readonly socket: string;
  readonly stateDir: string;

  /** `env`: values over the defaults below (SIM_SCAN_AFTER_MS '0': the phone scans only when told). */
  constructor(readonly dir: string, readonly adminUrl: string, readonly env: Record<string, string> = {}) {
    this.socket = path.join(dir, 'supervisor.sock');
    this.stateDir = path.join(dir, 'state');
  }

  async start(): Promise<void> {
    fs.rmSync(this.socket, { force: true });
    const proc = spawn(process.execPath, ['--import', 'tsx', 'supervisor/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/root',
        DATABASE_URL: this.adminUrl,
        SUPERVISOR_SOCKET: this.socket,
        STATE_DIR: this.stateDir,
        RUNTIME: 'process',
        WA_MODE: 'sim',
        SIM_SCAN_AFTER_MS: '300',
        // Three small chats: the initial sync ends in seconds, and live messages are observed after it.
        SIM_SCENARIO: path.join(ROOT, 'gateway', 'test', 'fixtures', 'small-scenario.json'),
        CHROMIUM_PATH: CHROMIUM,
        LOG_LEVEL: 'warn',
        STARTSECS: '1',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const keep = (b: Buffer) => {
      this.output.push(b.toString());
      if (this.output.length > 200) this.output.shift();
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(this.socket)) {
      if (proc.exitCode !== null) throw new Error(`supervisor exited: ${this.output.join('')}`);
      if (Date.now() > deadline) throw new Error(`supervisor did not listen: ${this.output.join('')}`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 40_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
    this.proc = null;
  }

  slicePid(id: number): number | null {
    try {
      const pid = Number(fs.readFileSync(path.join(this.stateDir, 'run', `slice-${id}.pid`), 'utf8'));
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }
}

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gw-${name}-`));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil<T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(200);
  }
}

/**
 * Slice ids below `upTo` are taken by placeholder rows (state 'removed'), so that this file's
 * slices get ports no other test file uses at the same time (the supervisor's own tests use 1, 2).
 */
export async function reserveSliceIds(adminUrl: string, upTo: number): Promise<void> {
  const db = createDb<any>(adminUrl, { max: 1 });
  try {
    for (let id = 1; id < upTo; id++) {
      const a = await db.insertInto('gateway.accounts').values({ name: `reserved ${id}` }).returning('id').executeTakeFirstOrThrow();
      await db
        .insertInto('gateway.slices')
        .values({ id, account_id: a.id, port: 5000 + 2 * id - 1, token: '', desired_state: 'removed' })
        .execute();
    }
  } finally {
    await db.destroy();
  }
}

export async function sliceRow(adminUrl: string, id: number): Promise<{ port: number; token: string; observed_state: string; health: unknown }> {
  const db = createDb<any>(adminUrl, { max: 1 });
  try {
    return await db.selectFrom('gateway.slices').select(['port', 'token', 'observed_state', 'health']).where('id', '=', id).executeTakeFirstOrThrow();
  } finally {
    await db.destroy();
  }
}

/** An EventSource-like reader that keeps everything it got. */
export class EventStream {
  readonly events: SseEvent[] = [];
  status = 0;
  /** the response's body ended or its connection closed */
  ended = false;
  private req: http.ClientRequest;
  private waiters: (() => void)[] = [];

  constructor(url: string, headers: Record<string, string>) {
    this.req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      this.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      const parser = new SseParser((e) => {
        this.events.push(e);
        for (const w of this.waiters.splice(0)) w();
      });
      res.on('data', (c: string) => parser.push(c));
      res.on('error', () => {});
      res.on('close', () => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w();
      });
    });
    this.req.on('error', () => {});
  }

  async waitFor(pred: (e: SseEvent) => boolean, ms: number): Promise<SseEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${ms} ms; got: ${this.events.map((e) => e.event).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.req.destroy();
  }
}
