// slicectl against a real daemon (in-process, process runtime, three created slices): the table,
// --json, and supervisorctl's exit codes; the `npx slicectl` shim run as a real command.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createLogger } from '../../lib/logger.ts';
import { startTestCluster } from '../../test-support/pg.ts';
import { run, overlap, statusExitCode, table } from '../cli/slicectl.ts';
import { loadSupervisorConfig } from '../config.ts';
import { startSupervisor } from '../daemon.ts';
import { ROOT, tempDir } from './helpers.ts';

const cluster = await startTestCluster('supervisor-slicectl');
t.teardown(() => cluster.stop());
const dir = tempDir('slicectl');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const socketPath = path.join(dir, 'run', 'supervisor.sock');
const daemon = await startSupervisor(
  loadSupervisorConfig({ SUPERVISOR_SOCKET: socketPath, STATE_DIR: path.join(dir, 'state'), DATABASE_URL: cluster.adminUrl, RUNTIME: 'process', MAX_SLICES: '50', LOG_LEVEL: 'silent' }),
  { log: createLogger('supervisor', 'silent') },
);
t.teardown(() => daemon.close());

async function ctl(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(['-s', socketPath, ...argv], {}, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The installed command, as an operator runs it (async: the daemon runs in this process). */
function shim(args: string[], opts: { uid?: number; env?: Record<string, string> } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'supervisor/cli/slicectl.js'), ...args], {
    env: { PATH: process.env.PATH!, ...opts.env },
    cwd: '/',
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

t.test('create prints the token once', async (t) => {
  const first = await ctl('create', '31');
  t.equal(first.code, 0);
  t.match(first.out, /wank-slice-31 created \(port 5061\)\ntoken: [A-Za-z0-9_-]{43}/);
  const again = await ctl('create', '31');
  t.equal(again.code, 0);
  t.match(again.out, /already exists/);
  t.notMatch(again.out, /token:/);
  for (const id of ['32', '33']) t.equal((await ctl('create', id)).code, 0);
});

t.test('status of three slices: an aligned table; exit 3 when not all are running', async (t) => {
  const r = await shim(['status'], { env: { SUPERVISOR_SOCKET: socketPath } });
  t.equal(r.code, 3, 'supervisorctl: 3 when something is not running');
  const lines = r.out.trimEnd().split('\n');
  t.equal(lines.length, 4, r.out);
  t.match(lines[0], /^ID\s+NAME\s+STATE\s+PORT\s+SINCE\s+RESTARTS\s+LAST ERROR$/);
  t.match(lines[1], /^31\s+wank-slice-31\s+STOPPED\s+5061\s/);
  t.match(lines[3], /^33\s+wank-slice-33\s+STOPPED\s+5065\s/);
  const col = lines[0]!.indexOf('STATE');
  t.ok(lines.slice(1).every((l) => l.indexOf('STOPPED') === col), 'columns aligned');
  const some = await ctl('status', '32', '33');
  t.equal(some.out.split('\n').length, 3);
});

t.test("status exits 3 only for supervisord's stopped states", async (t) => {
  for (const state of ['RUNNING', 'BACKOFF', 'STARTING'] as const) t.equal(statusExitCode([{ state }]), 0, `${state} counts as running`);
  for (const state of ['STOPPED', 'EXITED', 'FATAL', 'UNKNOWN'] as const) t.equal(statusExitCode([{ state: 'RUNNING' }, { state }]), 3, `${state} is not running`);
  t.equal(statusExitCode([]), 0, 'no slices: nothing is down');
});

t.test('start all / stop all act on every slice', async (t) => {
  const started = await ctl('start', 'all');
  t.equal(started.code, 0, started.err);
  t.match(started.out, /^31: started → (STARTING|RUNNING)\n32: started → (STARTING|RUNNING)\n33: started → (STARTING|RUNNING)$/);
  t.equal((await ctl('status')).code, 0, 'all starting or running: status exits 0');
  const stopped = await ctl('stop', 'all');
  t.equal(stopped.code, 0, stopped.err);
  t.match(stopped.out, /31: stopped → STOPPED\n32: stopped → STOPPED\n33: stopped → STOPPED/);
  t.equal((await ctl('stop')).code, 2, 'stop with nothing named is a usage error, not all');
});

t.test('--json', async (t) => {
  const r = await ctl('--json', 'status', 'all');
  const list = JSON.parse(r.out);
  t.same(list.map((i: { id: number }) => i.id), [31, 32, 33]);
  const v = JSON.parse((await ctl('--json', 'version')).out);
  t.equal(v.runtime, 'process');
});

t.test('exit codes', async (t) => {
  const missing = await ctl('start', '40');
  t.equal(missing.code, 4, 'no such slice → 4');
  t.match(missing.out, /40: ERROR slice 40 does not exist/);
  t.equal((await ctl('health', '31')).code, 3, 'health of a stopped slice → 3');
  t.equal((await ctl('stop', '31')).code, 0, 'stop of a stopped slice is fine');
  for (const bad of [['frobnicate'], ['start'], ['start', 'x'], ['create', '1', '2'], ['--bogus', 'status'], [], ['tail', '-n', '0', '1']]) {
    const r = await ctl(...bad);
    t.equal(r.code, 2, `${bad.join(' ') || '(nothing)'} → 2`);
    t.ok(r.err.length > 0);
  }
  t.equal((await ctl('start', '999')).code, 2, 'id beyond MAX_SLICES → 2 (invalid argument)');
  const methods = await ctl('methods');
  t.equal(methods.code, 0);
  t.match(methods.out, /slice\.create\s+Provision slice N/);
  const tail = await ctl('tail', '31');
  t.equal(tail.code, 0);
  const removed = await ctl('remove', '33', '--purge');
  t.equal(removed.code, 0);
  t.match(removed.out, /33: removed \(schema, role and session volume dropped\)/);
});

t.test('no daemon: one clear line, exit 7', async (t) => {
  const r = await shim(['-s', path.join(dir, 'absent.sock'), 'status']);
  t.equal(r.code, 7);
  t.equal(r.err.trim().split('\n').length, 1);
  t.match(r.err, /^slicectl: the supervisor is not running \(no socket at .*absent\.sock\)/);
});

t.test('access denied: one clear line, exit 7', async (t) => {
  // The socket is 0660 in a 0750 directory, both root's: an unprivileged user is refused.
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(path.dirname(dir), 0o755);
  const r = await shim(['-s', socketPath, 'status'], { uid: 65534 });
  t.equal(r.code, 7, r.err);
  t.match(r.err, /^slicectl: access to the supervisor socket .* was denied/);
});

t.test('helpers: table alignment and tail overlap', async (t) => {
  t.equal(table([['A', 'BB'], ['CCC', 'D']]), 'A    BB\nCCC  D');
  t.equal(overlap(['a', 'b', 'c'], ['b', 'c', 'd']), 2);
  t.equal(overlap(['a'], ['x', 'y']), 0);
});
