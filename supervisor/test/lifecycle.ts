// The lifecycle suite, run once per runtime (process-lifecycle.test.ts, docker-lifecycle.test.ts):
// the real daemon as a child process, the real slice program in WA_MODE=sim (real Chromium, the
// simulator standing in for WhatsApp's servers), a real PostgreSQL cluster of the file's own.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import type { Test } from 'tap';
import { SupervisorClient } from '../client.ts';
import { slicePort, type SliceStateChanged } from '../protocol.ts';
import { sleep, startDaemon, waitForState, type DaemonChild } from './helpers.ts';

export interface LifecycleOptions {
  runtime: 'docker' | 'process';
  /** Two slice ids of this file's own (files run in parallel; ports follow ids). */
  ids: [number, number];
  adminUrl: string;
  stateDir: string;
  extraEnv?: Record<string, string>;
  /** Kill slice N's current instance from outside, as a crash would. */
  killFromOutside(id: number): void;
  /** The runtime's id of slice N's instance (container id or pid), null when none runs. */
  instanceId(id: number): string | null;
  /** When slice N's instance actually ended after `since` (ms), by the runtime's own account. */
  endedAt?(id: number, since: number): number;
  /** The session store of slice N exists (volume or directory). */
  authStoreExists(id: number): boolean;
  /** Write a file into slice N's session store, as a logged-in WhatsApp would leave data there. */
  writeToStore(id: number, name: string, text: string): void;
  /** A file of slice N's session store, or null when it is not there. */
  readFromStore(id: number, name: string): string | null;
  /**
   * The process runtime's promise: a slice's token and database password are in no process's
   * environment (other slices run as the same user and could read /proc/<pid>/environ).
   */
  secretsOutOfEnviron?: boolean;
  /** The command lines of slice N's processes, each as its arguments. */
  browserArgs?(id: number): string[][];
  /** Whether Chromium is expected to run with its own sandbox (no --no-sandbox). */
  expectBrowserSandbox?: boolean;
}

/** Every process's environment on this machine that contains one of the needles. */
function environsContaining(needles: string[]): string[] {
  const hits: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // ended, or not ours to read
    }
    for (const n of needles) if (text.includes(n)) hits.push(`${pid}: ${n.slice(0, 24)}…`);
  }
  return hits;
}

/** An address of this machine other than loopback (the slice port must not answer there). */
function otherAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address to test against');
}

export function connects(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    setTimeout(() => done(false), timeoutMs).unref();
  });
}

