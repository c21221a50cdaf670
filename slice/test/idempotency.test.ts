// Idempotent sends in one slice process (issue 18): the first answer replayed with
// Idempotent-Replayed, another request with the same key refused, a key held while its request is
// answered, a failure before queueing keeping no key, expiry after a day, and the key recorded in
// the very transaction of the pending message. WhatsApp is a stand-in here (no browser): the
// restart across a real slice process and the simulated phone is idempotent-send-sim.test.ts.
import t from 'tap';
import { IDEMPOTENCY_TTL_MS } from '../store/idempotency.ts';
import { auth, buildApp, openStore, sliceDb, WhatsAppStandIn } from './helpers.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

t.test('idempotent sends (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-idempotency');
  const store = await openStore(t, fx);
  const wa = new WhatsAppStandIn();
  const app = await buildApp(t, store, wa);
  const send = (url: string, payload: object, key?: string) =>
    app.inject({ method: 'POST', url, headers: { ...auth, ...(key === undefined ? {} : { 'idempotency-key': key }) }, payload });
  const sentBodies = () => wa.sent.map((s) => s.body);
  /** Every send queued before this one has reached the stand-in once this one has (the outbox sends in order). */
  async function settle(): Promise<void> {
    const marker = `marker ${Math.random()}`;
    const r = await send('/api/messages', { to: '+5511912345678', body: marker });
    if (r.statusCode !== 202) throw new Error(r.body);
    await app.outbox.flush();
    if (!sentBodies().includes(marker)) throw new Error('the marker was not sent');
  }
  const keyRows = () => fx.db.selectFrom('idempotency_keys').selectAll().orderBy('key').execute();

  let first: { id: number; chatId: number } & Record<string, unknown>;
  await t.test('the same key twice: one send, the first answer again, marked replayed', async (t) => {
    const a = await send('/api/messages', { to: '+55 11 91234-5678', body: 'order 1 shipped' }, 'order-1');
    t.equal(a.statusCode, 202, a.body);
    t.notOk(a.headers['idempotent-replayed'], 'the first answer is not a replay');
    first = a.json();
    const b = await send('/api/messages', { to: '+55 11 91234-5678', body: 'order 1 shipped' }, 'order-1');
    t.equal(b.statusCode, 202);
    t.equal(b.headers['idempotent-replayed'], 'true');
    t.same(b.json(), first, 'the same body, the pending message as first answered');
    const c = await send('/api/messages', { to: '5511912345678@c.us', body: 'order 1 shipped' }, 'order-1');
    t.same([c.statusCode, c.headers['idempotent-replayed'], c.json().id], [202, 'true', first.id], 'the same number written otherwise is the same request');
    await settle();
    t.equal(sentBodies().filter((b) => b === 'order 1 shipped').length, 1, 'WhatsApp got it once');
    t.equal((await fx.db.selectFrom('messages').select('id').where('body', '=', 'order 1 shipped').execute()).length, 1, 'one message stored');
    const rows = await keyRows();
    t.same(rows.map((r) => [r.key, r.status, (r.body as { id: number }).id]), [['order-1', 202, first.id]], 'the key kept with its answer');
  });

  await t.test('the same key on another request: 400 IDEMPOTENCY_KEY_REUSED, nothing sent', async (t) => {
    const before = wa.sent.length;
    const other = await send('/api/messages', { to: '+5511912345678', body: 'order 2 shipped' }, 'order-1');
    t.equal(other.statusCode, 400);
    t.equal(other.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
    const otherRoute = await send(`/api/chats/${first.chatId}/messages`, { body: 'order 1 shipped' }, 'order-1');
    t.equal(otherRoute.json().error.code, 'IDEMPOTENCY_KEY_REUSED', 'another path is another request');
    await settle();
    t.equal(wa.sent.length, before + 1, 'only the marker was sent');
  });

  await t.test('POST /api/chats/:id/messages takes a key too', async (t) => {
    const a = await send(`/api/chats/${first.chatId}/messages`, { body: 'invoice attached' }, 'invoice-7');
    const b = await send(`/api/chats/${first.chatId}/messages`, { body: 'invoice attached' }, 'invoice-7');
    t.same([a.statusCode, b.statusCode, b.headers['idempotent-replayed']], [202, 202, 'true']);
    t.same(b.json(), a.json());
    await settle();
    t.equal(sentBodies().filter((x) => x === 'invoice attached').length, 1, 'sent once');
  });

  await t.test('a file with a key: stored and sent once, replayed; another caption is another request', async (t) => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const pdf = Buffer.from('%PDF-1.4\n% the invoice of order 4711\n');
    const post = async (caption: string) => {
      const f = new FormData();
      f.append('caption', caption);
      f.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'invoice-4711.pdf');
      const r = await fetch(`${base}/api/chats/${first.chatId}/messages`, { method: 'POST', headers: { ...auth, 'idempotency-key': 'file-4711' }, body: f });
      return { status: r.status, replayed: r.headers.get('idempotent-replayed'), body: await r.json() };
    };
    const a = await post('invoice 4711');
    t.equal(a.status, 202, JSON.stringify(a.body));
    const b = await post('invoice 4711');
    t.same([b.status, b.replayed], [202, 'true']);
    t.same(b.body, a.body, 'the first answer');
    const c = await post('invoice 4712');
    t.same([c.status, c.body.error?.code], [400, 'IDEMPOTENCY_KEY_REUSED']);
    await settle();
    t.equal(wa.mediaSent.filter((m) => m.file.fileName === 'invoice-4711.pdf').length, 1, 'sent once');
    t.equal((await fx.db.selectFrom('media').select('id').where('file_name', '=', 'invoice-4711.pdf').execute()).length, 1, 'stored once');
  });

  await t.test('while the first request is being answered: 409 IDEMPOTENCY_KEY_IN_USE', async (t) => {
    // The stand-in's "New chat" waits: the first request holds its key meanwhile.
    const reached = deferred();
    const gate = deferred();
    const open = wa.openChatByPhone.bind(wa);
    wa.openChatByPhone = async (e164) => {
      reached.resolve();
      await gate.promise;
      return open(e164);
    };
    t.teardown(() => {
      wa.openChatByPhone = open;
    });
    const firstCall = send('/api/messages', { to: '+5521998765432', body: 'welcome' }, 'welcome-1');
    await reached.promise;
    const busy = await send('/api/messages', { to: '+5521998765432', body: 'welcome' }, 'welcome-1');
    t.equal(busy.statusCode, 409);
    t.equal(busy.json().error.code, 'IDEMPOTENCY_KEY_IN_USE');
    const busyOther = await send('/api/messages', { to: '+5521998765432', body: 'something else' }, 'welcome-1');
    t.equal(busyOther.json().error.code, 'IDEMPOTENCY_KEY_REUSED', 'another request with a key in use is still another request');
    gate.resolve();
    const done = await firstCall;
    t.equal(done.statusCode, 202, done.body);
    const again = await send('/api/messages', { to: '+5521998765432', body: 'welcome' }, 'welcome-1');
    t.same([again.statusCode, again.headers['idempotent-replayed'], again.json().id], [202, 'true', done.json().id], 'answered: replayed from now on');
    t.same(wa.opened.filter((n) => n === '+5521998765432'), ['+5521998765432'], 'the chat was started once');
  });

  await t.test('a send refused before it is queued keeps no key: the retry sends', async (t) => {
    wa.state = 'DISCONNECTED';
    const refused = await send('/api/messages', { to: '+5511912345678', body: 'after the outage' }, 'outage-1');
    t.equal(refused.statusCode, 409);
    t.equal(refused.json().error.code, 'SLICE_NOT_CONNECTED');
    t.notOk((await keyRows()).some((r) => r.key === 'outage-1'), 'no key kept');
    wa.state = 'READY';
    const retry = await send('/api/messages', { to: '+5511912345678', body: 'after the outage' }, 'outage-1');
    t.equal(retry.statusCode, 202);
    t.notOk(retry.headers['idempotent-replayed'], 'not a replay: nothing had been sent');
    await settle();
    t.equal(sentBodies().filter((x) => x === 'after the outage').length, 1);
  });

  await t.test('a replay needs no WhatsApp: the answer is the store\'s', async (t) => {
    wa.state = 'DISCONNECTED';
    const r = await send('/api/messages', { to: '+55 11 91234-5678', body: 'order 1 shipped' }, 'order-1');
    wa.state = 'READY';
    t.same([r.statusCode, r.headers['idempotent-replayed'], r.json().id], [202, 'true', first.id]);
  });

  await t.test('a key older than a day is forgotten: the same request sends again; pruning removes old keys', async (t) => {
    await fx.db.updateTable('idempotency_keys').set({ created_at: new Date(Date.now() - IDEMPOTENCY_TTL_MS - 60_000) }).where('key', '=', 'order-1').execute();
    const r = await send('/api/messages', { to: '+5511912345678', body: 'order 1 shipped' }, 'order-1');
    t.equal(r.statusCode, 202);
    t.notOk(r.headers['idempotent-replayed'], 'a new send');
    t.not(r.json().id, first.id, 'a new message');
    await settle();
    t.equal(sentBodies().filter((b) => b === 'order 1 shipped').length, 2, 'sent again after the day');
    await fx.db.updateTable('idempotency_keys').set({ created_at: new Date(Date.now() - IDEMPOTENCY_TTL_MS - 60_000) }).where('key', '=', 'invoice-7').execute();
    await store.prune();
    const keys = (await keyRows()).map((k) => k.key);
    t.notOk(keys.includes('invoice-7'), 'the expired key pruned');
    t.ok(keys.includes('order-1'), 'the fresh one kept');
  });

  await t.test('a bad key is refused, naming the header', async (t) => {
    for (const key of ['x'.repeat(201), '']) {
      const r = await send('/api/messages', { to: '+5511912345678', body: 'x' }, key);
      t.equal(r.statusCode, 400, `${key.length} characters`);
      t.match(r.json().error.message, /idempotency-key/i);
    }
  });

  await t.test('to: bad input names the field; a group id or an id that is no number, with no chat, is not started', async (t) => {
    for (const to of ['hello', '+55 11 1', '12ab@c.us', '(11) 91234-5678']) {
      const r = await send('/api/messages', { to, body: 'x' });
      t.equal(r.statusCode, 400, to);
      t.match(r.json().error.message, /to/);
    }
    const opened = wa.opened.length;
    for (const to of ['120363000000000000@g.us', '12345@c.us']) {
      const r = await send('/api/messages', { to, body: 'x' });
      t.same([r.statusCode, r.json().error.code], [404, 'NOT_FOUND'], `${to}: no chat, none started`);
    }
    t.equal(wa.opened.length, opened, '"New chat" was not used');
  });
});
