// The store as the WhatsApp side uses it: idempotent upserts, batching, events after commit, and
// the outgoing message's pending → sent path (WhatsApp answered by a stand-in, no browser).
import t from 'tap';
import type { SliceEvent } from '../store/events.ts';
import { Outbox } from '../store/outbox.ts';
import { chat, message, openStore, quietLog, sliceDb, WhatsAppStandIn } from './helpers.ts';

t.test('store against slice_1 in a PostgreSQL cluster of its own', async (t) => {
  const fx = await sliceDb(t, 'slice-store');
  const store = await openStore(t, fx);
  const seen: SliceEvent[] = [];
  store.bus.subscribe((e) => seen.push(e));
  const count = async (table: 'messages' | 'chats' | 'contacts' | 'events') =>
    Number((await fx.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  await t.test('chats and messages are stored once, however often they are reported', async (t) => {
    await store.sink.chats([chat(1), chat(2)]);
    const msgs = [message(1, 1), message(1, 2), message(2, 1)];
    await store.sink.messages(msgs);
    t.equal(await count('messages'), 3);
    t.equal(await count('chats'), 2);
    t.equal(await count('contacts'), 2, 'one contact per one-to-one chat');
    const created = seen.filter((e) => e.type === 'message.created');
    t.equal(created.length, 3, 'one message.created per new message');

    const before = seen.length;
    const eventsBefore = await count('events');
    await store.sink.messages(msgs);
    await store.sink.chats([chat(1), chat(2)]);
    t.equal(await count('messages'), 3, 'no duplicate rows');
    t.equal(seen.length, before, 'nothing unchanged is announced again');
    t.equal(await count('events'), eventsBefore, 'and nothing is logged');
  });

  await t.test('a changed ack or body updates the row and emits message.updated', async (t) => {
    const before = seen.length;
    await store.sink.messages([message(1, 2, { ack: 3 })]);
    const row = await fx.db.selectFrom('messages').selectAll().where('wa_id', '=', message(1, 2).waId).executeTakeFirstOrThrow();
    t.equal(row.ack, 3);
    const fresh = seen.slice(before);
    t.same(fresh.map((e) => e.type), ['message.updated']);
    t.equal((fresh[0]!.data as { ack: number }).ack, 3);
    // An older ack reported late (a stale re-scan) never moves the ticks backwards.
    await store.sink.messages([message(1, 2, { ack: 1 })]);
    const again = await fx.db.selectFrom('messages').select('ack').where('wa_id', '=', message(1, 2).waId).executeTakeFirstOrThrow();
    t.equal(again.ack, 3);
    t.equal(seen.length, before + 1, 'no event for a stale ack');
    await store.sink.messages([message(1, 2, { recalled: true, body: 'This message was deleted' })]);
    t.equal(seen.at(-1)!.type, 'message.updated');
    t.equal((seen.at(-1)!.data as { recalled: boolean }).recalled, true);
  });

  await t.test('a new message moves its chat forward and emits chat.updated after message.created', async (t) => {
    const before = seen.length;
    const m = message(2, 50, { body: 'newest in chat 2', sentAt: '2026-11-21T12:00:00.000Z' });
    await store.sink.messages([m]);
    const fresh = seen.slice(before);
    t.same(fresh.map((e) => e.type), ['message.created', 'chat.updated']);
    const chatEvent = fresh[1]!.data as { preview: string; lastMessageAt: string; waId: string };
    t.equal(chatEvent.waId, chat(2).waId);
    t.equal(chatEvent.preview, 'newest in chat 2');
    t.equal(chatEvent.lastMessageAt, '2026-11-21T12:00:00.000Z');
    t.ok(BigInt(fresh[1]!.id) > BigInt(fresh[0]!.id), 'ids increase in emission order');
  });

  await t.test('a message for a chat not seen yet creates the chat', async (t) => {
    await store.sink.messages([message(9, 1)]);
    const row = await fx.db.selectFrom('chats').selectAll().where('wa_id', '=', chat(9).waId).executeTakeFirstOrThrow();
    t.equal(row.name, chat(9).waId, 'named by its id until the chat list reports it');
    await store.sink.chats([chat(9)]);
    const named = await fx.db.selectFrom('chats').selectAll().where('wa_id', '=', chat(9).waId).executeTakeFirstOrThrow();
    t.equal(named.name, 'Contact 9');
    t.equal(named.id, row.id);
  });

  await t.test('concurrent reports are batched into few transactions', async (t) => {
    let transactions = 0;
    const ingest = store.ingest.bind(store);
    store.ingest = async (b) => {
      transactions++;
      return ingest(b);
    };
    t.teardown(() => {
      store.ingest = ingest;
    });
    const calls = [];
    for (let i = 0; i < 100; i++) calls.push(store.sink.messages([message(3, 100 + i)]));
    await Promise.all(calls);
    t.equal(await fx.db.selectFrom('messages').select('id').where('wa_id', 'like', `%_3A0003%`).execute().then((r) => r.length), 100);
    t.ok(transactions <= 3, `100 calls in ${transactions} transaction(s)`);

    // 500 rows make a batch at once, without waiting for the timer.
    transactions = 0;
    const big = Array.from({ length: 1200 }, (_, i) => message(4, i));
    await store.sink.messages(big);
    t.equal(transactions, 1, 'one call of 1200 rows is one transaction');
    t.equal(await fx.db.selectFrom('messages').select('id').where('wa_id', 'like', `%_3A0004%`).execute().then((r) => r.length), 1200);
  });

  await t.test('one bad report fails alone; the others in its batch are stored', async (t) => {
    const good = store.sink.messages([message(5, 1)]);
    const bad = store.sink.messages([message(5, 2, { sentAt: 'not a time' })]);
    const good2 = store.sink.messages([message(5, 3)]);
    await t.resolves(good);
    await t.rejects(bad);
    await t.resolves(good2);
    const rows = await fx.db.selectFrom('messages').select('wa_id').where('wa_id', 'like', `%_3A0005%`).execute();
    t.same(rows.map((r) => r.wa_id).sort(), [message(5, 1).waId, message(5, 3).waId].sort());
  });

  await t.test('sending: pending row, then the real id and ack 1; the observer copy merges into it', async (t) => {
    const wa = new WhatsAppStandIn();
    const outbox = new Outbox(store, wa, quietLog);
    await outbox.open();
    const chatRow = await fx.db.selectFrom('chats').select(['id', 'wa_id']).where('wa_id', '=', chat(1).waId).executeTakeFirstOrThrow();
    const target = { id: String(chatRow.id), wa_id: chatRow.wa_id };

    // Order 1: the send call answers first, then the observer reports the bubble.
    const pending = await outbox.send(target, 'first send');
    t.match(pending.waId, /^pending:/);
    t.equal(pending.ack, 0);
    await outbox.flush();
    const sent = wa.sent[0]!;
    let row = await fx.db.selectFrom('messages').selectAll().where('id', '=', String(pending.id)).executeTakeFirstOrThrow();
    t.equal(row.wa_id, sent.waId);
    t.equal(row.ack, 1);
    await store.sink.messages([
      { waId: sent.waId, chatWaId: chat(1).waId, direction: 'out', author: null, body: 'first send', sentAt: '2026-11-25T10:00:00.000Z', ack: 2, mediaKind: null, quotedWaId: null, quotedBody: null, recalled: false },
    ]);
    let copies = await fx.db.selectFrom('messages').selectAll().where('body', '=', 'first send').execute();
    t.equal(copies.length, 1, 'one row');
    t.equal(copies[0]!.ack, 2);

    // Order 2: the observer reports the bubble while the send call has not answered yet.
    let open!: () => void;
    wa.gate = new Promise((r) => (open = r));
    const pending2 = await outbox.send(target, '  second send ');
    const realId = `true_${chat(1).waId}_3EB0OBSERVED`;
    await store.sink.messages([
      { waId: realId, chatWaId: chat(1).waId, direction: 'out', author: null, body: 'second send', sentAt: '2026-11-25T10:01:00.000Z', ack: 1, mediaKind: null, quotedWaId: null, quotedBody: null, recalled: false },
    ]);
    row = await fx.db.selectFrom('messages').selectAll().where('id', '=', String(pending2.id)).executeTakeFirstOrThrow();
    t.equal(row.wa_id, realId, 'the pending row took the observed id');
    // The stand-in answers with its own id for the same bubble: still one row, the client's id kept.
    wa.gate = null;
    open();
    await outbox.flush();
    copies = await fx.db.selectFrom('messages').selectAll().where('chat_id', '=', target.id).where('direction', '=', 'out').execute();
    t.equal(copies.length, 2, 'two sends, two rows');
    t.ok(copies.some((c) => c.id === String(pending2.id)));

    // A failed send is marked ack -1.
    wa.failSends = true;
    const doomed = await outbox.send(target, 'will fail');
    await outbox.flush();
    row = await fx.db.selectFrom('messages').selectAll().where('id', '=', String(doomed.id)).executeTakeFirstOrThrow();
    t.equal(row.ack, -1);
    t.match(row.wa_id, /^pending:/);
  });

  await t.test('status changes are events; only the newest QR stays in the log', async (t) => {
    await store.sink.status({ state: 'QR', qr: 'qr-1', since: new Date().toISOString(), detail: null, cause: null, lastLogout: null });
    await store.sink.status({ state: 'QR', qr: 'qr-2', since: new Date().toISOString(), detail: null, cause: null, lastLogout: null });
    await store.sink.status({ state: 'QR', qr: 'qr-3', since: new Date().toISOString(), detail: null, cause: null, lastLogout: null });
    const qrs = await fx.db.selectFrom('events').select(['payload']).where('type', '=', 'wa.qr').execute();
    t.equal(qrs.length, 1);
    t.equal((qrs[0]!.payload as { qr: string }).qr, 'qr-3');
    const states = seen.filter((e) => e.type === 'wa.state').map((e) => (e.data as { state: string }).state);
    t.same(states, ['QR'], 'one wa.state for three QRs');
    await store.sink.status({ state: 'READY', qr: null, since: new Date().toISOString(), detail: null, cause: null, lastLogout: null });
    t.equal((seen.at(-1)!.data as { state: string }).state, 'READY');
  });

  await t.test('sync cursors round-trip', async (t) => {
    t.equal(await store.sink.loadSyncCursor('chat:x'), null);
    await store.sink.saveSyncCursor('chat:x', { oldest: 'abc' }, false);
    await store.sink.saveSyncCursor('chat:x', { oldest: 'def' }, true);
    t.same(await store.sink.loadSyncCursor('chat:x'), { oldest: 'def' });
  });

  await t.test('old events are pruned', async (t) => {
    const n = await count('events');
    await fx.db.updateTable('events').set({ created_at: new Date('2020-01-01') as never }).execute();
    const deleted = await store.prune();
    t.equal(deleted, n - 1, 'all but the newest');
  });
});
