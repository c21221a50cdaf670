import t from 'tap';
import { sql } from 'kysely';
import { startTestCluster } from '../../test-support/pg.ts';
import { createDb, urlForRole } from '../database.ts';
import { dropSlice, provisionGateway, provisionSlice, rotateSlicePassword, sliceSchemaExists } from '../provision.ts';
import { sliceMigrations } from '../slice/migrations/index.ts';

const cluster = await startTestCluster('provision');
const admin = createDb<any>(cluster.adminUrl, { max: 12 });
t.teardown(async () => {
  await admin.destroy();
  await cluster.stop();
});

async function roleCount(prefix = 'slice_'): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname like ${prefix + '%'}`.execute(admin);
  return r.rows[0]!.n;
}

t.test('provisioning the same slice twice at once yields one role, one schema, one migration run', async (t) => {
  const results = await Promise.all([provisionSlice(admin, 7), provisionSlice(admin, 7), provisionSlice(admin, 7)]);
  t.equal(results.filter((r) => r.created).length, 1, 'exactly one call created the role');
  t.equal(results.filter((r) => r.password !== null).length, 1, 'and only that one got a password');
  t.same(results.flatMap((r) => r.migrations), Object.keys(sliceMigrations), 'each migration ran once, in order');
  const created = results.find((r) => r.created)!;
  const asSlice = createDb<any>(urlForRole(cluster.adminUrl, 'slice_7', created.password!), { max: 1 });
  await sql`select 1 from slice_7.chats`.execute(asSlice);
  await asSlice.destroy();
});

t.test('a rotated password replaces the old one', async (t) => {
  const fresh = await rotateSlicePassword(admin, 7);
  const asSlice = createDb<any>(urlForRole(cluster.adminUrl, 'slice_7', fresh), { max: 1 });
  await sql`select 1`.execute(asSlice);
  await asSlice.destroy();
  await t.rejects(rotateSlicePassword(admin, 8), { code: 'SLICE_NOT_FOUND' });
});

t.test('dropping removes schema and role, with open sessions, and is idempotent', async (t) => {
  const password = await rotateSlicePassword(admin, 7);
  const asSlice = createDb<any>(urlForRole(cluster.adminUrl, 'slice_7', password), { max: 1 });
  await sql`select 1`.execute(asSlice); // an open connection must not block the drop
  t.same(await dropSlice(admin, 7), { dropped: true });
  t.notOk(await sliceSchemaExists(admin, 7));
  t.equal(await roleCount('slice_7'), 0);
  t.same(await dropSlice(admin, 7), { dropped: false }, 'a second drop is a no-op');
  await asSlice.destroy().catch(() => {});
});

t.test('50 slices provision and drop', async (t) => {
  const ids = Array.from({ length: 50 }, (_, i) => i + 100);
  const started = performance.now();
  // in waves of 5, as a supervisor creating slices for a burst of sign-ups would
  for (let i = 0; i < ids.length; i += 5) await Promise.all(ids.slice(i, i + 5).map((id) => provisionSlice(admin, id)));
  const provisioned = performance.now() - started;
  t.equal(await roleCount('slice_1'), 50, '50 roles slice_100…slice_149');
  const schemas = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname ~ '^slice_1[0-4][0-9]$'`.execute(admin);
  t.equal(schemas.rows[0]!.n, 50, '50 schemas');
  const dropStarted = performance.now();
  for (const id of ids) await dropSlice(admin, id);
  const dropped = performance.now() - dropStarted;
  t.equal(await roleCount('slice_1'), 0, 'all roles gone');
  t.comment(`provisioned 50 slices in ${(provisioned / 1000).toFixed(2)} s (${(provisioned / 50).toFixed(0)} ms each), dropped them in ${(dropped / 1000).toFixed(2)} s`);
  console.log(`provision: 50 slices in ${(provisioned / 1000).toFixed(2)} s, drop in ${(dropped / 1000).toFixed(2)} s`);
});

t.test('ids that are not positive integers are refused before any SQL', async (t) => {
  await t.rejects(provisionSlice(admin, 0), RangeError);
  await t.rejects(provisionSlice(admin, 1.5), RangeError);
  await t.rejects(dropSlice(admin, -3), RangeError);
});

t.test('an admin that is not a superuser (the installer: CREATEROLE, owner of the database) provisions twice', async (t) => {
  await sql`create role wank_supervisor_test with login createrole nosuperuser nocreatedb noreplication password 'admin-pw-for-tests'`.execute(admin);
  await sql`create database provision_nonsuper owner wank_supervisor_test`.execute(admin);
  const url = new URL(urlForRole(cluster.adminUrl, 'wank_supervisor_test', 'admin-pw-for-tests'));
  url.pathname = '/provision_nonsuper';
  const limited = createDb<any>(url.toString(), { max: 2 });
  t.teardown(() => limited.destroy());
  const first = await provisionSlice(limited, 31);
  t.equal(first.created, true, 'created by the limited admin');
  const again = await provisionSlice(limited, 31, { rotatePassword: true });
  t.equal(again.created, false, 'provisioned again (ALTER ROLE) without superuser rights');
  t.ok(again.password, 'with a new password');
  const asSlice = createDb<any>(urlForRole(url.toString(), 'slice_31', again.password!), { max: 1 });
  await sql`select 1 from slice_31.chats`.execute(asSlice);
  await asSlice.destroy();
  const gw1 = await provisionGateway(limited, { password: 'gateway-pw-1-for-tests' });
  const gw2 = await provisionGateway(limited, { password: 'gateway-pw-2-for-tests' });
  t.ok(gw1 && gw2, 'the gateway role twice too');
  await dropSlice(limited, 31);
});
