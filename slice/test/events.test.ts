// GET /events over real HTTP: live fan-out in commit order, Last-Event-ID resume (header and
// query) with no gap and no duplicate while writers run concurrently, heartbeats, bad ids.
import net from 'node:net';
import t from 'tap';
import { latestEventId } from '../store/events.ts';
import { addChatLabel } from '../store/chats.ts';
import { auth, buildApp, chat, message, openStore, sliceDb, TOKEN, WhatsAppStandIn } from './helpers.ts';

interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A minimal SSE reader over fetch, so the test controls headers and sees comments too. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const frames: Frame[] = [];
  const ac = new AbortController();
  const waiters: (() => void)[] = [];
  let status = 0;
  let contentType = '';
  const done = (async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}`, ...headers }, signal: ac.signal });
    status = res.status;
    contentType = res.headers.get('content-type') ?? '';
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) f.comment = line.slice(1).trim();
            else {
              const j = line.indexOf(':');
              const k = line.slice(0, j);
              const v = line.slice(j + 1).replace(/^ /, '');
              if (k === 'id' || k === 'event' || k === 'data') f[k] = v;
            }
          }
          frames.push(f);
          for (const w of waiters.splice(0)) w();
        }
      }
    } catch {
      /* aborted */
    }
    for (const w of waiters.splice(0)) w();
  })();
  const events = () => frames.filter((f) => f.id !== undefined);
  return {
    frames,
    events,
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    /** Wait until `pred` holds over the frames (or fail after `ms`). */
    async until(pred: () => boolean, ms = 10_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out; ${events().length} events so far`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 100))]);
      }
    },
    close() {
      ac.abort();
      return done.catch(() => {});
    },
  };
}

function ids(frames: Frame[]): bigint[] {
  return frames.map((f) => BigInt(f.id!));
}

function strictlyIncreasing(list: bigint[]): boolean {
  return list.every((v, i) => i === 0 || v > list[i - 1]!);
}

