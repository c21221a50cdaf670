// `npm start` / `npm run demo`: the whole system on this machine, in one terminal.
//   1. builds what is missing (the web app into dist/web when web/ changed since the last build),
//   2. starts the embedded PostgreSQL under .data/pg unless DATABASE_URL is set,
//   3. provisions the gateway's role (its password kept in .data/gateway-db-password),
//   4. starts the supervisor (RUNTIME=process unless set) on .run/supervisor.sock (DEVELOPMENT_SOCKET),
//   5. starts the gateway on http://localhost:3000 serving dist/web,
//   6. with --demo: slices run the WhatsApp simulator, and a demo account is created, connected,
//      its simulated phone scans the QR, and the login is printed.
// Logs of every program come out prefixed and readable; Ctrl-C stops everything cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb } from '../sql/database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../sql/embedded.ts';
import { provisionGatewayUrl, readOrCreateSecret } from '../gateway/support/database-url.ts';
import { hashPassword } from '../gateway/support/passwords.ts';
import { sessionCookieOf } from '../gateway/support/session-cookie.ts';
import { DEVELOPMENT_SOCKET } from '../supervisor/protocol.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.join(ROOT, '.data');
const demo = process.argv.includes('--demo');
const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? '127.0.0.1';
const PUBLIC_URL = process.env.PUBLIC_URL ?? `http://localhost:${PORT}`;
const SOCKET = process.env.SUPERVISOR_SOCKET ?? path.join(ROOT, DEVELOPMENT_SOCKET);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
const DEMO_EMAIL = 'demo@queunir.local';

const COLORS: Record<string, string> = { start: '1', db: '34', web: '35', supervisor: '36', gateway: '32', demo: '33' };
const tty = process.stdout.isTTY;

