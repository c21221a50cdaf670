// Tenant isolation in the database: a slice's role sees its own schema and nothing else; the
// gateway's role sees schema gateway and nothing else. Widening any grant in sql/provision.ts must
// make one of these fail.
import t, { type Test } from 'tap';
import { sql, type Kysely } from 'kysely';
import { startTestCluster } from '../../test-support/pg.ts';
import { createDb, urlForRole } from '../database.ts';
import { provisionGateway, provisionSlice, SLICE_CONNECTION_LIMIT } from '../provision.ts';

const cluster = await startTestCluster('isolation');
const admin = createDb<any>(cluster.adminUrl);
const gatewayPassword = 'gateway-test-password';
await provisionGateway(admin, { password: gatewayPassword });
const s1 = await provisionSlice(admin, 1);
const s2 = await provisionSlice(admin, 2);
const asSlice1 = createDb<any>(urlForRole(cluster.adminUrl, 'slice_1', s1.password!), { max: 2 });
const asSlice2 = createDb<any>(urlForRole(cluster.adminUrl, 'slice_2', s2.password!), { max: 2 });
const asGateway = createDb<any>(urlForRole(cluster.adminUrl, 'wank_gateway', gatewayPassword), { max: 2 });
t.teardown(async () => {
  await Promise.all([asSlice1.destroy(), asSlice2.destroy(), asGateway.destroy(), admin.destroy()]);
  await cluster.stop();
});

// Some data in every schema, so a leak would have something to leak.
await admin.withSchema('slice_2').insertInto('chats').values({ wa_id: 'secret@c.us', name: 'B customer' }).execute();
await admin.withSchema('gateway').insertInto('users').values({ email: 'b@example.com', password_hash: 'h' }).execute();

async function denied(t: Test, db: Kysely<any>, query: string, pattern: RegExp, what: string) {
  await t.rejects(sql.raw(query).execute(db), { code: '42501', message: pattern }, what);
}

t.test('slice_1 works in its own schema', async (t) => {
  await asSlice1.insertInto('chats').values({ wa_id: 'mine@c.us', name: 'A customer' }).execute(); // search_path = slice_1
  const rows = await asSlice1.withSchema('slice_1').selectFrom('chats').select('name').execute();
  t.same(rows, [{ name: 'A customer' }]);
  await sql`create table slice_1.scratch (x int)`.execute(asSlice1);
  await sql`drop table slice_1.scratch`.execute(asSlice1);
});

t.test('slice_1 is denied on slice_2.*, gateway.* and public', async (t) => {
  for (const table of ['chats', 'messages', 'contacts', 'notes', 'events']) {
    await denied(t, asSlice1, `select * from slice_2.${table}`, /permission denied for schema slice_2/, `read slice_2.${table}`);
  }
  await denied(t, asSlice1, `insert into slice_2.chats (wa_id, name) values ('x', 'x')`, /permission denied for schema slice_2/, 'write slice_2');
  await denied(t, asSlice1, `select * from gateway.users`, /permission denied for schema gateway/, 'read gateway.users');
  await denied(t, asSlice1, `select * from gateway.slices`, /permission denied for schema gateway/, 'read gateway.slices');
  await denied(t, asSlice1, `create table public.leak (x int)`, /permission denied for schema public/, 'create in public');
  await denied(t, asSlice1, `create temporary table leak (x int)`, /permission denied to create temporary tables/, 'temporary tables');
  await denied(t, asSlice1, `create schema leak`, /permission denied for database/, 'create a schema');
  await denied(t, asSlice2, `select * from slice_1.chats`, /permission denied for schema slice_1/, 'and slice_2 on slice_1');
});