t.test('SSE with Last-Event-ID resume under concurrent writes', async (t) => {
  const fx = await sliceDb(t, 'slice-events');
  const store = await openStore(t, fx, { batchMs: 5, batchRows: 50 });
  const wa = new WhatsAppStandIn();
  const app = await buildApp(t, store, wa, { heartbeatMs: 300 });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  await store.sink.chats([chat(1), chat(2), chat(3)]);
  const c1 = (await fx.db.selectFrom('chats').select('id').where('wa_id', '=', chat(1).waId).executeTakeFirstOrThrow()).id;
  const label = await fx.db.insertInto('labels').values({ name: 'hot' }).returning('id').executeTakeFirstOrThrow();

  await t.test('needs the token, rejects a malformed Last-Event-ID', async (t) => {
    const noToken = await fetch(`${base}/events`);
    t.equal(noToken.status, 401);
    await noToken.body?.cancel();
    const bad = await fetch(`${base}/events`, { headers: { ...auth, 'last-event-id': 'abc' } });
    t.equal(bad.status, 400);
    t.equal((await bad.json()).error.kind, 'InvalidArgument');
    const badQuery = await fetch(`${base}/events?lastEventId=-1`, { headers: auth });
    t.equal(badQuery.status, 400);
    await badQuery.body?.cancel();
  });

  await t.test('live, replayed and resumed streams see every event once, in order', async (t) => {
    const start = await latestEventId(fx.db);
    const live = openStream(`${base}/events`);
    await live.until(() => live.frames.some((f) => f.comment === 'connected'));
    t.equal(live.status, 200);
    t.match(live.contentType, /^text\/event-stream/);

    // Writers: many small message reports (batched), CRM changes through the API, label changes.
    let stop = false;
    const writers: Promise<void>[] = [];
    let n = 0;
    for (let w = 0; w < 6; w++) {
      writers.push(
        (async () => {
          while (!stop) {
            const i = n++;
            await store.sink.messages([message(1 + (i % 3), 1000 + i, { body: `concurrent ${i}` })]);
          }
        })(),
      );
    }
    writers.push(
      (async () => {
        while (!stop) {
          await app.inject({ method: 'POST', url: `/api/chats/${c1}/read`, headers: auth });
          await store.change(async (trx) => ({ result: undefined, chatIds: (await addChatLabel(trx, c1, label.id)) ? [c1] : [] }));
          await fx.db.deleteFrom('chat_labels').execute();
          await store.sink.chats([chat(1, { unreadCount: n % 5 })]);
        }
      })(),
    );

    // A second client reads a while, drops, and resumes with Last-Event-ID (header), then a third
    // resumes through ?lastEventId= from an id of the replay range.
    const first = openStream(`${base}/events`, { 'last-event-id': start });
    await first.until(() => first.events().length >= 40);
    await first.close();
    const seenFirst = first.events();
    const lastSeen = seenFirst.at(-1)!.id!;
    const resumed = openStream(`${base}/events`, { 'last-event-id': lastSeen });
    const byQuery = openStream(`${base}/events?lastEventId=${seenFirst[10]!.id}`);
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(writers);
    await store.flush();

    const end = BigInt(await latestEventId(fx.db));
    for (const s of [live, resumed, byQuery]) await s.until(() => s.events().some((f) => BigInt(f.id!) === end));
    const all = (await fx.db.selectFrom('events').select('id').where('id', '>', start).orderBy('id').execute()).map((r) => BigInt(r.id));
    t.ok(all.length > 100, `${all.length} events written concurrently`);

    t.ok(strictlyIncreasing(ids(live.events())), 'live: ids strictly increase');
    t.same(ids(live.events()), all, 'live: exactly the committed events');

    const combined = [...ids(seenFirst), ...ids(resumed.events())];
    t.ok(strictlyIncreasing(combined), 'resumed: no duplicate across the reconnect');
    t.same(combined, all, 'resumed: no gap across the reconnect');

    t.same(ids(byQuery.events()), all.filter((id) => id > BigInt(seenFirst[10]!.id!)), '?lastEventId= resumes the same way');

    const sample = live.events().find((f) => f.event === 'message.created')!;
    t.match(JSON.parse(sample.data!), { chatId: Number, direction: 'in', body: String, sentAt: String });
    const types = new Set(live.events().map((f) => f.event));
    t.ok(types.has('message.created') && types.has('chat.updated'), 'both kinds arrive');
    for (const s of [live, resumed, byQuery]) await s.close();
  });

  await t.test('heartbeat comments keep an idle stream alive', async (t) => {
    const s = openStream(`${base}/events`);
    await s.until(() => s.frames.filter((f) => f.comment === 'heartbeat').length >= 2, 3000);
    t.pass('two heartbeats within 3 s at a 300 ms interval');
    await s.close();
  });

  await t.test('a client that stops reading is dropped once it is 4 MiB behind, with no leak warning', async (t) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    t.teardown(() => process.off('warning', onWarning));
    // The streams of the tests above are gone once their close events ran.
    const settled = async (n: number) => {
      for (let i = 0; i < 100 && store.bus.size !== n; i++) await new Promise((r) => setTimeout(r, 50));
      return store.bus.size;
    };
    const subscribers = await settled(0);
    const { port } = new URL(base);
    const sock = net.connect(Number(port), '127.0.0.1');
    t.teardown(() => sock.destroy());
    let head = '';
    await new Promise<void>((resolve) => {
      sock.on('data', (b) => {
        head += b.toString();
        if (head.includes(': connected')) resolve();
      });
      sock.write(`GET /events HTTP/1.1\r\nhost: slice\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`);
    });
    sock.pause();
    t.equal(store.bus.size, subscribers + 1, 'subscribed');
    // Far more than 4 MiB plus what the kernel's socket buffers hold.
    const body = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 400 && store.bus.size > subscribers; i += 20) {
      await store.sink.messages(Array.from({ length: 20 }, (_, k) => message(2, 900_000 + i + k, { body })));
    }
    t.equal(await settled(subscribers), subscribers, 'the stalled client was dropped');
    t.same(warnings.filter((w) => w.includes('MaxListeners')), [], 'no listener leak warning');
  });

  await t.test('closing the app ends open streams', async (t) => {
    const s = openStream(`${base}/events`);
    await s.until(() => s.frames.some((f) => f.comment === 'connected'));
    await app.close();
    await s.close();
    t.pass('app.close() returned with a stream open');
  });
});
