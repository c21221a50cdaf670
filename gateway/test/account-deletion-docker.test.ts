// Deleting an account in the docker runtime: the gateway (in this process, real HTTP on loopback)
// with the REAL supervisor as a child process driving a real Docker engine (started by
// scripts/ensure-docker.sh; the test fails when it cannot) and the real slice image, its slice in
// sim mode (real Chromium on the WhatsApp simulator page, which stands in for WhatsApp's servers).
// The owner signs up, connects, the slice runs; DELETE /api/account removes it and afterwards no
// container, volume, schema, role or gateway row of the account is left, by the product's own
// check and by looking here. (The browser test e2e/test/team-flow.test.ts does the same in the
// process runtime.)
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { docker, sliceNetworkCluster, startDaemon, tempDir } from '../../supervisor/test/helpers.ts';
import { provisionGatewayUrl } from '../support/database-url.ts';
import { Browser, build } from './helpers.ts';
import { reserveSliceIds, waitUntil } from './system.ts';

t.setTimeout(15 * 60_000);
const IMAGE = process.env.SLICE_IMAGE ?? 'queunir/slice:latest';
const SLICE = 27; // this file's own slice id (port 5053)

const { cluster } = await sliceNetworkCluster('gateway-deletion-docker', IMAGE);
t.teardown(() => cluster.stop());
const dir = tempDir('deletion-docker');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

// Leftovers of an earlier run of this file (our own names only).
for (const args of [['rm', '-f', `wank-slice-${SLICE}`], ['volume', 'rm', '-f', `wank-slice-${SLICE}-auth`]]) {
  try {
    docker(...args);
  } catch {
    // none
  }
}

const gatewayUrl = await provisionGatewayUrl(cluster.adminUrl, dir);
await reserveSliceIds(cluster.adminUrl, SLICE);
const socket = path.join(dir, 'run', 'supervisor.sock');
const daemon = await startDaemon({
  SUPERVISOR_SOCKET: socket,
  STATE_DIR: path.join(dir, 'state'),
  DATABASE_URL: cluster.adminUrl,
  RUNTIME: 'docker',
  SLICE_IMAGE: IMAGE,
  SLICE_MEMORY_MB: '1024',
  WA_MODE: 'sim',
  SIM_SCAN_AFTER_MS: '300',
  STARTSECS: '1',
  STARTTIMEOUTSECS: '120',
  MAX_SLICES: String(SLICE),
});
t.teardown(() => daemon.stop('SIGTERM'));

// The monitor on: it follows the supervisor's state changes, which is how the gateway learns RUNNING.
const app = await build(t, { adminUrl: cluster.adminUrl, gatewayUrl, dataDir: dir }, {
  env: { SUPERVISOR_SOCKET: socket, MAX_SLICES: String(SLICE), MONITOR_INTERVAL_MS: '2000' },
  monitor: true,
});
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const admin = createDb<any>(cluster.adminUrl, { max: 1 });
t.teardown(() => admin.destroy());

const exists = (...args: string[]) => {
  try {
    docker(...args);
    return true;
  } catch {
    return false;
  }
};

t.test('an owner deletes the account: nothing of it is left (docker runtime)', async (t) => {
  const owner = new Browser(app, base);
  const password = 'correct horse battery staple';
  const reg = await owner.register('deleter@docker.example', password);
  t.equal(reg.statusCode, 200, 'signed up');
  const { account, user } = reg.json();
  t.equal((await owner.request('POST', '/api/connect')).statusCode, 202, 'connect accepted');
  await waitUntil('the slice RUNNING', 240_000, async () => (await owner.request('GET', '/api/me')).json().slice?.state === 'RUNNING');
  t.ok(exists('inspect', `wank-slice-${SLICE}`), 'its container exists');
  t.ok(exists('volume', 'inspect', `wank-slice-${SLICE}-auth`), 'its session volume exists');

  const wrong = await owner.request('DELETE', '/api/account', { password: 'not the password at all' });
  t.equal(wrong.statusCode, 403, 'a wrong password deletes nothing');
  t.equal((await owner.request('GET', '/api/me')).statusCode, 200, 'the owner is still signed in');

  const res = await owner.request('DELETE', '/api/account', { password });
  t.equal(res.statusCode, 202, `deletion accepted (${res.body})`);
  const audit = await waitUntil('the deletion finished', 180_000, async () =>
    admin.selectFrom('gateway.audit_log').select('details').where('account_id', '=', account.id).where('action', '=', 'account.deleted').executeTakeFirst(),
  );
  t.same(audit.details.remnants, [], 'the product’s own check found nothing left');
  t.notOk(exists('inspect', `wank-slice-${SLICE}`), 'no container');
  t.notOk(exists('volume', 'inspect', `wank-slice-${SLICE}-auth`), 'no session volume');
  const schema = `slice_${SLICE}`;
  t.equal((await admin.selectFrom('pg_catalog.pg_namespace').select('nspname').where('nspname', '=', schema).execute()).length, 0, 'no schema');
  t.equal((await admin.selectFrom('pg_catalog.pg_roles').select('rolname').where('rolname', '=', schema).execute()).length, 0, 'no role');
  for (const [table, column, value] of [
    ['accounts', 'id', account.id],
    ['members', 'account_id', account.id],
    ['slices', 'account_id', account.id],
    ['subscriptions', 'account_id', account.id],
    ['users', 'id', user.id],
    ['sessions', 'user_id', user.id],
  ] as const) {
    t.equal((await admin.selectFrom(`gateway.${table}`).select(column).where(column, '=', value).execute()).length, 0, `no row in gateway.${table}`);
  }
  t.equal((await owner.request('GET', '/api/me')).statusCode, 401, 'the session ended');
});