function say(name: string, line: string): void {
  const tag = `[${name}]`.padEnd(13);
  process.stdout.write(`${tty ? `\x1b[${COLORS[name] ?? '0'}m${tag}\x1b[0m` : tag} ${line}\n`);
}

function fail(line: string): never {
  process.stderr.write(`npm start: ${line}\n`);
  process.exit(1);
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

/** A pino JSON line as one readable line: time, level, message, then key=value. */
function readable(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const time = typeof o.time === 'number' ? new Date(o.time).toTimeString().slice(0, 8) : '';
    const level = LEVELS[Number(o.level)] ?? String(o.level ?? '');
    const extra = Object.entries(o)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${level.padEnd(5)} ${String(o.msg ?? '')}${extra ? `  ${extra}` : ''}`;
  } catch {
    return line;
  }
}

function pipeLines(name: string, stream: NodeJS.ReadableStream | null): void {
  if (!stream) return;
  let tail = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    tail += chunk;
    const lines = tail.split('\n');
    tail = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) say(name, readable(l));
  });
  stream.on('end', () => {
    if (tail.trim()) say(name, readable(tail));
  });
}

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Newest modification time under a path (files only), skipping node_modules. */
function newest(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of fs.readdirSync(p)) {
    if (entry === 'node_modules' || entry === 'test' || entry.startsWith('.')) continue;
    max = Math.max(max, newest(path.join(p, entry)));
  }
  return max;
}

function run(name: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    pipeLines(name, child.stdout);
    pipeLines(name, child.stderr);
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(127));
  });
}

async function buildWeb(): Promise<void> {
  const web = path.join(ROOT, 'web');
  if (!fs.existsSync(path.join(web, 'index.html'))) {
    say('web', 'no web app in web/: the gateway serves the API only');
    return;
  }
  const index = path.join(ROOT, 'dist', 'web', 'index.html');
  // The gateway serves the SaaS build (accounts, billing, linking through the gateway); a
  // self-hosted build left in dist/web (no VITE_SAAS) would ask for a slice token instead.
  const flavourFile = path.join(ROOT, 'dist', 'web', '.flavour');
  const flavour = fs.existsSync(flavourFile) ? fs.readFileSync(flavourFile, 'utf8').trim() : null;
  const built = fs.existsSync(index) && flavour === 'saas' ? fs.statSync(index).mtimeMs : 0;
  const source = Math.max(newest(path.join(web, 'src')), newest(path.join(web, 'index.html')), newest(path.join(web, 'vite.config.ts')));
  if (built >= source) {
    say('web', 'dist/web is up to date');
    return;
  }
  say('web', built ? 'web/ changed: rebuilding dist/web' : 'building the web app into dist/web (once)');
  const code = await run('web', 'npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: web, env: { ...process.env, VITE_SAAS: '1' } });
  if (code !== 0) fail(`the web app did not build (exit ${code}): see the [web] lines above, or fix web/ and run again`);
  fs.writeFileSync(flavourFile, 'saas\n');
  say('web', 'built dist/web');
}

const children: { name: string; child: ChildProcess }[] = [];
let embedded: EmbeddedPostgresHandle | null = null;
let stopping = false;

function startProgram(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches us once, and we stop the programs in order.
    detached: true,
  });
  pipeLines(name, child.stdout);
  pipeLines(name, child.stderr);
  children.push({ name, child });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    say('start', `${name} exited (${signal ?? `code ${code}`}): stopping everything`);
    void stopAll(1);
  });
  return child;
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('start', 'stopping…');
    // The gateway first (no new requests), then the supervisor (it stops the slices), then the database.
    for (const { name, child } of [...children].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await waitExit(child, name === 'supervisor' ? 40_000 : 10_000);
      }
    }
    if (embedded && !embedded.reused) {
      await embedded.stop().catch(() => {});
      say('db', 'PostgreSQL stopped');
    }
    say('start', 'stopped');
  }
  process.exit(code);
}

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    if (stopping) throw new Error('stopping');
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${Math.round(ms / 1000)} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

class Client {
  cookie = '';
  csrf = '';
  constructor(private readonly base: string) {}
  async call(method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
    const headers: Record<string, string> = { origin: new URL(PUBLIC_URL).origin };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf) headers['x-csrf-token'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    // The session cookie among those set (a sign-in also sets the known-device cookie).
    const session = sessionCookieOf(res.headers);
    if (session) this.cookie = session;
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (json?.csrfToken) this.csrf = json.csrfToken;
    return { status: res.status, json };
  }
}

async function demoAccount(adminUrl: string): Promise<void> {
  const password = readOrCreateSecret(path.join(DATA, 'demo-password'), 12);
  const base = `http://127.0.0.1:${PORT}`;
  const c = new Client(base);
  let r = await c.call('POST', '/api/auth/register', { email: DEMO_EMAIL, password });
  if (r.status === 409) {
    // The account exists from an earlier run: make sure the printed password is its password.
    const admin = createDb<any>(adminUrl, { max: 1 });
    try {
      await admin.updateTable('gateway.users').set({ password_hash: await hashPassword(password) }).where((eb: any) => eb(eb.fn('lower', ['email']), '=', DEMO_EMAIL)).execute();
    } finally {
      await admin.destroy();
    }
    r = await c.call('POST', '/api/auth/login', { email: DEMO_EMAIL, password });
  }
  if (r.status !== 200) throw new Error(`demo sign-in failed: ${JSON.stringify(r.json)}`);
  say('demo', `signed in as ${DEMO_EMAIL}; connecting its slice (Chromium with the simulator starts now)`);
  r = await c.call('POST', '/api/connect');
  if (r.status !== 202) throw new Error(`connect failed: ${JSON.stringify(r.json)}`);
  const sliceId: number = r.json.slice.id;
  await waitFor('the slice to run', 180_000, async () => (await c.call('GET', '/api/me')).json?.slice?.state === 'RUNNING');
  say('demo', `slice ${sliceId} is RUNNING`);
  // A login kept from an earlier run goes straight to READY; a new one stops at QR.
  const wa = await waitFor('the QR code or READY', 180_000, async () => {
    const me = (await c.call('GET', '/api/me')).json;
    return me?.wa?.state === 'QR' || me?.wa?.state === 'READY' ? (me.wa as { state: string }) : null;
  });
  if (wa.state !== 'READY') {
    say('demo', 'the QR code is up: the simulated phone scans it in a few seconds');
    await waitFor('WhatsApp READY', 120_000, async () => (await c.call('GET', '/api/me')).json?.wa?.state === 'READY');
  }
  const chats = await waitFor('chats', 60_000, async () => {
    const list = await c.call('GET', '/api/chats');
    return list.status === 200 && list.json.items.length > 0 ? (list.json.items as unknown[]) : null;
  });
  say('demo', `WhatsApp (simulated) is READY with ${chats.length} chats visible through /api/chats`);
  say('demo', '');
  say('demo', `  open ${PUBLIC_URL}   email: ${DEMO_EMAIL}   password: ${password}`);
  say('demo', '');
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  if (!(await portIsFree(PORT, HOST))) {
    fail(`port ${PORT} is taken by another program: stop it (see \`ss -ltnp 'sport = :${PORT}'\`) or run with PORT=<another port>`);
  }
  if ((process.env.RUNTIME ?? 'process') === 'process' && !fs.existsSync(CHROMIUM)) {
    fail(`Chromium is missing (${CHROMIUM}): install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH`);
  }

  await buildWeb();

  fs.mkdirSync(DATA, { recursive: true });
  fs.mkdirSync(path.dirname(SOCKET), { recursive: true });
  let adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    say('db', 'using DATABASE_URL');
  } else {
    say('db', 'starting the embedded PostgreSQL (.data/pg)');
    embedded = await startEmbeddedPostgres({ dataDir: path.join(DATA, 'pg'), port: Number(process.env.PG_EMBEDDED_PORT ?? 54320) });
    adminUrl = embedded.url;
    say('db', embedded.reused ? `reusing the PostgreSQL already running on port ${embedded.port}` : `PostgreSQL ready on 127.0.0.1:${embedded.port}`);
  }
  const gatewayUrl = await provisionGatewayUrl(adminUrl, DATA);
  say('db', 'gateway role wank_gateway ready');

  fs.rmSync(SOCKET, { force: true });
  startProgram('supervisor', 'supervisor/main.ts', {
    RUNTIME: process.env.RUNTIME ?? 'process',
    SUPERVISOR_SOCKET: SOCKET,
    STATE_DIR: process.env.STATE_DIR ?? path.join(DATA, 'supervisor'),
    DATABASE_URL: adminUrl,
    CHROMIUM_PATH: CHROMIUM,
    // In the demo every account's simulated phone scans its QR by itself after a few seconds, so a
    // visitor can try sign-up → link → inbox.
    ...(demo ? { WA_MODE: 'sim', SIM_SCAN_AFTER_MS: process.env.SIM_SCAN_AFTER_MS ?? '4000' } : {}),
  });
  await waitFor('the supervisor socket', 60_000, async () => fs.existsSync(SOCKET));

  startProgram('gateway', 'gateway/main.ts', {
    DATABASE_URL: gatewayUrl,
    SUPERVISOR_SOCKET: SOCKET,
    PORT: String(PORT),
    HOST,
    PUBLIC_URL,
    WEB_DIR: path.join(ROOT, 'dist', 'web'),
    DATA_DIR: DATA,
  });
  await waitFor('the gateway', 60_000, async () => (await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok);
  say('start', `Queunir is running on ${PUBLIC_URL}  (Ctrl-C stops everything)`);

  if (demo) {
    try {
      await demoAccount(adminUrl);
    } catch (err) {
      say('demo', `demo set-up failed: ${(err as Error).message}`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`npm start: ${err instanceof Error ? err.message : String(err)}\n`);
  void stopAll(1);
});
