// The CRM API over app.inject(): every route, its validation, 401/404/400 with nothing changed.
// WhatsApp is a stand-in here (no browser); flow-sim.test.ts runs the real session.
import t from 'tap';
import { auth, buildApp, chat, message, openStore, sliceDb, WhatsAppStandIn } from './helpers.ts';

t.test('CRM API (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-api');
  const store = await openStore(t, fx);
  const wa = new WhatsAppStandIn();
  const app = await buildApp(t, store, wa);

  await store.sink.chats([chat(1), chat(2), chat(3, { isGroup: true, name: 'Família 🎉', phone: null }), chat(4, { unreadCount: 0, lastMessageAt: null })]);
  await store.sink.messages([
    message(1, 1, { body: 'Olá, bom dia! Quero um orçamento' }),
    message(1, 2, { body: 'obrigado pelo orçamento', direction: 'out', author: null, ack: 3 }),
    message(1, 3, { body: 'reply', quotedWaId: message(1, 1).waId, quotedBody: 'Olá, bom dia!' }),
    message(2, 1, { body: 'नमस्ते, कीमत क्या है?' }),
  ]);
  const ids = Object.fromEntries(
    (await fx.db.selectFrom('chats').select(['id', 'wa_id']).execute()).map((r) => [r.wa_id, Number(r.id)]),
  ) as Record<string, number>;
  const c1 = ids[chat(1).waId]!;
  const c2 = ids[chat(2).waId]!;

  const req = (method: string, url: string, body?: unknown, headers: Record<string, string> = auth) =>
    app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
  const snapshot = async () => ({
    chats: await fx.db.selectFrom('chats').selectAll().orderBy('id').execute(),
    contacts: await fx.db.selectFrom('contacts').selectAll().orderBy('id').execute(),
    labels: await fx.db.selectFrom('labels').selectAll().orderBy('id').execute(),
    stages: await fx.db.selectFrom('pipeline_stages').selectAll().orderBy('id').execute(),
    notes: await fx.db.selectFrom('notes').selectAll().orderBy('id').execute(),
    messages: await fx.db.selectFrom('messages').selectAll().orderBy('id').execute(),
  });

  await t.test('401 without or with a wrong token, on every kind of route', async (t) => {
    for (const [method, url] of [['GET', '/health'], ['GET', '/api/chats'], ['POST', `/api/chats/${c1}/messages`], ['GET', '/events'], ['GET', '/nope']]) {
      const none = await req(method!, url!, method === 'POST' ? { body: 'x' } : undefined, {});
      t.equal(none.statusCode, 401, `${method} ${url} without a token`);
      t.equal(none.json().error.kind, 'Unauthenticated');
      const wrong = await req(method!, url!, method === 'POST' ? { body: 'x' } : undefined, { authorization: 'Bearer wrong' });
      t.equal(wrong.statusCode, 401, `${method} ${url} with a wrong token`);
      const almost = await req(method!, url!, undefined, { authorization: `Bearer ${auth.authorization.slice(7, -1)}` });
      t.equal(almost.statusCode, 401, 'a token one character short');
    }
    t.equal(wa.sent.length, 0, 'nothing was sent');
  });

  await t.test('health', async (t) => {
    const r = await req('GET', '/health');
    t.equal(r.statusCode, 200);
    const h = r.json();
    t.equal(h.ok, true);
    t.same(h.wa.state, 'READY');
    t.same(h.browser, { pid: 4242, memoryBytes: 123_000_000 });
    t.same(h.db, { ok: true });
    t.equal(h.lastMessageAt, message(1, 3).sentAt);
    t.same(h.missingSelectors, []);
    wa.missingSelectors = ['chatList.row'];
    const bad = (await req('GET', '/health')).json();
    t.equal(bad.ok, false, 'a missing selector makes the slice unhealthy');
    t.same(bad.missingSelectors, ['chatList.row']);
    wa.missingSelectors = [];
  });

  await t.test('chats: list, keyset pages, filters', async (t) => {
    const all = (await req('GET', '/api/chats?limit=10')).json();
    t.equal(all.items.length, 4);
    t.equal(all.nextCursor, null);
    t.same(
      all.items.map((c: { waId: string }) => c.waId),
      [chat(1).waId, chat(2).waId, chat(3).waId, chat(4).waId].sort((a, b) => {
        const order = [chat(3).waId, chat(2).waId, chat(1).waId];
        return (order.indexOf(a) === -1 ? 9 : order.indexOf(a)) - (order.indexOf(b) === -1 ? 9 : order.indexOf(b));
      }),
      'newest activity first; a chat never active last',
    );
    const first = all.items[0];
    t.same(Object.keys(first).sort(), ['archived', 'assignee', 'contactId', 'dealValue', 'id', 'isGroup', 'labels', 'lastMessageAt', 'muted', 'name', 'phone', 'pinned', 'preview', 'stageId', 'unreadCount', 'waId', 'waName']);
    // Page through two at a time: the same chats, in the same order, none twice.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r: { items: { id: number }[]; nextCursor: string | null } = (await req('GET', `/api/chats?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...r.items.map((c) => c.id));
      cursor = r.nextCursor;
    } while (cursor);
    t.same(seen, all.items.map((c: { id: number }) => c.id));
    t.same((await req('GET', '/api/chats?unread=true')).json().items.map((c: { unreadCount: number }) => c.unreadCount > 0), [true, true, true].slice(0, (await req('GET', '/api/chats?unread=true')).json().items.length));
    t.same((await req('GET', '/api/chats?q=fam')).json().items.map((c: { name: string }) => c.name), ['Família 🎉']);
    const one = await req('GET', `/api/chats/${c1}`);
    t.equal(one.statusCode, 200);
    t.equal(one.json().name, 'Contact 1');
  });

  await t.test('messages: keyset by time, quoted ids, search', async (t) => {
    const page1 = (await req('GET', `/api/chats/${c1}/messages?limit=2`)).json();
    t.same(page1.items.map((m: { body: string }) => m.body), ['reply', 'obrigado pelo orçamento']);
    t.ok(page1.nextCursor);
    const page2 = (await req('GET', `/api/chats/${c1}/messages?limit=2&before=${page1.nextCursor}`)).json();
    t.same(page2.items.map((m: { body: string }) => m.body), ['Olá, bom dia! Quero um orçamento']);
    t.equal(page2.nextCursor, null);
    const reply = page1.items[0];
    t.equal(reply.quotedId, page2.items[0].id, 'quotedId is our id of the quoted message');
    t.same(Object.keys(reply).sort(), [
      'ack', 'author', 'body', 'chatId', 'direction', 'editedAt', 'id', 'kind', 'linkPreview', 'media', 'mediaKind', 'quotedBody', 'quotedId', 'reactions', 'recalled', 'sentAt', 'sentBy', 'waId',
    ], 'the message shape of api.md (issue 15: kind, media, reactions, linkPreview, editedAt)');
    const found = (await req('GET', `/api/search?q=${encodeURIComponent('orçamento')}`)).json();
    t.same(found.items.map((m: { body: string }) => m.body), ['obrigado pelo orçamento', 'Olá, bom dia! Quero um orçamento'], 'newest first');
    const hindi = (await req('GET', `/api/search?q=${encodeURIComponent('नमस्ते')}`)).json();
    t.equal(hindi.items.length, 1);
    const paged = (await req('GET', `/api/search?q=${encodeURIComponent('orçamento')}&limit=1`)).json();
    t.equal(paged.items.length, 1);
    const rest = (await req('GET', `/api/search?q=${encodeURIComponent('orçamento')}&limit=1&cursor=${paged.nextCursor}`)).json();
    t.same(rest.items.map((m: { body: string }) => m.body), ['Olá, bom dia! Quero um orçamento']);
  });

  await t.test('404 for ids that do not exist, 400 for ids that are not ids', async (t) => {
    const before = await snapshot();
    const cases: [string, string, unknown?][] = [
      ['GET', '/api/chats/999999'],
      ['GET', '/api/chats/999999/messages'],
      ['POST', '/api/chats/999999/messages', { body: 'hi' }],
      ['POST', '/api/chats/999999/read'],
      ['PUT', `/api/chats/999999/labels/1`],
      ['PUT', `/api/chats/${c1}/labels/999`],
      ['PUT', '/api/chats/999999/stage', { stageId: 1 }],
      ['PUT', `/api/chats/${c1}/stage`, { stageId: 999 }],
      ['GET', '/api/chats/999999/notes'],
      ['POST', '/api/chats/999999/notes', { body: 'x' }],
      ['PATCH', '/api/notes/999999', { body: 'x' }],
      ['DELETE', '/api/notes/999999'],
      ['GET', '/api/contacts/999999'],
      ['PATCH', '/api/contacts/999999', { name: 'x' }],
      ['PATCH', '/api/labels/999', { name: 'x' }],
      ['DELETE', '/api/labels/999'],
      ['PATCH', '/api/stages/999', { name: 'x' }],
      ['DELETE', '/api/stages/999'],
    ];
    for (const [method, url, body] of cases) {
      const r = await req(method, url, body);
      t.equal(r.statusCode, 404, `${method} ${url}`);
      t.equal(r.json().error.kind, 'NotFound');
    }
    for (const url of ['/api/chats/abc', '/api/chats/0', '/api/chats/-1', '/api/chats/1.5', '/api/notes/x']) {
      const r = await req('GET', url.startsWith('/api/notes') ? url : url);
      t.ok([400, 404].includes(r.statusCode), `${url}`);
      if (!url.startsWith('/api/notes')) {
        t.equal(r.statusCode, 400, `${url} is a bad id`);
        t.match(r.json().error.message, /params\/id/);
      }
    }
    t.same(await snapshot(), before, 'nothing changed');
  });

  await t.test('400 for bad bodies and queries, naming the field, nothing changed', async (t) => {
    const before = await snapshot();
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', `/api/chats/${c1}/messages`, {}, /body/],
      ['POST', `/api/chats/${c1}/messages`, { body: '' }, /body\/body/],
      ['POST', `/api/chats/${c1}/messages`, { body: '   ' }, /body\/body/],
      ['POST', `/api/chats/${c1}/messages`, { body: 42 }, /body\/body/],
      ['POST', `/api/chats/${c1}/messages`, { body: 'hi', extra: 1 }, /extra|additional/],
      ['POST', '/api/labels', { name: '' }, /body\/name/],
      ['POST', '/api/labels', { name: 'ok', color: 'red' }, /body\/color/],
      ['POST', '/api/stages', { name: 'x'.repeat(81) }, /body\/name/],
      ['PUT', '/api/stages/order', { ids: [1, 1] }, /body\/ids/],
      ['PUT', '/api/stages/order', { ids: [1, 2] }, /ids must list every stage/],
      ['PUT', `/api/chats/${c1}/stage`, { stageId: 'two' }, /body\/stageId/],
      ['PATCH', '/api/contacts/1', { email: 'not-an-email' }, /body\/email/],
      ['PATCH', '/api/contacts/1', {}, /body/],
      ['PATCH', '/api/contacts/1', { customFields: { a: 1 } }, /customFields/],
      ['POST', `/api/chats/${c1}/notes`, { body: '' }, /body\/body/],
      ['POST', '/api/wa/pairing-code', { phoneNumber: 'call me' }, /phoneNumber/],
    ];
    for (const [method, url, body, pattern] of cases) {
      const r = await req(method, url, body);
      t.equal(r.statusCode, 400, `${method} ${url} ${JSON.stringify(body).slice(0, 60)}`);
      t.equal(r.json().error.kind, 'InvalidArgument');
      t.match(r.json().error.message, pattern);
    }
    for (const url of ['/api/chats?limit=0', '/api/chats?limit=1000', '/api/chats?cursor=garbage', '/api/chats?label=x', '/api/search', '/api/search?q=', `/api/chats/${c1}/messages?before=bm9wZQ`]) {
      const r = await req('GET', url);
      t.equal(r.statusCode, 400, url);
    }
    const badJson = await app.inject({ method: 'POST', url: '/api/labels', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":' });
    t.equal(badJson.statusCode, 400, 'malformed JSON');
    t.same(await snapshot(), before, 'nothing changed');
    t.equal(wa.sent.length, 0, 'nothing was sent');
  });

  await t.test('sending: 202 with the pending message, then the real id; refused when not connected', async (t) => {
    const r = await req('POST', `/api/chats/${c2}/messages`, { body: 'Preço: R$ 120 😊' });
    t.equal(r.statusCode, 202);
    const m = r.json();
    t.match(m, { chatId: c2, direction: 'out', body: 'Preço: R$ 120 😊', ack: 0 });
    t.match(m.waId, /^pending:/);
    await app.outbox.flush();
    const page = (await req('GET', `/api/chats/${c2}/messages?limit=1`)).json();
    t.equal(page.items[0].id, m.id);
    t.equal(page.items[0].ack, 1);
    t.equal(page.items[0].waId, wa.sent[0]!.waId);
    t.equal(wa.sent[0]!.chatWaId, chat(2).waId);
    const chatNow = (await req('GET', `/api/chats/${c2}`)).json();
    t.equal(chatNow.preview, 'Preço: R$ 120 😊');

    wa.state = 'QR';
    const before = await snapshot();
    const refused = await req('POST', `/api/chats/${c2}/messages`, { body: 'while logged out' });
    t.equal(refused.statusCode, 409);
    t.equal(refused.json().error.code, 'SLICE_NOT_CONNECTED');
    t.same(await snapshot(), before);
    wa.state = 'READY';
  });

  await t.test('mark read', async (t) => {
    t.ok((await fx.db.selectFrom('chats').select('unread_count').where('id', '=', String(c1)).executeTakeFirstOrThrow()).unread_count > 0);
    const r = await req('POST', `/api/chats/${c1}/read`);
    t.equal(r.statusCode, 200);
    t.equal(r.json().unreadCount, 0);
    t.same(wa.markedRead, [chat(1).waId]);
  });

  await t.test('labels: CRUD and assignment', async (t) => {
    const created = await req('POST', '/api/labels', { name: 'VIP', color: '#ff0000' });
    t.equal(created.statusCode, 201);
    const label = created.json();
    t.match(label, { name: 'VIP', color: '#ff0000' });
    const dup = await req('POST', '/api/labels', { name: 'VIP' });
    t.equal(dup.statusCode, 409, 'a duplicate name');
    t.equal(dup.json().error.kind, 'AlreadyExists');
    const assigned = await req('PUT', `/api/chats/${c1}/labels/${label.id}`);
    t.equal(assigned.statusCode, 200);
    t.same(assigned.json().labels, [label]);
    t.equal((await req('PUT', `/api/chats/${c1}/labels/${label.id}`)).statusCode, 200, 'assigning twice is fine');
    t.same((await req('GET', `/api/chats?label=${label.id}`)).json().items.map((c: { id: number }) => c.id), [c1]);
    const renamed = await req('PATCH', `/api/labels/${label.id}`, { name: 'Very important' });
    t.equal(renamed.json().name, 'Very important');
    t.same((await req('GET', `/api/chats/${c1}`)).json().labels.map((l: { name: string }) => l.name), ['Very important']);
    t.same((await req('GET', '/api/labels')).json().items.map((l: { name: string }) => l.name), ['Very important']);
    const unassigned = await req('DELETE', `/api/chats/${c1}/labels/${label.id}`);
    t.same(unassigned.json().labels, []);
    t.equal((await req('DELETE', `/api/labels/${label.id}`)).statusCode, 204);
    t.same((await req('GET', '/api/labels')).json().items, []);
  });

  await t.test('notes: CRUD', async (t) => {
    const n = await req('POST', `/api/chats/${c1}/notes`, { body: 'Call back on Monday' });
    t.equal(n.statusCode, 201);
    const note = n.json();
    t.match(note, { chatId: c1, body: 'Call back on Monday' });
    const edited = await req('PATCH', `/api/notes/${note.id}`, { body: 'Call back on Tuesday' });
    t.equal(edited.json().body, 'Call back on Tuesday');
    t.same((await req('GET', `/api/chats/${c1}/notes`)).json().items.map((x: { body: string }) => x.body), ['Call back on Tuesday']);
    t.equal((await req('DELETE', `/api/notes/${note.id}`)).statusCode, 204);
    t.same((await req('GET', `/api/chats/${c1}/notes`)).json().items, []);
  });

  await t.test('stages: CRUD, reorder, move a chat', async (t) => {
    const list = (await req('GET', '/api/stages')).json().items;
    t.equal(list.length, 6, 'the default pipeline');
    const created = await req('POST', '/api/stages', { name: 'Negotiation' });
    t.equal(created.statusCode, 201);
    const stage = created.json();
    t.equal(stage.position, 4, 'a new stage goes before the closing stages Won and Lost (issue 14)');
    const ids = [stage.id, ...list.map((s: { id: number }) => s.id)];
    const reordered = await req('PUT', '/api/stages/order', { ids });
    t.equal(reordered.statusCode, 200);
    t.same(reordered.json().items.map((s: { id: number }) => s.id), ids);
    const moved = await req('PUT', `/api/chats/${c1}/stage`, { stageId: stage.id });
    t.equal(moved.json().stageId, stage.id);
    t.same((await req('GET', `/api/chats?stage=${stage.id}`)).json().items.map((c: { id: number }) => c.id), [c1]);
    t.equal((await req('PATCH', `/api/stages/${stage.id}`, { name: 'Negotiating', color: '#123456' })).json().name, 'Negotiating');
    t.equal((await req('DELETE', `/api/stages/${stage.id}`)).statusCode, 204);
    t.equal((await req('GET', `/api/chats/${c1}`)).json().stageId, null, 'the chat left the deleted stage');
    t.equal((await req('PUT', `/api/chats/${c1}/stage`, { stageId: null })).statusCode, 200);
  });

  await t.test('contacts: list, detail, update with stage', async (t) => {
    const list = (await req('GET', '/api/contacts?limit=2')).json();
    t.equal(list.items.length, 2);
    t.ok(list.nextCursor);
    const rest = (await req('GET', `/api/contacts?limit=50&cursor=${list.nextCursor}`)).json();
    t.equal(list.items.length + rest.items.length, 3, 'one per one-to-one chat (the group has none)');
    const contact = list.items.find((c: { waId: string }) => c.waId === chat(1).waId) ?? rest.items.find((c: { waId: string }) => c.waId === chat(1).waId);
    t.equal(contact.chatId, c1);
    const stage = (await req('GET', '/api/stages')).json().items[1];
    const patched = await req('PATCH', `/api/contacts/${contact.id}`, {
      name: 'Ana Souza',
      email: 'ana@example.com',
      company: 'Padaria Pão Quente',
      customFields: { city: 'São Paulo' },
      stageId: stage.id,
    });
    t.equal(patched.statusCode, 200);
    t.match(patched.json(), { name: 'Ana Souza', email: 'ana@example.com', company: 'Padaria Pão Quente', customFields: { city: 'São Paulo' }, stageId: stage.id });
    t.equal((await req('GET', `/api/chats/${c1}`)).json().stageId, stage.id, 'the stage lives on the chat');
    // WhatsApp reporting its display name again does not undo the CRM's edit.
    await store.sink.chats([chat(1, { name: 'Ana (WhatsApp name)' })]);
    t.equal((await req('GET', `/api/contacts/${contact.id}`)).json().name, 'Ana Souza');
    t.same((await req('GET', '/api/contacts?q=padaria')).json().items.map((c: { id: number }) => c.id), [contact.id]);
  });

  await t.test('WhatsApp state, pairing code, logout', async (t) => {
    t.match((await req('GET', '/api/wa')).json(), { state: 'READY', qr: null });
    t.equal((await req('POST', '/api/wa/pairing-code', { phoneNumber: '+5511987654321' })).statusCode, 409, 'only while the QR shows');
    wa.state = 'QR';
    t.match((await req('GET', '/api/wa')).json(), { state: 'QR', qr: 'qr-payload-1' });
    const code = await req('POST', '/api/wa/pairing-code', { phoneNumber: '+5511987654321' });
    t.equal(code.statusCode, 200);
    t.same(code.json(), { code: 'PAIR-4321' });
    const out = await req('POST', '/api/wa/logout');
    t.equal(out.statusCode, 202);
    t.equal(out.json().state, 'LOGGED_OUT');
    t.ok(wa.loggedOut);
  });

  await t.test('sim routes exist only in sim mode', async (t) => {
    t.equal((await req('POST', '/sim/scan')).statusCode, 404);
  });

  await t.test('unknown routes answer 404 in the error shape', async (t) => {
    const r = await req('GET', '/api/nothing-here');
    t.equal(r.statusCode, 404);
    t.equal(r.json().error.kind, 'NotFound');
  });
});
