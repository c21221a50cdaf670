import t from 'tap';
import { sql, type Kysely } from 'kysely';
import { startTestCluster } from '../../test-support/pg.ts';
import { createDb, urlForRole } from '../database.ts';
import { migrateGatewaySchema, migrateSliceSchema } from '../migrate.ts';
import { provisionGateway, provisionSlice } from '../provision.ts';
import { gatewayMigrations } from '../gateway/migrations/index.ts';
import { sliceMigrations } from '../slice/migrations/index.ts';

const cluster = await startTestCluster('migrations');
const admin = createDb<any>(cluster.adminUrl);
t.teardown(async () => {
  await admin.destroy();
  await cluster.stop();
});

/** Everything a migration can change in a schema, as comparable text. */
async function snapshot(db: Kysely<any>, schema: string): Promise<string[]> {
  const r = await sql<{ line: string }>`
    select 'col ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as line
      from information_schema.columns where table_schema = ${schema}
    union all
    select 'idx ' || indexname || ' ' || indexdef from pg_indexes where schemaname = ${schema}
    union all
    select 'con ' || conname || ' ' || pg_get_constraintdef(c.oid) from pg_constraint c
      join pg_namespace n on n.oid = c.connamespace where n.nspname = ${schema}
    union all
    select 'row ' || name from ${sql.id(schema, 'kysely_migration')}
    order by 1`.execute(db);
  return r.rows.map((x) => x.line);
}

t.test('the migrations are named by ISO timestamp and listed in order', async (t) => {
  for (const set of [gatewayMigrations, sliceMigrations]) {
    const names = Object.keys(set);
    t.ok(names.length > 0);
    for (const n of names) t.match(n, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}/, n);
    t.same(names, [...names].sort(), 'listed in order');
  }
});

t.test('gateway: applies to an empty database, a second run changes nothing', async (t) => {
  const first = await provisionGateway(admin);
  t.same(first.migrations, Object.keys(gatewayMigrations));
  const before = await snapshot(admin, 'gateway');
  for (const table of ['users', 'sessions', 'slices', 'subscriptions', 'stripe_events', 'audit_log']) {
    t.ok(before.some((l) => l.startsWith(`col ${table}.`)), `table ${table} exists`);
  }
  const second = await provisionGateway(admin);
  t.same(second.migrations, [], 'nothing applied the second time');
  t.equal(second.password, null, 'an existing role keeps its password unless one is given');
  t.same(await snapshot(admin, 'gateway'), before, 'schema unchanged');
  // the gateway itself, logging in as its role, also finds nothing to do
  const withPassword = await provisionGateway(admin, { password: 'gw-password-for-test' });
  const gw = createDb<any>(urlForRole(cluster.adminUrl, 'wank_gateway', withPassword.password!));
  t.teardown(() => gw.destroy());
  t.same((await migrateGatewaySchema(gw)).applied, []);
});

t.test('gateway: emails are unique whatever their case', async (t) => {
  const gw = admin.withSchema('gateway');
  await gw.insertInto('users').values({ email: 'Owner@Example.com', password_hash: 'x' }).execute();
  await t.rejects(
    gw.insertInto('users').values({ email: 'owner@example.COM', password_hash: 'y' }).execute(),
    { code: '23505' },
  );
  await t.rejects(gw.insertInto('users').values({ email: 'x@y.z', password_hash: 'y', role: 'root' as any }).execute(), { code: '23514' });
});

t.test('slice template: applies to an empty schema, a second run changes nothing', async (t) => {
  const first = await provisionSlice(admin, 1);
  t.same(first.migrations, Object.keys(sliceMigrations));
  const before = await snapshot(admin, 'slice_1');
  for (const table of ['contacts', 'chats', 'messages', 'labels', 'chat_labels', 'notes', 'pipeline_stages', 'sync_state', 'events']) {
    t.ok(before.some((l) => l.startsWith(`col ${table}.`)), `table ${table} exists`);
  }
  t.same((await provisionSlice(admin, 1)).migrations, []);
  t.same((await migrateSliceSchema(admin, 'slice_1')).applied, []);
  t.same(await snapshot(admin, 'slice_1'), before, 'schema unchanged');

  const stages = await admin.withSchema('slice_1').selectFrom('pipeline_stages').select(['name', 'position']).orderBy('position').execute();
  t.same(stages.map((s) => s.name), ['New lead', 'Contacted', 'Qualified', 'Proposal', 'Won', 'Lost'], 'a default pipeline');

  const owners = await sql<{ owner: string }>`
    select distinct pg_get_userbyid(c.relowner) as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'slice_1'`.execute(admin);
  t.same(owners.rows.map((r) => r.owner), ['slice_1'], 'every object belongs to the slice role');
});

t.test('slice template: messages are unique by WhatsApp id; the indexes serve the queries', async (t) => {
  const s = admin.withSchema('slice_1');
  const chat = await s.insertInto('chats').values({ wa_id: '5511999990000@c.us', name: 'Ana' }).returning('id').executeTakeFirstOrThrow();
  const msg = { wa_id: '3EB0ABC', chat_id: chat.id, direction: 'in' as const, body: 'olá, tudo bem? 👋', sent_at: new Date() };
  await s.insertInto('messages').values(msg).execute();
  await t.rejects(s.insertInto('messages').values(msg).execute(), { code: '23505' }, 'the same wa_id twice is refused');

  // With sequential scans off the planner must still find a plan through our indexes: proof that
  // the query expressions match the index expressions exactly.
  await admin.connection().execute(async (conn) => {
    await sql`set enable_seqscan = off`.execute(conn);
    const explain = async (q: ReturnType<typeof sql>) =>
      (await sql<{ 'QUERY PLAN': string }>`explain ${q}`.execute(conn)).rows.map((r) => r['QUERY PLAN']).join('\n');
    t.match(
      await explain(sql`select id from slice_1.messages where to_tsvector('slice_1.crm_search'::regconfig, body) @@ plainto_tsquery('slice_1.crm_search'::regconfig, 'tudo')`),
      /messages_body_search_idx/,
      'full-text search uses the GIN index',
    );
    t.match(
      await explain(sql`select id from slice_1.chats order by coalesce(last_message_at, '-infinity'::timestamptz) desc, id desc limit 50`),
      /chats_activity_idx/,
      'the chat list uses the activity index',
    );
    t.match(
      await explain(sql`select id from slice_1.messages where chat_id = 1 order by sent_at desc, id desc limit 50`),
      /messages_chat_time_idx/,
      'a chat page uses the chat/time index',
    );
    await sql`reset enable_seqscan`.execute(conn);
  });
  const found = await sql<{ n: number }>`select count(*)::int as n from slice_1.messages where to_tsvector('simple'::regconfig, body) @@ plainto_tsquery('simple', 'tudo')`.execute(admin);
  t.equal(found.rows[0]!.n, 1, 'a Portuguese word is found');
});
