// Issue 14's first-day bugs on the slice's side (WhatsApp stand-in: no browser). The Unread filter
// and the badge read one field, and it counts what the CRM has not read even after the slice's own
// sync opened the chat (which clears the page's badge). A name saved in the CRM replaces
// WhatsApp's in every answer, keeps WhatsApp's as waName, and survives the page's re-syncs.
import t from 'tap';
import { sql } from 'kysely';
import { migrateSliceSchema } from '../../sql/migrate.ts';
import { auth, buildApp, chat, message, openStore, sliceDb, WhatsAppStandIn } from './helpers.ts';

t.test('unread: the filter returns every chat with a badge, counted by the CRM (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-unread');
  const store = await openStore(t, fx);
  const app = await buildApp(t, store, new WhatsAppStandIn());
  const get = async (url: string) => (await app.inject({ method: 'GET', url, headers: auth })).json();

  // First sight: the page's badge is taken (chat 1: 1, chat 2: 2, chat 3: 0).
  await store.sink.chats([chat(1), chat(2), chat(3)]);
  await store.flush();
  const unreadOf = async () =>
    Object.fromEntries(((await get('/api/chats?limit=100')).items as { name: string; unreadCount: number }[]).map((c) => [c.name, c.unreadCount]));
  t.same(await unreadOf(), { 'Contact 1': 1, 'Contact 2': 2, 'Contact 3': 0 }, "a chat first seen takes the page's badge");

  // A customer writes to chat 3; the slice's sync opens it to read the message, so the page's row
  // now shows no badge. The CRM has still not read it.
  const later = (i: number) => new Date(Date.UTC(2026, 10, 20, 11, i)).toISOString();
  await store.sink.chats([chat(3, { lastMessageAt: later(1), preview: 'new one', unreadCount: 1 })]);
  await store.sink.messages([message(3, 100, { sentAt: later(1), body: 'new one' }), message(3, 101, { sentAt: later(1), body: 'and another' })]);
  await store.sink.chats([chat(3, { lastMessageAt: later(1), preview: 'and another', unreadCount: 0 })]);
  // Older history backfilled into chat 1 is not new.
  await store.sink.messages([message(1, 1, { body: 'old history' })]);
  // A message the CRM sent from chat 2's side is not unread.
  await store.sink.messages([message(2, 200, { sentAt: later(2), direction: 'out', author: null, body: 'we answered' })]);
  await store.flush();

  const counts = await unreadOf();
  t.same(counts, { 'Contact 1': 1, 'Contact 2': 2, 'Contact 3': 2 }, "each new incoming message counts once; the page's cleared badge does not reset it");
  const filtered = ((await get('/api/chats?unread=true&limit=100')).items as { name: string; unreadCount: number }[]).map((c) => c.name).sort();
  const withBadge = Object.entries(counts).filter(([, n]) => n > 0).map(([name]) => name).sort();
  t.same(filtered, withBadge, 'the Unread filter returns exactly the chats with a badge');
  t.same(await get('/api/chats/unread-count'), { chats: withBadge.length }, "the tab title's count is the same chats, counted by the slice");

  // Reading in the CRM clears it, and the next sync does not bring it back.
  const c3 = (await get('/api/chats?limit=100')).items.find((c: { name: string }) => c.name === 'Contact 3').id;
  t.equal((await app.inject({ method: 'POST', url: `/api/chats/${c3}/read`, headers: auth })).statusCode, 200);
  await store.sink.chats([chat(3, { lastMessageAt: later(1), preview: 'and another', unreadCount: 1 })]);
  await store.flush();
  t.equal((await unreadOf())['Contact 3'], 0, 'read in the CRM: 0, whatever the page shows afterwards');
  t.notOk(((await get('/api/chats?unread=true&limit=100')).items as { name: string }[]).some((c) => c.name === 'Contact 3'));
});

