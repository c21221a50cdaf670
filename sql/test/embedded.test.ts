import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import pg from 'pg';
import { EXIT } from '../../lib/errors.ts';
import { freePort, startTestCluster, ROOT, TEST_DATA } from '../../test-support/pg.ts';
import { startEmbeddedPostgres } from '../embedded.ts';

const work = path.join(TEST_DATA, `embedded-${process.pid}`);
fs.mkdirSync(work, { recursive: true });
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs a program's database start-up in a child process, as an operator would see it. */
function openDatabase(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'sql/test/fixtures/open-database.ts')], {
    env: { ...process.env, DATABASE_URL: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLine(t: Test, text: string) {
  const lines = text.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${JSON.stringify(text.trim())}`);
  t.notMatch(text, /\n\s+at /, 'no stack trace');
}

t.test('the data is kept between runs, and a running server is reused', async (t) => {
  const root = path.join(work, 'keep');
  const port = await freePort();
  const first = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port });
  t.equal(first.reused, false);
  const c1 = new pg.Client(first.url);
  await c1.connect();
  await c1.query('create table kept (x int); insert into kept values (42)');
  const again = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: await freePort() });
  t.equal(again.reused, true, 'a second program finds the running server');
  t.equal(again.port, port, 'and its port');
  await c1.end();
  await first.stop();

  const second = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port });
  const c2 = new pg.Client(second.url);
  await c2.connect();
  const r = await c2.query('select x from kept');
  t.same(r.rows, [{ x: 42 }], 'the row survived a stop and a start');
  await c2.end();
  await second.stop();
});

t.test("loading the embedded server leaves Ctrl-C to the program (the package's own exit hooks are removed)", async (t) => {
  const counts = `['SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e)).join(' ')`;
  const code = `const before = ${counts}; await import(${JSON.stringify(path.join(ROOT, 'sql/embedded.ts'))}); process.stdout.write(before + ' | ' + ${counts});`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH! } });
  const [before, after] = r.stdout.split(' | ');
  t.ok(before !== undefined && before === after, `no SIGINT, SIGTERM or SIGHUP listener added (${r.stdout.trim()} ${r.stderr.trim()})`);
});

t.test('stop() returns when the server has already ended (Ctrl-C reaches it first)', async (t) => {
  const dataDir = path.join(work, 'ended', 'pg');
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
  const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && fs.existsSync(path.join(dataDir, 'postmaster.pid')); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 200));
  const result = await Promise.race([server.stop().then(() => 'returned'), new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
  t.equal(result, 'returned');
});

t.test('port in use: one line naming the port and what to do', async (t) => {
  const blocker = net.createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const r = openDatabase({ TEST_ROOT: path.join(work, 'busy'), PG_EMBEDDED_PORT: String(port) });
  t.equal(r.status, EXIT.CANNOT_CONNECT);
  oneLine(t, r.stderr);
  t.match(r.stderr, new RegExp(`port ${port} .*already in use.*PG_EMBEDDED_PORT`));
});

if (os.userInfo().uid === 0) {
  t.test('as root, a project in a private directory (the /root case) works: postgres may traverse it, nothing more', async (t) => {
    const priv = path.join(work, 'private-home');
    fs.mkdirSync(priv, { recursive: true });
    fs.chmodSync(priv, 0o700);
    t.teardown(() => fs.chmodSync(priv, 0o755));
    const r = openDatabase({ TEST_ROOT: priv, PG_EMBEDDED_PORT: String(await freePort()) });
    t.equal(r.status, 0, `opened (${r.stderr.trim()})`);
    t.match(r.stdout, /connected/);
    const acl = spawnSync('getfacl', ['-p', priv], { encoding: 'utf8' }).stdout;
    t.match(acl, /^user:postgres:--x$/m, 'an ACL entry lets postgres traverse');
    t.match(acl, /^other::---$/m, 'the directory stays closed to everyone else');
  });
}

t.test('data directory not writable: one line naming the directory', async (t) => {
  const locked = path.join(work, 'locked');
  fs.mkdirSync(locked, { recursive: true });
  fs.chmodSync(locked, 0o500);
  t.teardown(() => fs.chmodSync(locked, 0o755));
  if (os.userInfo().uid !== 0) {
    // A read-only directory keeps its owner out (root writes anywhere: the case below stands for it).
    const r = openDatabase({ TEST_ROOT: path.join(locked, 'project'), PG_EMBEDDED_PORT: String(await freePort()) });
    t.equal(r.status, EXIT.NOT_RUNNING);
    oneLine(t, r.stderr);
    t.match(r.stderr, /data directory .*locked.* is not writable/);
  }

  const underFile = path.join(work, 'a-file');
  fs.writeFileSync(underFile, 'not a directory');
  const r2 = openDatabase({ TEST_ROOT: underFile, PG_EMBEDDED_PORT: String(await freePort()) });
  oneLine(t, r2.stderr);
  t.match(r2.stderr, /is not writable \(ENOTDIR\)/);
});

t.test('server unreachable: one line naming the address', async (t) => {
  const port = await freePort();
  const r = openDatabase({ DATABASE_URL: `postgres://someone:pw@127.0.0.1:${port}/wank_saas` });
  t.equal(r.status, EXIT.CANNOT_CONNECT);
  oneLine(t, r.stderr);
  t.match(r.stderr, new RegExp(`unreachable at postgres://someone:\\*\\*\\*@127.0.0.1:${port}/wank_saas \\(ECONNREFUSED\\)`));
  t.notMatch(r.stderr, /:pw@/, 'the password is masked');
});

t.test('wrong password: one line naming the role', async (t) => {
  const cluster = await startTestCluster('embedded-auth');
  t.teardown(() => cluster.stop());
  const url = new URL(cluster.adminUrl);
  url.password = 'definitely-wrong';
  const r = openDatabase({ DATABASE_URL: url.toString() });
  t.equal(r.status, EXIT.CANNOT_CONNECT);
  oneLine(t, r.stderr);
  t.match(r.stderr, /refused the login of role "postgres".*fix the credentials in DATABASE_URL/);
  t.notMatch(r.stderr, /definitely-wrong/);

  const ok = openDatabase({ DATABASE_URL: cluster.adminUrl });
  t.equal(ok.status, 0, ok.stderr);
  t.equal(ok.stdout.trim(), 'connected');
});
