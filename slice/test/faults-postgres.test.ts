// PostgreSQL restarted under the slice's store (a real cluster stopped, kept down, started again
// on the same port): what WhatsApp reports during the outage waits in the sink and is stored once
// the server is back, none dropped; the same pool serves afterwards (no reopen of the store).
import t from 'tap';
import { startEmbeddedPostgres } from '../../sql/embedded.ts';
import { stopPostgres } from '../../test-support/pg.ts';
import { chat, message, openStore, sliceDb } from './helpers.ts';

t.setTimeout(90_000);

t.test('reports during an outage are stored after it, each once', async (t) => {
  const fx = await sliceDb(t, 'slice-faults-pg');
  const store = await openStore(t, fx);
  await store.sink.chats([chat(1)]);
  await store.sink.messages([message(1, 1)]);

  await stopPostgres(fx.cluster.dataDir);
  let settled: 'stored' | Error | null = null;
  // Several reports in flight at once: the batch written together and the ones queued behind it.
  const pending = Promise.all([
    store.sink.messages([message(1, 2), message(1, 3)]),
    store.sink.messages([message(1, 4)]),
    store.sink.chats([chat(2)]),
  ]).then(
    () => (settled = 'stored'),
    (err: Error) => (settled = err),
  );
  await new Promise((r) => setTimeout(r, 3_000));
  t.equal(settled, null, 'while the server is down the reports wait (neither stored nor dropped)');

  const restarted = await startEmbeddedPostgres({ dataDir: fx.cluster.dataDir, port: fx.cluster.port });
  t.teardown(() => restarted.stop());
  const up = Date.now();
  await pending;
  t.comment(`reports stored ${Date.now() - up} ms after PostgreSQL came back`);
  t.equal(settled, 'stored', `every report of the outage is stored: ${settled}`);
  const ids = (await fx.db.selectFrom('messages').select('wa_id').orderBy('wa_id').execute()).map((r) => r.wa_id);
  t.same(ids, [1, 2, 3, 4].map((i) => message(1, i).waId).sort(), 'each message once, none lost');
  t.equal((await fx.db.selectFrom('chats').select('wa_id').execute()).length, 2, 'the chat reported during the outage is stored');
});
