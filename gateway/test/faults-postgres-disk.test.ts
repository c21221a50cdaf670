// PostgreSQL's disk full: a real test cluster whose data directory is on a small tmpfs, filled until
// its writes fail. The gateway answers clear errors (507 DB_DISK_FULL, or 503 DB_UNREACHABLE when the
// server stopped itself), never a 500; nothing stored before is lost; after space returns (and the
// server is started again if it went down) the gateway recovers by itself.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startEmbeddedPostgres } from '../../sql/embedded.ts';
import { fillDisk } from '../../test-support/fill-disk.ts';
import { Browser, build, startDb } from './helpers.ts';
import { waitUntil } from './system.ts';

t.setTimeout(120_000);

const db = await startDb(t, 'gateway-faults-pg-disk', { tmpfsSize: '96m' });
const { cluster } = db;
const app = await build(t, db);
let restarted: { stop(): Promise<void> } | null = null;
t.teardown(() => restarted?.stop());

t.test('writes into a full database disk: clear errors, nothing lost, recovery once space returns', async (t) => {
  const a = new Browser(app);
  t.equal((await a.register('owner@pg-disk.example')).statusCode, 200);
  t.equal((await a.request('PATCH', '/api/account', { name: 'stored before' })).statusCode, 200);

  const filler = path.join(path.dirname(cluster.dataDir), 'filler');
  t.equal(fillDisk(filler), 'ENOSPC', 'the tmpfs is full');

  // Sign-ups until one fails: each writes a user, an account, a member and a session.
  const answers: number[] = [];
  let failed: { statusCode: number; body: string } | null = null;
  for (let i = 0; i < 2_000 && !failed; i++) {
    const r = await new Browser(app).register(`user${i}@pg-disk.example`);
    answers.push(r.statusCode);
    if (r.statusCode !== 200) failed = r;
  }
  t.ok(failed, `a write failed once the disk was full (after ${answers.length - 1} that fit)`);
  t.comment(`the first failed write: ${failed?.statusCode} ${failed?.body}`);
  const code = JSON.parse(failed!.body).error?.code;
  t.ok((failed!.statusCode === 507 && code === 'DB_DISK_FULL') || (failed!.statusCode === 503 && code === 'DB_UNREACHABLE'), `a clear error: ${failed!.statusCode} ${failed!.body}`);
  t.notMatch(failed!.body, /internal error|No space left|\/pg\//, 'no internals');

  fs.rmSync(filler);
  const pidFile = path.join(cluster.dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) {
    t.comment('PostgreSQL stopped itself on the full disk: started again');
    restarted = await startEmbeddedPostgres({ dataDir: cluster.dataDir, port: cluster.port });
  }
  const back = Date.now();
  await waitUntil('the gateway writing again', 30_000, async () => (await new Browser(app).register(`after@pg-disk.example`)).statusCode === 200);
  t.comment(`writes work again ${Date.now() - back} ms after space returned`);
  t.equal((await a.login('owner@pg-disk.example')).statusCode, 200, 'the user stored before signs in');
  t.equal((await a.request('GET', '/api/me')).json().account?.name, 'stored before', 'what was stored before is intact');
});
