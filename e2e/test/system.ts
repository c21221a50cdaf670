// The real system for the browser test: PostgreSQL of the file's own, the supervisor and the gateway
// as child processes (the way production runs them), the SaaS web build served by the gateway.
// Reuses the gateway system tests' helpers where they fit; the supervisor is started here because
// this test needs the phone to scan only when told (SIM_SCAN_AFTER_MS=0) and a small MAX_SLICES.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { chromium } from 'playwright-core';
import { startTestCluster, freePort, ROOT } from '../../test-support/pg.ts';
import { createDb, urlForRole } from '../../sql/database.ts';
import { provisionGateway, GATEWAY_ROLE } from '../../sql/provision.ts';
import { SupervisorClient } from '../../supervisor/client.ts';
import { CHROMIUM, reserveSliceIds, sliceRow, waitUntil } from '../../gateway/test/system.ts';
import { Browser, type TestResponse } from '../../gateway/test/helpers.ts';

export { assertChromium, CHROMIUM, waitUntil, sliceRow } from '../../gateway/test/system.ts';
export { ROOT };

interface Tap {
  teardown(fn: () => unknown): void;
  comment(...args: unknown[]): void;
}

/** A child program whose last output lines are kept for failure messages. */
export class Child {
  proc: ChildProcess;
  output: string[] = [];

  constructor(readonly name: string, args: string[], env: Record<string, string>) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => {
      this.output.push(b.toString());
      if (this.output.length > 300) this.output.shift();
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  tail(n = 40): string {
    return this.output.join('').split('\n').slice(-n).join('\n');
  }

  async stop(graceMs = 40_000): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
      this.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.proc.kill('SIGTERM');
    });
  }
}

/** Hash of everything the web build depends on, so an unchanged app is built only once. */
function webSourceHash(): string {
  const h = crypto.createHash('sha256');
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === 'node_modules' || e.name === 'test') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        h.update(path.relative(ROOT, p));
        h.update(fs.readFileSync(p));
      }
    }
  };
  walk(path.join(ROOT, 'web'));
  h.update(fs.readFileSync(path.join(ROOT, 'package-lock.json')));
  return h.digest('hex').slice(0, 16);
}

/**
 * The SaaS build of the web app (VITE_SAAS=1) in a directory of its own under the temp dir, never the
 * developer's dist/web: built once per version of web/ and reused by later runs.
 */
