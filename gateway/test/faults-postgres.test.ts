// PostgreSQL restarted under a running gateway (a real cluster stopped, kept down, started again on
// the same port): the gateway's pool reconnects by itself, and what is asked during the outage gets
// a clear 503 naming the database, never a 500.
import t from 'tap';
import { stopPostgres } from '../../test-support/pg.ts';
import { startEmbeddedPostgres } from '../../sql/embedded.ts';
import { Browser, build, startDb } from './helpers.ts';
import { sleep, waitUntil } from './system.ts';

t.setTimeout(120_000);

const db = await startDb(t, 'gateway-faults-pg');
const { cluster } = db;
const app = await build(t, db);

let restarted: { stop(): Promise<void> } | null = null;
t.teardown(() => restarted?.stop());

t.test('login, sign-up and a CRM write during an outage answer 503 DB_UNREACHABLE; after it, all works without a restart', async (t) => {
  const a = new Browser(app);
  t.equal((await a.register('owner@pg-fault.example')).statusCode, 200);
  t.equal((await a.request('GET', '/api/me')).statusCode, 200);

  await stopPostgres(cluster.dataDir);
  await sleep(2_000);

  const b = new Browser(app);
  const login = await a.login('owner@pg-fault.example');
  t.equal(login.statusCode, 503, `login during the outage: ${login.body}`);
  t.equal(login.json().error?.code, 'DB_UNREACHABLE', 'the code names the database');
  t.notMatch(login.body, /at .*\.ts:|node_modules|ECONNREFUSED 127/, 'no stack or internals');
  const register = await b.register('new@pg-fault.example');
  t.equal(register.statusCode, 503, `sign-up during the outage: ${register.body}`);
  t.equal(register.json().error?.code, 'DB_UNREACHABLE');
  // /api/me may answer from the auth plugin's short user cache; a write must reach the database.
  const rename = await a.request('PATCH', '/api/account', { name: 'renamed during the outage' });
  t.equal(rename.statusCode, 503, `a CRM write during the outage: ${rename.body}`);
  t.equal(rename.json().error?.code, 'DB_UNREACHABLE');
  t.notMatch(rename.body, /127\.0\.0\.1|ECONNREFUSED|postgres(ql)?:\/\//i, 'no server address in the answer');

  const down = Date.now();
  restarted = await startEmbeddedPostgres({ dataDir: cluster.dataDir, port: cluster.port });
  const up = Date.now();
  await waitUntil('the gateway writing again', 30_000, async () => (await a.request('PATCH', '/api/account', { name: 'after the outage' })).statusCode === 200);
  t.comment(`reconnect after PostgreSQL came back: ${Date.now() - up} ms (server start ${up - down} ms)`);
  t.equal((await a.login('owner@pg-fault.example')).statusCode, 200, 'login works again');
  t.equal((await a.request('GET', '/api/me')).json().account?.name, 'after the outage', 'the write after the outage is stored');
  t.equal((await b.register('new@pg-fault.example')).statusCode, 200, 'sign-up works again');
});