/** Polls the slice's WhatsApp state until pred holds; returns the states seen on the way. */
async function untilWaState(id: number, token: string, what: string, pred: (s: string) => boolean, ms: number): Promise<string[]> {
  const seen: string[] = [];
  const t0 = Date.now();
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${slicePort(id)}/api/wa`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    const state = res?.ok ? ((await res.json()) as { state: string }).state : null;
    if (state && seen[seen.length - 1] !== state) seen.push(state);
    if (state && pred(state)) return seen;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what} (states seen: ${seen.join(' → ') || 'none'})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function lifecycleSuite(t: Test, o: LifecycleOptions): Promise<void> {
  const [A, B] = o.ids;
  const socketPath = path.join(o.stateDir, 'run', 'supervisor.sock');
  const env: Record<string, string> = {
    SUPERVISOR_SOCKET: socketPath,
    STATE_DIR: path.join(o.stateDir, 'state'),
    DATABASE_URL: o.adminUrl,
    RUNTIME: o.runtime,
    WA_MODE: 'sim',
    STARTSECS: '1',
    STARTRETRIES: '2',
    STOPWAITSECS: '5',
    STARTTIMEOUTSECS: '90',
    HEALTH_INTERVAL_MS: '200',
    MAX_SLICES: '50',
    ...o.extraEnv,
  };
  let daemon: DaemonChild = await startDaemon(env);
  let client = new SupervisorClient({ socketPath, timeoutMs: 120_000 });
  t.teardown(async () => {
    await client.close();
    await daemon.stop('SIGTERM');
  });
  const events: SliceStateChanged[] = [];
  let sub = await client.subscribe((e) => events.push(e));

  t.test('socket: directory 0750, socket 0660', async (t) => {
    t.equal(fs.statSync(socketPath).mode & 0o777, 0o660);
    t.equal(fs.statSync(path.dirname(socketPath)).mode & 0o777, 0o750);
  });

  let token = '';
  t.test('slice.create provisions and returns the token the first time only', async (t) => {
    const first = await client.call('slice.create', { id: A });
    t.equal(first.created, true);
    t.equal(first.name, `wank-slice-${A}`);
    t.equal(first.port, 5000 + 2 * A - 1);
    t.equal(first.state, 'STOPPED');
    t.match(first.token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    token = first.token!;
    const again = await client.call('slice.create', { id: A });
    t.equal(again.created, false);
    t.notOk('token' in again, 'no token the second time');
    t.ok(o.authStoreExists(A), 'session store created');
    const recordFile = path.join(env.STATE_DIR!, 'slices', `slice-${A}.json`);
    t.equal(fs.statSync(recordFile).mode & 0o777, 0o600, 'record file is 0600');
    t.notMatch(fs.readFileSync(recordFile, 'utf8'), /password/i, 'no DB password stored');
    const admin = new pg.Client({ connectionString: o.adminUrl });
    await admin.connect();
    const r = await admin.query(`select 1 from pg_namespace where nspname = 'slice_${A}'`);
    await admin.end();
    t.equal(r.rowCount, 1, 'schema exists');
  });

  t.test('start → RUNNING; the port answers on 127.0.0.1 only', async (t) => {
    const info = await client.call('slice.start', { id: A });
    t.equal(info.state, 'STARTING');
    const running = await waitForState(client, A, 'RUNNING', 90_000);
    t.equal(running.restarts, 0);
    const states = events.filter((e) => e.id === A).map((e) => e.to);
    t.same(states.slice(-2), ['STARTING', 'RUNNING'], 'stateChanged notifications received');
    const res = await fetch(`http://127.0.0.1:${slicePort(A)}/health`, { headers: { authorization: `Bearer ${token}` } });
    t.equal(res.status, 200, '/health with the token');
    const noToken = await fetch(`http://127.0.0.1:${slicePort(A)}/health`);
    t.equal(noToken.status, 401, '/health without the token');
    const other = otherAddress();
    t.equal(await connects(other, slicePort(A)), false, `port ${slicePort(A)} does not answer on ${other}`);
  });

  if (o.secretsOutOfEnviron) {
    t.test("the slice's token and database password are in no process's environment (slice and Chromium up)", async (t) => {
      await untilWaState(A, token, 'the slice and its Chromium running', (s) => s !== 'STARTING', 120_000);
      t.same(environsContaining([token, `slice_${A}:`]), [], 'not in any /proc/*/environ');
      const res = await fetch(`http://127.0.0.1:${slicePort(A)}/health`, { headers: { authorization: `Bearer ${token}` } });
      t.equal(res.status, 200, 'the slice got its token all the same');
    });
  }

  t.test('WhatsApp (the simulator, standing in for its servers) reaches READY inside the slice', async (t) => {
    await untilWaState(A, token, 'a QR', (s) => s === 'QR', 120_000);
    const scan = await fetch(`http://127.0.0.1:${slicePort(A)}/sim/scan`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    t.equal(scan.status, 200, 'the simulated phone scans');
    await untilWaState(A, token, 'READY', (s) => s === 'READY', 120_000);
    t.pass(`READY in the ${o.runtime} runtime`);
    if (o.browserArgs) {
      const browsers = o.browserArgs(A).filter((args) => args.some((a) => a.startsWith('--user-data-dir=')));
      t.ok(browsers.length > 0, "the slice's Chromium is found");
      t.equal(browsers.some((args) => args.includes('--no-sandbox')), o.expectBrowserSandbox === false, o.expectBrowserSandbox ? "Chromium runs with its own sandbox" : 'Chromium runs with --no-sandbox');
    }
    // The simulated login lives in the profile's localStorage, which Chromium writes to disk up to
    // 5 s after a change; the crash test below kills without warning and expects the login kept.
    await sleep(6000);
  });

  t.test('slice.health joins /health with the runtime', async (t) => {
    const h = await client.call('slice.health', { id: A });
    t.equal(h.state, 'RUNNING');
    t.type(h.wa?.state, 'string');
    t.ok(h.rssBytes !== null && h.rssBytes > 10 * 1024 * 1024, `memory reported (${h.rssBytes} bytes)`);
    t.equal(h.ok, (h.slice as { ok: boolean }).ok === true, 'ok follows the slice once RUNNING');
    t.ok(Date.parse(h.checkedAt) > Date.now() - 60_000);
  });

  t.test('slice.tailLog returns the slice output', async (t) => {
    const r = await client.call('slice.tailLog', { id: A, lines: 20 });
    t.ok(r.lines.length > 0 && r.lines.length <= 20, `${r.lines.length} lines`);
  });

  t.test('a crash is noticed within 2 s and the slice is RUNNING again with restarts=1', async (t) => {
    const before = o.instanceId(A);
    t.ok(before, 'an instance runs');
    const killedAt = Date.now();
    o.killFromOutside(A);
    // The event's own time says when the daemon noticed; wait generously for it to arrive here.
    let noticed: SliceStateChanged | undefined;
    const waitUntil = Date.now() + 15_000;
    while (!noticed && Date.now() < waitUntil) {
      noticed = events.find((e) => e.id === A && e.from === 'RUNNING' && Date.parse(e.at) >= killedAt - 50);
      if (!noticed) await sleep(20);
    }
    // Docker itself may take a moment to end a container with Chromium in it: the clock starts when
    // the instance ended by the runtime's account (Docker's die event), or at the kill.
    const endedAt = o.endedAt ? o.endedAt(A, killedAt) : killedAt;
    const delay = noticed ? Date.parse(noticed.at) - endedAt : Infinity;
    t.ok(delay <= 2000, `noticed within 2 s of its end (${delay} ms; ${noticed ? Date.parse(noticed.at) - killedAt : '-'} ms after the kill command)`);
    t.equal(noticed?.to, 'EXITED');
    const info = await waitForState(client, A, 'RUNNING', 90_000, (i) => i.restarts === 1);
    t.equal(info.restarts, 1);
    t.not(o.instanceId(A), before, 'a new instance');
    const seen = await untilWaState(A, token, 'READY again', (s) => s === 'READY', 120_000).catch(async (err) => {
      console.error((await client.call('slice.tailLog', { id: A, lines: 200 })).lines.join('\n'));
      throw err;
    });
    t.notOk(seen.includes('QR'), `READY again with the login kept, no new QR (${seen.join(' → ')})`);
  });

  t.test('a slice that exits at once (its DB role cannot log in) → BACKOFF → FATAL; start leaves FATAL', async (t) => {
    await client.call('slice.create', { id: B });
    const admin = new pg.Client({ connectionString: o.adminUrl });
    await admin.connect();
    await admin.query(`alter role slice_${B} nologin`);
    const from = events.length;
    await client.call('slice.start', { id: B });
    const fatal = await waitForState(client, B, 'FATAL', 300_000);
    const seen = events.slice(from).filter((e) => e.id === B).map((e) => e.to);
    t.same(seen, ['STARTING', 'BACKOFF', 'STARTING', 'BACKOFF', 'STARTING', 'FATAL'], 'startretries=2: two retries, then FATAL');
    t.match(fatal.lastError, /exit code/);
    const log = await client.call('slice.tailLog', { id: B, lines: 50 });
    t.match(log.lines.join('\n'), /slice_|password|login|not permitted/i, 'the slice said why');
    await sleep(1500);
    t.equal((await client.call('slice.getInfo', { id: B })).state, 'FATAL', 'stays FATAL');
    await admin.query(`alter role slice_${B} login`);
    await admin.end();
    const restarted = await client.call('slice.start', { id: B });
    t.equal(restarted.state, 'STARTING', 'an explicit start leaves FATAL');
    await waitForState(client, B, 'RUNNING', 90_000);
    const stopped = await client.call('slice.stop', { id: B });
    t.equal(stopped.state, 'STOPPED');
  });

  t.test('daemon stopped and started again', async (t) => {
    const before = o.instanceId(A);
    sub.close();
    await client.close();
    const code = await daemon.stop('SIGTERM');
    t.equal(code, 0, 'SIGTERM: exit 0');
    t.notOk(fs.existsSync(socketPath), 'socket removed');
    const stillRunning = o.instanceId(A);
    if (o.runtime === 'docker') {
      t.equal(stillRunning, before, 'the container kept running');
    } else {
      t.equal(stillRunning, null, 'process-runtime children stopped with the daemon');
    }
    daemon = await startDaemon(env);
    client = new SupervisorClient({ socketPath, timeoutMs: 120_000 });
    sub = await client.subscribe((e) => events.push(e));
    const info = await waitForState(client, A, 'RUNNING', 90_000);
    if (o.runtime === 'docker') {
      t.equal(o.instanceId(A), before, 'adopted: same container id');
      t.equal(info.restarts, 0);
    } else {
      t.ok(o.instanceId(A), 'started again (desired state was running)');
    }
    t.equal((await client.call('slice.getInfo', { id: B })).state, 'STOPPED', 'the other slice stays stopped');
  });

  t.test('stop, then remove with purgeData drops schema, role and session store', async (t) => {
    const stopped = await client.call('slice.stop', { id: A });
    t.equal(stopped.state, 'STOPPED');
    // Both runtimes report an exit only once the port is closed (Docker's port proxy lags the container).
    t.equal(await connects('127.0.0.1', slicePort(A), 1000), false, 'the port is closed once STOPPED');
    t.same(await client.call('slice.remove', { id: A, purgeData: true }), {});
    await t.rejects(client.call('slice.getInfo', { id: A }), { code: 'SLICE_NOT_FOUND' });
    t.notOk(o.authStoreExists(A), 'session store removed');
    const admin = new pg.Client({ connectionString: o.adminUrl });
    await admin.connect();
    const r = await admin.query(`select (select count(*) from pg_namespace where nspname = 'slice_${A}')::int as s, (select count(*) from pg_roles where rolname = 'slice_${A}')::int as r`);
    await admin.end();
    t.same(r.rows[0], { s: 0, r: 0 }, 'schema and role dropped');
    await client.call('slice.remove', { id: B, purgeData: true });
  });

  t.test("a session store left behind by a forgotten slice is never a new slice's (another customer's login)", async (t) => {
    t.equal((await client.call('slice.create', { id: A })).created, true);
    o.writeToStore(A, 'marker', 'tenant one');
    // The record is lost (an old backup restored, a state directory wiped): the store remains.
    sub.close();
    await client.close();
    t.equal(await daemon.stop('SIGTERM'), 0);
    fs.rmSync(path.join(env.STATE_DIR!, 'slices', `slice-${A}.json`));
    daemon = await startDaemon(env);
    client = new SupervisorClient({ socketPath, timeoutMs: 120_000 });
    sub = await client.subscribe((e) => events.push(e));
    await t.rejects(
      client.call('slice.create', { id: A }),
      { code: 'SESSION_STORE_NOT_OWNED', message: new RegExp(`slice ${A}: the WhatsApp session store .* is not this slice's.*slicectl remove ${A} --purge`) },
      'refused, saying how to purge it',
    );
    await t.rejects(client.call('slice.getInfo', { id: A }), { code: 'SLICE_NOT_FOUND' }, 'no slice was made');
    t.equal(o.readFromStore(A, 'marker'), 'tenant one', 'nothing in the store was touched');
    // The operator purges it: the next slice A starts from an empty store.
    t.same(await client.call('slice.remove', { id: A, purgeData: true }), {});
    t.equal((await client.call('slice.create', { id: A })).created, true);
    t.equal(o.readFromStore(A, 'marker'), null, 'a new, empty store');
    // Removed WITHOUT purge (forget the instance, keep the data): created again, it keeps its store.
    o.writeToStore(A, 'marker', 'tenant two');
    t.same(await client.call('slice.remove', { id: A }), {});
    t.equal((await client.call('slice.create', { id: A })).created, true);
    t.equal(o.readFromStore(A, 'marker'), 'tenant two', 'its own store, kept');
    await client.call('slice.remove', { id: A, purgeData: true });
  });
}