async function saasWebBuild(t: Tap): Promise<string> {
  const out = path.join(os.tmpdir(), `queunir-e2e-web-${webSourceHash()}`);
  if (fs.existsSync(path.join(out, 'index.html'))) return out;
  const building = `${out}.building-${process.pid}`;
  t.comment(`building the SaaS web app into ${out}`);
  try {
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--outDir', building, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, VITE_SAAS: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`the SaaS web build failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  if (!fs.existsSync(path.join(building, 'index.html'))) throw new Error(`the SaaS web build wrote no index.html into ${building}`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(building, out);
  return out;
}

export interface System {
  /** http://localhost:PORT: the origin the gateway trusts (PUBLIC_URL). */
  origin: string;
  adminUrl: string;
  supervisor: Child;
  /** The running gateway (a new Child after restartGateway). */
  gateway: Child;
  /** Start the gateway again on the same port with the same configuration (same SESSION_SECRET,
   * so sessions survive it), once the old one has exited: the way systemd restarts it after a crash. */
  restartGateway(): Promise<Child>;
  supervisorClient: SupervisorClient;
  /** A POST to a slice's sim control route, the simulated phone's side (behind the slice token). */
  sim(sliceId: number, route: string, body?: unknown): Promise<Response>;
  /** A GET on the slice's own API with its token (to learn ids the phone needs, never to assert the UI). */
  sliceGet<T>(sliceId: number, route: string): Promise<T>;
  /** True once the slice logged the end of its initial sync (live messages are observed after it). */
  sliceSynced(sliceId: number): Promise<boolean>;
  /** The supervisor's state directory (the process runtime keeps each slice's session there). */
  stateDir: string;
}

/** A browser speaking real HTTP to the system's gateway; its Origin is the gateway's PUBLIC_URL. */
export class SystemUser extends Browser {
  constructor(private readonly origin: string) {
    super(null as never, origin.replace('localhost', '127.0.0.1'));
  }
  override request(method: Parameters<Browser['request']>[0], url: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse> {
    return super.request(method, url, body, { origin: this.origin, ...headers });
  }
}

/** Debian's Chromium as the browser tests drive it (flags from ENVIRONMENT.md: headless as root, no background traffic). */
export function launchBrowser(): Promise<import('playwright-core').Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** What the programs said, for whoever reads a failure: beside the screenshots, ignored by git. */
function writeOutput(name: string, text: string): void {
  const out = path.join(ROOT, 'screenshots', 'e2e', name);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
}

/** A file's slices start at its first slice (ports 5000 + 2N − 1 no other test file uses at the same time). */
const FIRST_SLICE = 71;

export interface SystemOptions {
  /** The first slice id this file's system hands out (default 71): files that run at the same
   * time need ranges of their own. */
  firstSlice?: number;
  /** More environment for the gateway (e.g. billing pointed at the fake Stripe API). */
  gatewayEnv?: Record<string, string>;
}

export async function startSystem(t: Tap, name: string, options: SystemOptions = {}): Promise<System> {
  const cluster = await startTestCluster(name);
  t.teardown(() => cluster.stop());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `e2e-${name}-`));
  // Under /tmp and world-readable: the embedded PostgreSQL user reaches nothing here, the slices do.
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  const admin = createDb<any>(cluster.adminUrl, { max: 1 });
  const gatewayPassword = crypto.randomBytes(24).toString('base64url');
  try {
    await provisionGateway(admin, { password: gatewayPassword });
  } finally {
    await admin.destroy();
  }
  const gatewayUrl = urlForRole(cluster.adminUrl, GATEWAY_ROLE, gatewayPassword);
  // The gateway's tables exist once provisioned; ids below ours are held by placeholder rows.
  const firstSlice = options.firstSlice ?? FIRST_SLICE;
  await reserveSliceIds(cluster.adminUrl, firstSlice);

  const webDir = await saasWebBuild(t);
  const socket = path.join(dir, 'supervisor.sock');
  const stateDir = path.join(dir, 'state');
  const maxSlices = String(firstSlice + 1);
  const supervisor = new Child('supervisor', ['supervisor/main.ts'], {
    DATABASE_URL: cluster.adminUrl,
    SUPERVISOR_SOCKET: socket,
    STATE_DIR: stateDir,
    RUNTIME: 'process',
    MAX_SLICES: maxSlices,
    WA_MODE: 'sim',
    // The phone scans only when the test tells it to (POST /sim/scan).
    SIM_SCAN_AFTER_MS: '0',
    CHROMIUM_PATH: '/usr/lib/chromium/chromium',
    // info: the slice's "initial sync done" line is how the test knows live messages are observed.
    LOG_LEVEL: 'info',
    STARTSECS: '1',
  });
  const supervisorClient = new SupervisorClient({ socketPath: socket, timeoutMs: 30_000 });
  t.teardown(async () => {
    // The slices' own log lines live in the supervisor (slice.tailLog): read them before it stops.
    let slices = '';
    try {
      for (const s of await supervisorClient.call('slice.list', {})) {
        const { lines } = await supervisorClient.call('slice.tailLog', { id: s.id, lines: 400 });
        slices += `== slice ${s.id} (${s.state})\n${lines.join('\n')}\n`;
      }
    } catch (err) {
      slices += `(slice logs unavailable: ${(err as Error).message})\n`;
    }
    writeOutput('supervisor-output.txt', `== supervisor\n${supervisor.tail(400)}\n${slices}`);
    await supervisorClient.close();
    await supervisor.stop();
  });
  await waitUntil('the supervisor listening', 60_000, () => {
    if (supervisor.exited) throw new Error(`the supervisor exited:\n${supervisor.tail()}`);
    return fs.existsSync(socket);
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${supervisor.tail()}`);
  });

  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const gatewayEnv = {
    DATABASE_URL: gatewayUrl,
    SUPERVISOR_SOCKET: socket,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: origin,
    SESSION_SECRET: crypto.randomBytes(36).toString('base64url'),
    WEB_DIR: webDir,
    DATA_DIR: path.join(dir, 'gateway-data'),
    MAX_SLICES: maxSlices,
    MONITOR_INTERVAL_MS: '5000',
    LOG_LEVEL: 'warn',
    ...options.gatewayEnv,
  };
  const startGateway = async (): Promise<Child> => {
    const child = new Child('gateway', ['gateway/main.ts'], gatewayEnv);
    await waitUntil('the gateway answering /healthz', 60_000, async () => {
      if (child.exited) throw new Error(`the gateway exited:\n${child.tail()}`);
      return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${child.tail()}`);
    });
    return child;
  };
  let gateway = await startGateway();
  t.teardown(() => gateway.stop());
  t.teardown(() => writeOutput('gateway-output.txt', gateway.tail(400)));

  const sliceAuth = async (id: number) => {
    const row = await sliceRow(cluster.adminUrl, id);
    return { base: `http://127.0.0.1:${row.port}`, headers: { authorization: `Bearer ${row.token}` } };
  };
  return {
    origin,
    adminUrl: cluster.adminUrl,
    supervisor,
    get gateway() {
      return gateway;
    },
    async restartGateway() {
      if (!gateway.exited) throw new Error('restartGateway: the gateway still runs (kill or stop it first)');
      gateway = await startGateway();
      return gateway;
    },
    supervisorClient,
    stateDir,
    async sim(sliceId, route, body) {
      const { base, headers } = await sliceAuth(sliceId);
      return fetch(`${base}${route}`, {
        method: 'POST',
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    async sliceGet<T>(sliceId: number, route: string) {
      const { base, headers } = await sliceAuth(sliceId);
      const r = await fetch(`${base}${route}`, { headers });
      if (!r.ok) throw new Error(`GET ${route} on slice ${sliceId}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    async sliceSynced(sliceId) {
      const { lines } = await supervisorClient.call('slice.tailLog', { id: sliceId, lines: 2000 });
      return lines.some((l) => l.includes('initial sync done'));
    },
  };
}

/**
 * Steps that build on each other: after a failure the rest fail at once (never skipped) instead of
 * each waiting out its timeouts, and the failed step leaves a picture of what the browser showed
 * (`failed-{prefix}{step}.png`, through `picture`).
 */
export function stepSequence(t: Test, picture: (file: string) => Promise<unknown>, prefix = ''): (name: string, fn: (t: Test) => Promise<void>) => void {
  let broken = '';
  return (name, fn) => {
    t.test(name, async (st) => {
      if (broken) {
        st.fail(`not run: the step "${broken}" failed before it`);
        return;
      }
      const failed = () => {
        broken = name;
        return picture(`failed-${prefix}${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}.png`).catch(() => {});
      };
      try {
        await fn(st);
      } catch (err) {
        await failed();
        throw err;
      }
      if (!st.passing()) await failed();
    });
  };
}

let axeCode: string | null = null;
const axeSource = () => (axeCode ??= fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * The accessibility pass of one screen: axe-core (injected from node_modules) finds no serious or
 * critical violation, and the page has exactly one <main>. Failures print each rule and its nodes.
 */
export async function checkA11y(t: Test, page: import('playwright-core').Page, screen: string): Promise<void> {
  // Evaluated through the automation channel: the app's Content-Security-Policy (script-src 'self')
  // rightly refuses an injected <script>, and the test must not loosen it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(`${axeSource()}\n;void 0`);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const describe = (vs: AxeViolation[]) =>
    vs.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.slice(0, 8).map((n) => `    ${n.target.join(' ')} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 220)}`).join('\n')}`).join('\n');
  t.same(bad.map((v) => v.id), [], `${screen}: no serious or critical accessibility violations${bad.length ? `\n${describe(bad)}` : ''}`);
  const minor = violations.filter((v) => !bad.includes(v));
  if (minor.length) t.comment(`${screen}: minor/moderate accessibility findings: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  t.equal(await page.locator('main').count(), 1, `${screen}: one <main>`);
}
