// The README's first command on a fresh clone: `npm run demo` builds what is missing, starts the
// embedded PostgreSQL, the supervisor and the gateway, and reaches a READY WhatsApp (the simulator,
// standing in for WhatsApp's servers, in real Chromium) with chats visible through /api/chats; the
// app is served; Ctrl-C stops all of it and leaves nothing running. Then `npm start` on the same
// clone serves the app again with the data kept.
import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../test-support/pg.ts';
import { sessionCookieOf } from '../../gateway/support/session-cookie.ts';
import { processesWithAnyArg } from '../../lib/leftover-processes.ts';
import { assertChromium, ROOT } from './system.ts';

t.setTimeout(15 * 60_000);
assertChromium();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-npm-demo-'));
const clone = path.join(dir, 'queunir');
execFileSync('git', ['clone', '--quiet', ROOT, clone]);
// node_modules is shared with this working copy (installing it again would fetch 800 packages);
// the clone's lockfile is dated before it so the setup script sees the packages as installed.
fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
const old = new Date('2000-01-01T00:00:00Z');
fs.utimesSync(path.join(clone, 'package-lock.json'), old, old);
/** Every process of the clone: started in it (its working directory) or naming it (PostgreSQL, Chromium). */
function cloneProcesses(): number[] {
  const pids = new Set(processesWithAnyArg((a) => a.includes(clone)));
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      if (cwd === clone || cwd.startsWith(`${clone}/`)) pids.add(Number(name));
    } catch {}
  }
  pids.delete(process.pid);
  return [...pids];
}

t.teardown(() => {
  for (const pid of cloneProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function npmRun(script: 'demo' | 'start', env: Record<string, string>): Run {
  let out = '';
  // Its own process group: Ctrl-C in a terminal reaches the whole group, as here.
  const child = spawn('npm', ['run', script], { cwd: clone, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until<T>(what: string, ms: number, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, run: Run): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (run.child.exitCode !== null) throw new Error(`npm exited (${run.child.exitCode}) before ${what}:\n${run.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}:\n${run.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Ctrl-C as a terminal sends it (to the whole process group); resolves with the pids of the clone
 * still running 30 s later (npm itself may end before the programs it started have stopped). */
async function ctrlC(run: Run): Promise<number[]> {
  process.kill(-run.child.pid!, 'SIGINT');
  const code = await Promise.race([run.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
  if (code === 'hung') throw new Error(`npm still running 60 s after Ctrl-C:\n${run.output().slice(-2000)}`);
  const deadline = Date.now() + 30_000;
  let left = cloneProcesses();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    left = cloneProcesses();
  }
  return left;
}

function commandOf(pid: number): string {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 160)}`;
  } catch {
    return `${pid} (gone)`;
  }
}

const PORT = await freePort();
const PG_PORT = await freePort();
const env = { PORT: String(PORT), PG_EMBEDDED_PORT: String(PG_PORT), PUBLIC_URL: `http://localhost:${PORT}` };
const base = `http://127.0.0.1:${PORT}`;

async function login(email: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { origin: env.PUBLIC_URL, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await res.json()) as { csrfToken?: string };
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${JSON.stringify(body)}`);
  const cookie = sessionCookieOf(res.headers)!;
  return { cookie, csrf: body.csrfToken ?? '' };
}

let account: { email: string; password: string } | null = null;

t.test('npm run demo on a fresh clone: READY, chats through /api/chats, the app served; Ctrl-C stops everything', async (t) => {
  const run = npmRun('demo', env);
  const line = await until('the demo account line', 10 * 60_000, () => /open (\S+)\s+email: (\S+)\s+password: (\S+)/.exec(run.output()), run);
  t.equal(line[1], env.PUBLIC_URL, 'it prints where the app is');
  account = { email: line[2]!, password: line[3]! };
  t.match(run.output(), /READY with \d+ chats visible through \/api\/chats/, 'it says WhatsApp (simulated) is READY with chats');

  const { cookie } = await login(account.email, account.password);
  const chats = await fetch(`${base}/api/chats`, { headers: { cookie } });
  t.equal(chats.status, 200);
  const items = ((await chats.json()) as { items: unknown[] }).items;
  t.ok(items.length > 0, `the demo account sees its chats through the gateway (${items.length})`);
  const me = (await (await fetch(`${base}/api/me`, { headers: { cookie } })).json()) as { wa?: { state: string } };
  t.equal(me.wa?.state, 'READY', 'WhatsApp READY');
  const page = await fetch(`${base}/`);
  t.equal(page.status, 200);
  t.match(await page.text(), /<div id="root">/, 'the built web app is served at /');

  // A visitor signs up during the demo and links: its simulated phone scans by itself.
  const visitor = { email: `visitor-${Date.now()}@example.com`, password: 'a visitor password 1' };
  const reg = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: { origin: env.PUBLIC_URL, 'content-type': 'application/json' }, body: JSON.stringify(visitor) });
  t.equal(reg.status, 200, 'a new account signs up');
  const regCookie = sessionCookieOf(reg.headers)!;
  const regCsrf = ((await reg.json()) as { csrfToken: string }).csrfToken;
  const connect = await fetch(`${base}/api/connect`, { method: 'POST', headers: { origin: env.PUBLIC_URL, cookie: regCookie, 'x-csrf-token': regCsrf } });
  t.equal(connect.status, 202, 'and links WhatsApp');
  const states: string[] = [];
  await until('the new account READY with no scan asked for', 4 * 60_000, async () => {
    const m = (await (await fetch(`${base}/api/me`, { headers: { cookie: regCookie } })).json()) as { wa?: { state: string } | null };
    if (m.wa?.state && states.at(-1) !== m.wa.state) states.push(m.wa.state);
    return m.wa?.state === 'READY';
  }, run);
  t.ok(states.includes('QR') || states.includes('AUTHENTICATING') || states.at(-1) === 'READY', `it went through the link (${states.join(' → ')})`);

  const left = await ctrlC(run);
  t.same(left.map(commandOf), [], 'after Ctrl-C no process of the clone keeps running (gateway, supervisor, slice, Chromium, PostgreSQL)');
  t.match(run.output(), /\[start\]\s+stopped/, `it says it stopped: ${run.output().slice(-1500)}`);
  t.notOk(await fetch(`${base}/healthz`).then(() => true, () => false), 'the port is free again');
});

t.test('npm start on the same clone: the app again, with the data kept', async (t) => {
  if (!account) return t.fail('the demo run did not get as far as its account');
  const run = npmRun('start', env);
  await until('the gateway', 5 * 60_000, () => /Queunir is running on/.test(run.output()), run);
  const { cookie } = await login(account.email, account.password);
  const me = (await (await fetch(`${base}/api/me`, { headers: { cookie } })).json()) as { user?: { email: string } };
  t.equal(me.user?.email, account.email, 'the account made by the demo run is still there');
  const page = await fetch(`${base}/`);
  t.match(await page.text(), /<div id="root">/, 'the app is served');
  t.same((await ctrlC(run)).map(commandOf), [], 'after Ctrl-C nothing is left running');
});
