// Two Queunir databases in one PostgreSQL cluster: roles are the cluster's, so the second
// installation would take over slice_N and wank_gateway (and reset their passwords). It is refused,
// naming the first installation's database, and the first keeps working.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { sql } from 'kysely';
import { startTestCluster, ROOT } from '../../test-support/pg.ts';
import { createDb, urlForRole } from '../database.ts';
import { dropSlice, provisionGateway, provisionSlice, rotateSlicePassword } from '../provision.ts';

const cluster = await startTestCluster('shared-cluster');
const first = createDb<any>(cluster.adminUrl, { max: 4 });
await sql`create database other_saas`.execute(first);
const otherUrl = (() => {
  const u = new URL(cluster.adminUrl);
  u.pathname = '/other_saas';
  return u.toString();
})();
const second = createDb<any>(otherUrl, { max: 4 });
t.teardown(async () => {
  await second.destroy();
  await first.destroy();
  await cluster.stop();
});

const gw = await provisionGateway(first, { password: 'first-installation-gateway-password' });
const slice1 = await provisionSlice(first, 1);

async function logsIn(role: string, password: string): Promise<boolean> {
  const db = createDb<any>(urlForRole(cluster.adminUrl, role, password), { max: 1 });
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  } finally {
    await db.destroy();
  }
}

t.test('the second database may not take the gateway role: refused, naming the first database', async (t) => {
  await t.rejects(provisionGateway(second, { password: 'second-installation-password' }), {
    code: 'DB_ROLE_IN_OTHER_DATABASE',
    message: /role wank_gateway already belongs to database "wank_saas"/,
  });
  t.ok(await logsIn(gw.role, 'first-installation-gateway-password'), "the first installation's gateway password still works");
  t.notOk(await logsIn(gw.role, 'second-installation-password'), 'the second password was never set');
});

t.test("nor a slice's role: provision, password rotation and drop are all refused", async (t) => {
  await t.rejects(provisionSlice(second, 1), { code: 'DB_ROLE_IN_OTHER_DATABASE', message: /role slice_1 already belongs to database "wank_saas"/ });
  await t.rejects(rotateSlicePassword(second, 1), { code: 'DB_ROLE_IN_OTHER_DATABASE' });
  // An open session of the first installation's slice must survive the second one's drop attempt.
  const asSlice = createDb<any>(urlForRole(cluster.adminUrl, 'slice_1', slice1.password!), { max: 1 });
  t.teardown(() => asSlice.destroy());
  await sql`select 1 from slice_1.chats`.execute(asSlice);
  await t.rejects(dropSlice(second, 1), { code: 'DB_ROLE_IN_OTHER_DATABASE' });
  t.ok(await logsIn('slice_1', slice1.password!), "slice_1's password is unchanged");
  await sql`select 1 from slice_1.chats`.execute(asSlice);
  t.pass('its open session was not ended');
  const inOther = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname = 'slice_1'`.execute(second);
  t.equal(inOther.rows[0]!.n, 0, 'no slice_1 schema was created in the second database');
});

t.test('a slice id the first installation does not use is free for the second', async (t) => {
  const s = await provisionSlice(second, 2);
  t.ok(s.created);
  await t.rejects(provisionSlice(first, 2), { code: 'DB_ROLE_IN_OTHER_DATABASE', message: /"other_saas"/ }, 'and then it is the second one’s');
});

t.test('the first installation goes on provisioning its own roles', async (t) => {
  const again = await provisionSlice(first, 1);
  t.notOk(again.created);
  t.ok(await logsIn('slice_1', await rotateSlicePassword(first, 1)));
});

t.test('the installer (scripts/db-migrate.ts) refuses with that message and a non-zero exit', async (t) => {
  const run = promisify(execFile);
  const err = await run(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, DATABASE_URL: otherUrl, GATEWAY_DB_PASSWORD: 'second-installation-password' },
  }).then(
    () => null,
    (e: { code: number; stderr: string; stdout: string }) => e,
  );
  t.ok(err, 'it failed');
  t.not(err?.code, 0);
  t.match(`${err?.stderr}${err?.stdout}`, /role wank_gateway already belongs to database "wank_saas"/);
  t.ok(await logsIn(gw.role, 'first-installation-gateway-password'), 'and changed nothing');
});