t.test('a saved contact name replaces WhatsApp’s everywhere and survives re-syncs (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-saved-names');
  const store = await openStore(t, fx);
  const app = await buildApp(t, store, new WhatsAppStandIn());
  const req = (method: string, url: string, payload?: object) => app.inject({ method: method as 'GET', url, headers: auth, ...(payload ? { payload } : {}) });

  await store.sink.chats([chat(1), chat(2)]);
  await store.sink.messages([message(1, 1, { body: 'hello there' })]);
  await store.flush();
  const c1 = (await req('GET', '/api/chats')).json().items.find((c: { name: string }) => c.name === 'Contact 1');
  t.equal(c1.waName, 'Contact 1');

  const renamed = await req('PATCH', `/api/contacts/${c1.contactId}`, { name: 'Ana (florist)' });
  t.equal(renamed.statusCode, 200);
  t.equal(renamed.json().name, 'Ana (florist)');
  t.equal(renamed.json().waName, 'Contact 1', "the contact keeps WhatsApp's name as a second line");

  // The page syncs again, and WhatsApp's name itself changes.
  await store.sink.chats([chat(1, { name: 'Ana S.' })]);
  await store.sink.contacts([{ waId: chat(1).waId, name: 'Ana S.', phone: chat(1).phone }]);
  await store.flush();
  // Another CRM edit of the contact (not its name).
  t.equal((await req('PATCH', `/api/contacts/${c1.contactId}`, { company: 'Flores Ltda' })).statusCode, 200);

  const listed = (await req('GET', '/api/chats')).json().items.find((c: { id: number }) => c.id === c1.id);
  t.equal(listed.name, 'Ana (florist)', 'the chat list shows the saved name');
  t.equal(listed.waName, 'Ana S.', "WhatsApp's current name beside it");
  t.equal((await req('GET', `/api/chats/${c1.id}`)).json().name, 'Ana (florist)', 'the conversation header (GET /api/chats/:id) too');
  t.same((await req('GET', '/api/chats?q=florist')).json().items.map((c: { id: number }) => c.id), [c1.id], 'chat search finds the saved name');
  t.same((await req('GET', '/api/chats?q=Ana%20S')).json().items.map((c: { id: number }) => c.id), [c1.id], "and WhatsApp's");
  t.same((await req('GET', `/api/chats?stage=${(await req('GET', '/api/stages')).json().items[0].id}`)).json().items, [], 'no stage yet');
  t.equal((await req('PATCH', `/api/contacts/${c1.contactId}`, { stageId: (await req('GET', '/api/stages')).json().items[0].id })).statusCode, 200);
  const inStage = (await req('GET', `/api/chats?stage=${(await req('GET', '/api/stages')).json().items[0].id}`)).json().items;
  t.same(inStage.map((c: { name: string }) => c.name), ['Ana (florist)'], 'the pipeline (chats by stage) shows the saved name');
  const contact = (await req('GET', `/api/contacts/${c1.contactId}`)).json();
  t.same([contact.name, contact.waName, contact.company], ['Ana (florist)', 'Ana S.', 'Flores Ltda']);
  t.same((await req('GET', '/api/contacts?q=florist')).json().items.map((c: { id: number }) => c.id), [c1.contactId], 'contact search finds the saved name');
  // The contact list carries its chat's labels, so a page of contacts needs no request per row.
  const label = (await req('POST', '/api/labels', { name: 'VIP' })).json();
  t.equal((await req('PUT', `/api/chats/${c1.id}/labels/${label.id}`)).statusCode, 200);
  const listed2 = (await req('GET', '/api/contacts?q=florist')).json().items[0];
  t.same(listed2.labels.map((l: { name: string }) => l.name), ['VIP'], 'GET /api/contacts answers the labels of each contact’s chat');
  t.same((await req('GET', `/api/contacts/${c1.contactId}`)).json().labels.map((l: { name: string }) => l.name), ['VIP'], 'and GET /api/contacts/:id');

  // Live: a rename announces the chat as well as the contact.
  const before = (await fx.db.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()).id;
  t.equal((await req('PATCH', `/api/contacts/${c1.contactId}`, { name: 'Ana Florist' })).statusCode, 200);
  const events = await fx.db.selectFrom('events').select(['type', 'payload']).where('id', '>', String(before)).orderBy('id').execute();
  const chatEvent = events.find((e) => e.type === 'chat.updated');
  t.ok(chatEvent, 'a chat.updated follows the rename');
  t.equal((chatEvent?.payload as { name?: string } | undefined)?.name, 'Ana Florist');

  // Clearing the saved name shows WhatsApp's again.
  t.equal((await req('PATCH', `/api/contacts/${c1.contactId}`, { name: null })).json().name, 'Ana S.');
  t.equal((await req('GET', `/api/chats/${c1.id}`)).json().name, 'Ana S.');
});

