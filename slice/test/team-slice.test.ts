// Teams on the slice over app.inject() with the real PostgreSQL (WhatsApp stand-in, no browser):
// every route × every role (and the system, and a forged header), PUT /internal/team, assignment,
// the list filter and counts, round-robin order with availability, sentBy on a send, and
// visibility of chats assigned to someone else on every chat-scoped route.
import t from 'tap';
import { ACTING_MEMBER_HEADER, signActingMember, type MemberRole } from '../../lib/acting-member.ts';
import { auth, buildApp, chat, message, openStore, sliceDb, TOKEN, WhatsAppStandIn } from './helpers.ts';

const member = (id: string, role: MemberRole, name = `Member ${id}`) => ({
  ...auth,
  [ACTING_MEMBER_HEADER]: signActingMember({ id, role, name, accountId: '1' }, TOKEN),
});

t.test('teams on the slice (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-team');
  const store = await openStore(t, fx);
  const wa = new WhatsAppStandIn();
  const app = await buildApp(t, store, wa);
  const req = (method: string, url: string, body?: unknown, headers: Record<string, string> = auth) =>
    app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
  const team = (members: { id: string; name: string; role: MemberRole; available: boolean }[], settings = { roundRobin: false, agentsSeeOwnChatsOnly: false }) =>
    req('PUT', '/internal/team', { members, settings });

  await store.sink.chats([chat(1), chat(2), chat(3), chat(4)]);
  await store.sink.messages([message(1, 1), message(2, 1), message(3, 1), message(4, 1)]);
  await store.flush();
  const ids = Object.fromEntries((await fx.db.selectFrom('chats').select(['id', 'wa_id']).execute()).map((r) => [r.wa_id, Number(r.id)])) as Record<string, number>;
  const [c1, c2, c3, c4] = [1, 2, 3, 4].map((n) => ids[chat(n).waId]!);

  const roster = [
    { id: '10', name: 'Olga Owner', role: 'owner' as const, available: true },
    { id: '11', name: 'Ada Admin', role: 'admin' as const, available: false },
    { id: '12', name: 'Ana Agent', role: 'agent' as const, available: true },
    { id: '13', name: 'Beto Agent', role: 'agent' as const, available: true },
  ];

  await t.test('PUT /internal/team: bearer only, schema-checked, never with a member header', async (t) => {
    const asOwner = await app.inject({ method: 'PUT', url: '/internal/team', headers: member('10', 'owner'), payload: { members: roster, settings: { roundRobin: false, agentsSeeOwnChatsOnly: false } } });
    t.equal(asOwner.statusCode, 403, 'an owner through the gateway cannot reach it');
    t.equal(asOwner.json().error.code, 'ROLE_REQUIRED');
    t.equal(await fx.db.selectFrom('team_members').select('id').execute().then((r) => r.length), 0, 'nothing stored');
    const bad = await req('PUT', '/internal/team', { members: [{ id: 'x', name: 'n', role: 'boss', available: true }], settings: { roundRobin: true, agentsSeeOwnChatsOnly: false } });
    t.equal(bad.statusCode, 400);
    t.match(bad.json().error.message, /members/);
    t.equal((await req('PUT', '/internal/team', { members: [], settings: {} }, {})).statusCode, 401, 'no token: 401');
    t.equal((await team(roster)).statusCode, 204);
    t.same((await fx.db.selectFrom('team_members').select(['id', 'role', 'active']).orderBy('id').execute()).map((r) => `${r.id}:${r.role}:${r.active}`), ['10:owner:true', '11:admin:true', '12:agent:true', '13:agent:true']);
  });

  await t.test('every route × role: agents, admins, owners, the system; a forged header is 401', async (t) => {
    const routes = app.routeRoles();
    t.ok(routes.length > 30, `${routes.length} routes enumerated`);
    t.ok(routes.every((r) => ['agent', 'admin', 'owner', 'system'].includes(r.minRole)), 'every route has a declared role');
    const expectAdmin = ['POST /api/labels', 'PATCH /api/labels/:id', 'DELETE /api/labels/:id', 'POST /api/stages', 'PUT /api/stages/order', 'PATCH /api/stages/:id', 'DELETE /api/stages/:id', 'POST /api/wa/logout', 'POST /api/wa/reload-qr', 'POST /api/wa/pairing-code'];
    for (const r of expectAdmin) t.equal(routes.find((x) => `${x.method} ${x.url}` === r)?.minRole, 'admin', `${r} needs admin`);
    t.equal(routes.find((x) => x.url === '/internal/team')?.minRole, 'system');
    const forged = { ...auth, [ACTING_MEMBER_HEADER]: signActingMember({ id: '10', role: 'owner', name: 'x', accountId: '1' }, 'another-slices-token') };
    const rank = { agent: 1, admin: 2, owner: 3, system: 4 } as const;
    const agentLogout = await req('POST', '/api/wa/logout', {}, member('12', 'agent'));
    t.equal(agentLogout.statusCode, 403, 'an agent cannot log WhatsApp out');
    t.equal(wa.loggedOut, false, 'and nothing happened on WhatsApp');
    for (const r of routes) {
      // Ids that match nothing: allowed calls end in 400/404, never in a change.
      const url = r.url.replace(/:(id|labelId)/g, '999999').replace('/*', '/some/app/route');
      const body = ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined;
      const bad = await req(r.method, url, body, forged);
      t.equal(bad.statusCode, 401, `${r.method} ${r.url} with a forged header`);
      t.equal(bad.json().error.code, 'ACTING_MEMBER_INVALID');
      // A stream that is admitted never ends: its role is checked on the route's declaration above.
      if (r.url === '/events') continue;
      for (const role of ['agent', 'admin', 'owner'] as const) {
        const res = await req(r.method, url, body, member('10', role, 'Olga Owner'));
        const refused = res.statusCode === 403 && res.json().error?.code === 'ROLE_REQUIRED';
        t.equal(refused, rank[role] < rank[r.minRole], `${r.method} ${r.url} as ${role}: ${res.statusCode}`);
        t.not(res.statusCode, 401, `${r.method} ${r.url} as ${role} is authenticated`);
      }
      const system = await req(r.method, url, body);
      t.not(system.json()?.error?.code, 'ROLE_REQUIRED', `${r.method} ${r.url} as the system`);
    }
    // The admitted calls of POST /api/wa/logout did log out: back to a linked phone for what follows.
    wa.loggedOut = false;
    wa.state = 'READY';
  });

  await t.test('assignment: agents take or drop their own, admins anyone; filters and counts', async (t) => {
    const ana = member('12', 'agent', 'Ana Agent');
    const beto = member('13', 'agent', 'Beto Agent');
    const take = await req('PUT', `/api/chats/${c1}/assignee`, { memberId: '12' }, ana);
    t.equal(take.statusCode, 200);
    t.same(take.json().assignee, { memberId: '12', name: 'Ana Agent' });
    const steal = await req('PUT', `/api/chats/${c1}/assignee`, { memberId: '13' }, beto);
    t.equal(steal.statusCode, 403, 'an agent cannot take a chat assigned to someone else');
    t.equal(steal.json().error.code, 'ROLE_REQUIRED');
    t.equal((await req('PUT', `/api/chats/${c2}/assignee`, { memberId: '12' }, beto)).statusCode, 403, 'nor assign others');
    const unknown = await req('PUT', `/api/chats/${c2}/assignee`, { memberId: '99' }, member('11', 'admin'));
    t.equal(unknown.statusCode, 404);
    t.equal(unknown.json().error.code, 'MEMBER_NOT_FOUND');
    t.equal((await req('PUT', `/api/chats/${c2}/assignee`, { memberId: '13' }, member('11', 'admin'))).json().assignee.memberId, '13');
    t.equal((await req('PUT', `/api/chats/${c2}/assignee`, { memberId: 'me' }, member('11', 'admin'))).statusCode, 400, 'memberId is checked');
    const mine = (await req('GET', '/api/chats?assignee=me', undefined, ana)).json().items.map((c: { id: number }) => c.id);
    t.same(mine, [c1]);
    const none = (await req('GET', '/api/chats?assignee=none', undefined, ana)).json().items.map((c: { id: number }) => c.id).sort();
    t.same(none, [c3, c4].sort());
    t.same((await req('GET', '/api/chats?assignee=13')).json().items.map((c: { id: number }) => c.id), [c2]);
    t.equal((await req('GET', '/api/chats?assignee=someone')).statusCode, 400);
    t.same((await req('GET', '/api/chats/counts', undefined, ana)).json(), { mine: 1, unassigned: 2, all: 4 });
    t.same((await req('GET', '/api/chats/counts')).json(), { mine: 0, unassigned: 2, all: 4 }, 'the system has no chats of its own');
    const drop = await req('PUT', `/api/chats/${c1}/assignee`, { memberId: null }, ana);
    t.equal(drop.json().assignee, null, 'an agent gives up their own');
    await req('PUT', `/api/chats/${c1}/assignee`, { memberId: '12' }, ana);
  });

  await t.test('the header renames the member: assignee names follow', async (t) => {
    await req('GET', '/api/chats', undefined, member('12', 'agent', 'Ana Souza'));
    t.same((await req('GET', `/api/chats/${c1}`)).json().assignee, { memberId: '12', name: 'Ana Souza' });
  });

  await t.test('sentBy on a send: the member, and null for the system', async (t) => {
    const r = await req('POST', `/api/chats/${c1}/messages`, { body: 'on it' }, member('12', 'agent', 'Ana Souza'));
    t.equal(r.statusCode, 202);
    t.same(r.json().sentBy, { memberId: '12', name: 'Ana Souza' });
    const sys = await req('POST', `/api/chats/${c1}/messages`, { body: 'from the system' });
    t.equal(sys.json().sentBy, null);
    await app.outbox.flush();
    const list = (await req('GET', `/api/chats/${c1}/messages`)).json().items;
    t.same(list.find((m: { body: string }) => m.body === 'on it').sentBy, { memberId: '12', name: 'Ana Souza' }, 'kept once WhatsApp confirmed it');
    t.equal(list.find((m: { body: string }) => m.body === message(1, 1).body).sentBy, null, 'incoming: null');
  });

  await t.test('agents see only their chats and unassigned ones, on every chat-scoped route', async (t) => {
    await team(roster, { roundRobin: false, agentsSeeOwnChatsOnly: true });
    const note = await req('POST', `/api/chats/${c2}/notes`, { body: 'private' });
    const noteId = note.json().id;
    const msgId = (await req('GET', `/api/chats/${c2}/messages`)).json().items[0].id;
    const ana = member('12', 'agent', 'Ana Souza');
    const before = await fx.db.selectFrom('chats').selectAll().where('id', '=', String(c2)).executeTakeFirst();
    const hidden: [string, string, unknown?][] = [
      ['GET', `/api/chats/${c2}`],
      ['PATCH', `/api/chats/${c2}`, { pinned: true }],
      ['GET', `/api/chats/${c2}/messages`],
      ['POST', `/api/chats/${c2}/messages`, { body: 'hi' }],
      ['POST', `/api/chats/${c2}/read`],
      ['PUT', `/api/chats/${c2}/labels/1`],
      ['DELETE', `/api/chats/${c2}/labels/1`],
      ['PUT', `/api/chats/${c2}/stage`, { stageId: null }],
      ['PUT', `/api/chats/${c2}/deal`, { value: 10 }],
      ['PUT', `/api/chats/${c2}/assignee`, { memberId: '12' }],
      ['GET', `/api/chats/${c2}/notes`],
      ['POST', `/api/chats/${c2}/notes`, { body: 'x' }],
      ['PATCH', `/api/notes/${noteId}`, { body: 'y' }],
      ['DELETE', `/api/notes/${noteId}`],
      ['PUT', `/api/messages/${msgId}/reaction`, { emoji: '👍' }],
      ['GET', `/api/messages/${msgId}/edits`],
    ];
    for (const [method, url, body] of hidden) {
      const r = await req(method, url, body, ana);
      t.equal(r.statusCode, 404, `${method} ${url}`);
      t.equal(r.json().error.code, 'CHAT_NOT_VISIBLE', `${method} ${url}`);
      const admin = await req(method === 'GET' ? method : 'GET', url.startsWith('/api/chats') ? `/api/chats/${c2}` : `/api/chats/${c2}/notes`, undefined, member('11', 'admin'));
      t.equal(admin.statusCode, 200, 'an admin sees it');
    }
    t.same(await fx.db.selectFrom('chats').selectAll().where('id', '=', String(c2)).executeTakeFirst(), before, 'nothing changed');
    t.equal((await fx.db.selectFrom('notes').select('body').where('id', '=', String(noteId)).executeTakeFirst())?.body, 'private');
    const list = (await req('GET', '/api/chats', undefined, ana)).json().items.map((c: { id: number }) => c.id);
    t.notOk(list.includes(c2), 'not listed');
    t.equal(list.length, 3);
    t.same((await req('GET', '/api/chats/counts', undefined, ana)).json(), { mine: 1, unassigned: 2, all: 3 });
    const search = (await req('GET', `/api/search?q=${encodeURIComponent('message 1 of chat')}`, undefined, ana)).json().items.map((m: { chatId: number }) => m.chatId);
    t.notOk(search.includes(c2), 'search leaves it out');
    t.ok(search.includes(c1));
    t.ok((await req('GET', `/api/search?q=${encodeURIComponent('message 1 of chat')}`)).json().items.some((m: { chatId: number }) => m.chatId === c2), 'the system finds it');
    t.equal((await req('GET', `/api/chats/${c2}`, undefined, member('13', 'agent'))).statusCode, 200, 'its assignee sees it');
    await team(roster);
    t.equal((await req('GET', `/api/chats/${c2}`, undefined, ana)).statusCode, 200, 'with the setting off, agents see every chat');
  });

  await t.test('round-robin: oldest turn first among the available, ties by lowest id, chat.updated', async (t) => {
    for (const id of [c1, c2, c3, c4]) await req('PUT', `/api/chats/${id}/assignee`, { memberId: null });
    await team(roster, { roundRobin: true, agentsSeeOwnChatsOnly: false });
    const seen: { id: number; assignee: { memberId: string } | null }[] = [];
    const off = store.bus.subscribe((e) => {
      if (e.type === 'chat.updated') seen.push(e.data as never);
    });
    t.teardown(off);
    // Available: 10, 12, 13 (11 is not): never-assigned first, by id.
    const order: string[] = [];
    for (const [i, n] of [1, 2, 3, 4].entries()) {
      await store.sink.messages([message(n, 100 + i, { sentAt: new Date(Date.UTC(2026, 10, 21, 9, i)).toISOString() })]);
      await store.flush();
      order.push((await req('GET', `/api/chats/${[c1, c2, c3, c4][i]}`)).json().assignee?.memberId);
    }
    t.same(order, ['10', '12', '13', '10'], 'each in turn, the unavailable admin skipped');
    t.ok(seen.some((c) => c.id === c1 && c.assignee?.memberId === '10'), 'chat.updated carries the assignee');
    await store.sink.messages([message(1, 200, { sentAt: new Date(Date.UTC(2026, 10, 21, 10, 0)).toISOString() })]);
    await store.flush();
    t.equal((await req('GET', `/api/chats/${c1}`)).json().assignee.memberId, '10', 'an assigned chat keeps its assignee');
    // Ana leaves: her chat is unassigned at once, and she is out of the line.
    await team(roster.filter((m) => m.id !== '12'), { roundRobin: true, agentsSeeOwnChatsOnly: false });
    t.equal((await req('GET', `/api/chats/${c2}`)).json().assignee, null, 'a removed member loses their chats');
    t.ok(seen.some((c) => c.id === c2 && c.assignee === null), 'with chat.updated');
    t.equal((await req('PUT', `/api/chats/${c2}/assignee`, { memberId: '12' })).json().error.code, 'MEMBER_NOT_FOUND', 'an inactive member cannot be assigned');
    await store.sink.messages([message(2, 300, { sentAt: new Date(Date.UTC(2026, 10, 21, 11, 0)).toISOString() })]);
    await store.flush();
    t.equal((await req('GET', `/api/chats/${c2}`)).json().assignee.memberId, '13', 'the next in line, not the one who left');
    await team(roster.filter((m) => m.id !== '12'));
  });
});