t.test('wank_gateway is denied on slice schemas', async (t) => {
  const users = await asGateway.withSchema('gateway').selectFrom('users').select('email').execute();
  t.same(users, [{ email: 'b@example.com' }], 'the gateway reads its own schema');
  await denied(t, asGateway, `select * from slice_1.chats`, /permission denied for schema slice_1/, 'read slice_1.chats');
  await denied(t, asGateway, `select * from slice_2.messages`, /permission denied for schema slice_2/, 'read slice_2.messages');
  await denied(t, asGateway, `create table public.leak (x int)`, /permission denied for schema public/, 'create in public');
});

/** Every ACL entry on the tenant schemas and their objects that names a role other than the owner. */
async function aclLeaks(): Promise<Record<string, string>[]> {
  const entries = await sql<Record<string, string>>`
    with objs as (
      select n.nspname as schema, 'schema ' || n.nspname as object, n.nspacl as acl, n.nspowner as owner
        from pg_namespace n where n.nspname in ('gateway', 'slice_1', 'slice_2', 'public')
      union all
      select n.nspname, 'relation ' || c.relname, c.relacl, c.relowner
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('gateway', 'slice_1', 'slice_2')
      union all
      select n.nspname, 'function ' || p.proname, p.proacl, p.proowner
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('gateway', 'slice_1', 'slice_2')
      union all
      select n.nspname, 'type ' || ty.typname, ty.typacl, ty.typowner
        from pg_type ty join pg_namespace n on n.oid = ty.typnamespace where n.nspname in ('gateway', 'slice_1', 'slice_2')
    )
    select o.schema, o.object, coalesce(pg_get_userbyid(a.grantee), 'PUBLIC') as grantee, a.privilege_type as privilege
      from objs o, aclexplode(o.acl) a
     where a.grantee <> o.owner`.execute(admin);
  return entries.rows;
}

t.test('no privilege is granted to anyone but the owner, on any object (catalog check)', async (t) => {
  t.same(await aclLeaks(), [], 'no grants to other roles or to PUBLIC');

  const defaults = await sql`select * from pg_default_acl`.execute(admin);
  t.same(defaults.rows, [], 'no default privileges that would widen future objects');

  const db = await sql<{ grantee: string; privilege: string }>`
    select coalesce(pg_get_userbyid(a.grantee), 'PUBLIC') as grantee, a.privilege_type as privilege
      from pg_database d, aclexplode(d.datacl) a
     where d.datname = current_database() and a.grantee <> d.datdba
     order by 1, 2`.execute(admin);
  t.same(db.rows, [
    { grantee: 'slice_1', privilege: 'CONNECT' },
    { grantee: 'slice_2', privilege: 'CONNECT' },
    { grantee: 'wank_gateway', privilege: 'CONNECT' },
  ], 'the database grants CONNECT by name and nothing else');
});

t.test('the catalog check sees a widened grant (it can fail)', async (t) => {
  await sql`grant select on slice_2.chats to slice_1`.execute(admin);
  t.same(await aclLeaks(), [{ schema: 'slice_2', object: 'relation chats', grantee: 'slice_1', privilege: 'SELECT' }]);
  await sql`revoke select on slice_2.chats from slice_1`.execute(admin);
  t.same(await aclLeaks(), []);
});

t.test('the roles are as small as they can be', async (t) => {
  const roles = await sql<Record<string, unknown>>`
    select rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolconnlimit
      from pg_roles where rolname in ('slice_1', 'slice_2', 'wank_gateway') order by rolname`.execute(admin);
  for (const r of roles.rows) {
    t.same(
      { ...r, rolconnlimit: undefined },
      { rolname: r.rolname, rolsuper: false, rolinherit: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolconnlimit: undefined },
      `${r.rolname} has no special attributes`,
    );
  }
  t.equal(roles.rows.find((r) => r.rolname === 'slice_1')!.rolconnlimit, SLICE_CONNECTION_LIMIT);
  const members = await sql`select pg_get_userbyid(roleid) as role, pg_get_userbyid(member) as member from pg_auth_members
    where pg_get_userbyid(member) in ('slice_1', 'slice_2', 'wank_gateway')`.execute(admin);
  t.same(members.rows, [], 'no tenant role is a member of another role');
});