t.test('the migration keeps names people had typed before saved names existed', async (t) => {
  const fx = await sliceDb(t, 'slice-saved-names-migration');
  // Back to the first migration, as a slice created before this change.
  await sql`drop schema slice_1 cascade`.execute(fx.admin);
  await sql`create schema slice_1 authorization slice_1`.execute(fx.admin);
  const { sliceMigrations } = await import('../../sql/slice/migrations/index.ts');
  const [firstName] = Object.keys(sliceMigrations);
  const { Migrator } = await import('kysely');
  const first = new Migrator({
    db: fx.raw.withSchema('slice_1'),
    migrationTableSchema: 'slice_1',
    migrationTableName: 'kysely_migration',
    migrationLockTableName: 'kysely_migration_lock',
    provider: { getMigrations: async () => ({ [firstName!]: sliceMigrations[firstName!]! }) },
  });
  t.equal((await first.migrateToLatest()).error, undefined);
  const db = fx.db as any;
  const [typed] = await db.insertInto('contacts').values({ wa_id: 'a@c.us', name: 'Ana (typed in the CRM)' }).returning('id').execute();
  const [untouched] = await db.insertInto('contacts').values({ wa_id: 'b@c.us', name: 'Bruno' }).returning('id').execute();
  await db.insertInto('chats').values([{ wa_id: 'a@c.us', name: 'Ana', contact_id: typed.id }, { wa_id: 'b@c.us', name: 'Bruno', contact_id: untouched.id }]).execute();

  const report = await migrateSliceSchema(fx.raw, 'slice_1');
  t.same(report.applied, Object.keys(sliceMigrations).slice(1), 'every later migration applied');
  const rows = await db.selectFrom('contacts').select(['wa_id', 'name', 'saved_name']).orderBy('wa_id').execute();
  t.same(rows, [
    { wa_id: 'a@c.us', name: 'Ana (typed in the CRM)', saved_name: 'Ana (typed in the CRM)' },
    { wa_id: 'b@c.us', name: 'Bruno', saved_name: null },
  ]);
});

t.test('search ignores accents and case, names each hit’s chat, and uses its index (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-search-unaccent');
  const store = await openStore(t, fx);
  const app = await buildApp(t, store, new WhatsAppStandIn());
  const req = (method: string, url: string, payload?: object) => app.inject({ method: method as 'GET', url, headers: auth, ...(payload ? { payload } : {}) });
  await store.sink.chats([chat(1), chat(2)]);
  await store.sink.messages([
    message(1, 1, { body: 'Quero um ORÇAMENTO para amanhã' }),
    message(2, 1, { body: 'José vai passar às três' }),
    message(2, 2, { body: 'nothing to see here' }),
  ]);
  await store.flush();
  const bodies = async (q: string) => ((await req('GET', `/api/search?q=${encodeURIComponent(q)}`)).json().items as { body: string }[]).map((m) => m.body);
  t.same(await bodies('orcamento'), ['Quero um ORÇAMENTO para amanhã'], 'no accent and lower case find "ORÇAMENTO"');
  t.same(await bodies('Orçamento amanha'), ['Quero um ORÇAMENTO para amanhã'], 'every word, accents either way');
  t.same(await bodies('JOSE'), ['José vai passar às três'], 'upper case without the accent finds "José"');
  t.same(await bodies('tres as'), ['José vai passar às três']);

  const contactId = (await req('GET', '/api/chats')).json().items.find((c: { name: string }) => c.name === 'Contact 2').contactId;
  await req('PATCH', `/api/contacts/${contactId}`, { name: 'José Pereira' });
  const hit = (await req('GET', '/api/search?q=jose')).json().items[0];
  t.equal(hit.chatName, 'José Pereira', "a hit names its chat as the CRM shows it (the saved name)");
  t.type(hit.chatId, 'number', 'and carries its chat id, to open the conversation at it');

  // The query's expression matches the index's, so a large table is searched through the index.
  await fx.db.insertInto('messages').values(
    Array.from({ length: 3000 }, (_, i) => ({ wa_id: `bulk-${i}`, chat_id: String(hit.chatId), direction: 'in', body: `bulk message number ${i}`, sent_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() })) as any,
  ).execute();
  await sql`analyze messages`.execute(fx.db);
  const plan = await sql<{ 'QUERY PLAN': string }>`explain select id from messages where to_tsvector('slice_1.crm_search'::regconfig, body) @@ plainto_tsquery('slice_1.crm_search'::regconfig, 'orcamento')`.execute(fx.db);
  t.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /messages_body_search_idx/, 'the plan uses messages_body_search_idx');
});
