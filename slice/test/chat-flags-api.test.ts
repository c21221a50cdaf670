// Pin, mute, archive and new chats by phone over the API (issue 14): the order of the list, the
// Archived list, paging across the pinned boundary, events, and bad input with nothing changed.
// WhatsApp is a stand-in here (no browser); chat-flags-sim.test.ts runs the real session.
import t from 'tap';
import type { SliceEvent } from '../store/events.ts';
import { auth, buildApp, chat, openStore, sliceDb, WhatsAppStandIn } from './helpers.ts';

t.test('chat flags and new chats (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-chat-flags-api');
  const store = await openStore(t, fx);
  const wa = new WhatsAppStandIn();
  const app = await buildApp(t, store, wa);
  // Chat n's last activity is minute n: chat 6 is the newest.
  await store.sink.chats([1, 2, 3, 4, 5, 6].map((n) => chat(n)));
  const ids = Object.fromEntries((await fx.db.selectFrom('chats').select(['id', 'wa_id']).execute()).map((r) => [r.wa_id, Number(r.id)])) as Record<string, number>;
  const id = (n: number) => ids[chat(n).waId]!;
  const nameOf = new Map(Object.entries(ids).map(([w, i]) => [i, w]));
  const req = (method: string, url: string, body?: unknown) =>
    app.inject({ method: method as 'GET', url, headers: auth, ...(body === undefined ? {} : { payload: body as object }) });
  const list = async (q = '') => ((await req('GET', `/api/chats${q}`)).json().items as { id: number }[]).map((c) => c.id);
  const events: SliceEvent[] = [];
  t.teardown(store.bus.subscribe((e) => events.push(e)));
  const chatsRows = () => fx.db.selectFrom('chats').selectAll().orderBy('id').execute();

  await t.test('new chats start unpinned, unmuted, in the main list', async (t) => {
    const c = (await req('GET', `/api/chats/${id(1)}`)).json();
    t.same({ pinned: c.pinned, muted: c.muted, archived: c.archived }, { pinned: false, muted: false, archived: false });
    t.same(await list(), [6, 5, 4, 3, 2, 1].map(id), 'newest activity first');
  });

  await t.test('PATCH pins through the session, stores it, announces it; pinned chats come first', async (t) => {
    const mark = events.length;
    const r = await req('PATCH', `/api/chats/${id(2)}`, { pinned: true });
    t.equal(r.statusCode, 200, r.body);
    t.equal(r.json().pinned, true);
    t.same(wa.flags.get(chat(2).waId), { pinned: true, muted: false, archived: false }, 'the session did it on the page');
    const ev = events.slice(mark).filter((e) => e.type === 'chat.updated');
    t.equal(ev.length, 1, 'one chat.updated');
    t.equal((ev[0]!.data as { pinned: boolean }).pinned, true, 'carrying the new state');
    await req('PATCH', `/api/chats/${id(4)}`, { pinned: true });
    t.same(await list(), [4, 2, 6, 5, 3, 1].map(id), 'pinned first (newest of them first), then the rest');
  });

  await t.test('the keyset cursor pages across the pinned/unpinned boundary', async (t) => {
    for (const limit of [1, 2, 3, 4]) {
      const seen: number[] = [];
      let cursor: string | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const r = await req('GET', `/api/chats?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        t.equal(r.statusCode, 200);
        seen.push(...(r.json().items as { id: number }[]).map((c) => c.id));
        cursor = r.json().nextCursor;
        if (!cursor) break;
      }
      t.same(seen, [4, 2, 6, 5, 3, 1].map(id), `limit ${limit}: every chat once, in order`);
    }
  });

  await t.test('mute, then archive: archived chats leave the main list and show with archived=true', async (t) => {
    const m = await req('PATCH', `/api/chats/${id(5)}`, { muted: true });
    t.equal(m.json().muted, true);
    const a = await req('PATCH', `/api/chats/${id(5)}`, { archived: true, pinned: false });
    t.equal(a.statusCode, 200);
    t.same([a.json().archived, a.json().muted], [true, true], 'archived, still muted');
    t.notOk((await list()).includes(id(5)), 'not in the main list');
    t.same(await list('?archived=true'), [id(5)], 'the Archived list');
    t.same(await list('?archived=false'), [4, 2, 6, 3, 1].map(id), 'archived=false is the main list');
    const back = await req('PATCH', `/api/chats/${id(5)}`, { archived: false });
    t.equal(back.json().archived, false);
    t.ok((await list()).includes(id(5)), 'back in the main list');
  });

  await t.test("a sync report keeps what it does not report and takes what it does", async (t) => {
    await store.sink.chats([chat(4, { preview: 'new preview' })]);
    t.equal((await req('GET', `/api/chats/${id(4)}`)).json().pinned, true, 'a report without flags keeps the pin');
    await store.sink.chats([chat(4, { pinned: false, muted: true, archived: false })]);
    const c = (await req('GET', `/api/chats/${id(4)}`)).json();
    t.same([c.pinned, c.muted], [false, true], 'a report with flags (the phone changed them) is taken');
  });

  await t.test('bad input: a clear 400/404 and nothing changed', async (t) => {
    const before = await chatsRows();
    const calls = wa.flags.size + wa.opened.length;
    const cases: [string, string, unknown, number, RegExp][] = [
      ['PATCH', `/api/chats/${id(1)}`, {}, 400, /fewer than 1 properties|minProperties|at least/i],
      ['PATCH', `/api/chats/${id(1)}`, { pinned: 'yes' }, 400, /pinned/],
      ['PATCH', `/api/chats/${id(1)}`, { starred: true }, 400, /starred|additional/i],
      ['PATCH', '/api/chats/999999', { pinned: true }, 404, /chat 999999 not found/],
      ['POST', '/api/chats', { phone: 'abc' }, 400, /phone/],
      ['POST', '/api/chats', { phone: '+55 11 9' }, 400, /phone/],
      ['POST', '/api/chats', { phone: '+0001234567' }, 400, /not a valid phone number/],
      ['POST', '/api/chats', {}, 400, /phone/],
    ];
    for (const [method, url, body, status, message] of cases) {
      const r = await req(method, url, body);
      t.equal(r.statusCode, status, `${method} ${url} ${JSON.stringify(body)} → ${status}: ${r.body}`);
      t.match(r.json().error?.message, message, 'the message names what is wrong');
    }
    t.same(await chatsRows(), before, 'no chat changed');
    t.equal(wa.flags.size + wa.opened.length, calls, 'the page was not touched');
  });

  await t.test('a page action that fails stores nothing and names what failed', async (t) => {
    const before = await chatsRows();
    const mark = events.length;
    wa.failFlags = true;
    const r = await req('PATCH', `/api/chats/${id(1)}`, { pinned: true });
    wa.failFlags = false;
    t.equal(r.statusCode, 409);
    t.equal(r.json().error.code, 'WA_ACTION_NOT_CONFIRMED');
    t.match(r.json().error.message, /Pin chat/);
    t.same(await chatsRows(), before, 'nothing stored');
    t.equal(events.slice(mark).length, 0, 'nothing announced');
    wa.state = 'QR';
    const nr = await req('PATCH', `/api/chats/${id(1)}`, { muted: true });
    const np = await req('POST', '/api/chats', { phone: '+5511912345678' });
    wa.state = 'READY';
    t.same([nr.statusCode, nr.json().error.code], [409, 'WA_NOT_READY'], 'PATCH outside READY');
    t.same([np.statusCode, np.json().error.code], [409, 'WA_NOT_READY'], 'POST outside READY');
    t.same(await chatsRows(), before, 'still nothing stored');
  });

  await t.test('POST /api/chats opens a chat for a number: 201 with the chat, then 200 with the same one', async (t) => {
    const mark = events.length;
    const r = await req('POST', '/api/chats', { phone: '5511912345678' });
    t.equal(r.statusCode, 201, r.body);
    const c = r.json();
    t.equal(c.waId, '5511912345678@c.us');
    t.equal(c.phone, '+5511912345678', 'normalised to E.164');
    t.same(wa.opened, ['+5511912345678'], 'the session opened it on the page');
    t.ok(events.slice(mark).some((e) => e.type === 'chat.updated' && (e.data as { id: number }).id === c.id), 'chat.updated for the new chat');
    t.ok(c.contactId, 'a contact for the number');
    const again = await req('POST', '/api/chats', { phone: '+5511912345678' });
    t.equal(again.statusCode, 200);
    t.equal(again.json().id, c.id, 'the same chat');
    const known = await req('POST', '/api/chats', { phone: chat(3).waId.replace('@c.us', '') });
    t.equal(known.statusCode, 200, 'a number the store has a chat for');
    t.equal(known.json().id, id(3));
    t.equal(wa.opened.length, 1, 'the page was asked once');
    t.ok(nameOf.size > 0);
  });
});
