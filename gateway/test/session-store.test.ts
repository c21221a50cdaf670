// The session store's in-memory copy against a real PostgreSQL: many requests that miss at once
// make one query, and a session ended while a load is in flight is not put back in memory (the
// proxy's fast path trusts that memory).
import t from 'tap';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { createDb } from '../../sql/database.ts';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';
import { PgSessionStore } from '../support/session-store.ts';
import { startDb } from './helpers.ts';

const db = await startDb(t, 'gateway-session-store');

/** Counts SELECTs; can hold their results back a while (a slow read, deterministically). */
class CountSelects implements KyselyPlugin {
  selects = 0;
  holdSelectsMs = 0;
  private readonly selectIds = new WeakSet<object>();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === 'SelectQueryNode') {
      this.selects += 1;
      this.selectIds.add(args.queryId);
    }
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.holdSelectsMs > 0 && this.selectIds.has(args.queryId)) await new Promise((r) => setTimeout(r, this.holdSelectsMs));
    return args.result;
  }
}

const counter = new CountSelects();
const base = createDb<GatewayDatabase>(db.gatewayUrl, { max: 8 });
t.teardown(() => base.destroy());
const kysely = base.withSchema('gateway').withPlugin(counter);

const promisify = <T>(fn: (cb: (err: unknown, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

async function stored(store: PgSessionStore, sid: string): Promise<void> {
  const expires = new Date(Date.now() + 3_600_000).toISOString();
  await promisify<void>((cb) => store.set(sid, { cookie: { expires, originalMaxAge: 3_600_000 }, csrfToken: 'x' }, cb));
}

t.test('twenty requests that miss at once: one query', async (t) => {
  const store = new PgSessionStore(kysely, { cacheTtlMs: 0 }); // every get misses the copy
  await stored(store, 'sid-many');
  const before = counter.selects;
  const all = await Promise.all(Array.from({ length: 20 }, () => promisify<Record<string, unknown>>((cb) => store.get('sid-many', cb))));
  t.equal(counter.selects - before, 1, 'one SELECT');
  t.ok(all.every((s) => s?.csrfToken === 'x'), 'every caller got the session');
});

t.test('a session destroyed while its load is in flight is not remembered', async (t) => {
  const store = new PgSessionStore(kysely, { cacheTtlMs: 60_000 });
  await stored(store, 'sid-race');
  // A fresh store: the copy made by set() is in another instance; this one must load.
  const fresh = new PgSessionStore(kysely, { cacheTtlMs: 60_000 });
  // The read sees the row, but its answer arrives after the logout has finished.
  counter.holdSelectsMs = 300;
  const loading = promisify<Record<string, unknown>>((cb) => fresh.get('sid-race', cb));
  await new Promise((r) => setTimeout(r, 50));
  await promisify<void>((cb) => fresh.destroy('sid-race', cb));
  const read = await loading;
  counter.holdSelectsMs = 0;
  t.match(read, { csrfToken: 'x' }, 'the slow read did see the session');
  t.equal(fresh.peek('sid-race'), undefined, 'not in memory');
  t.equal(await promisify<Record<string, unknown> | null>((cb) => fresh.get('sid-race', cb)), null, 'and gone from the database');
});

t.test('peek: only a fresh, unexpired copy', async (t) => {
  const store = new PgSessionStore(kysely, { cacheTtlMs: 60_000 });
  await stored(store, 'sid-peek');
  t.match(store.peek('sid-peek'), { csrfToken: 'x' }, 'the copy set() made');
  t.equal(store.peek('sid-unknown'), undefined);
  const past = new Date(Date.now() - 1_000).toISOString();
  await promisify<void>((cb) => store.set('sid-old', { cookie: { expires: past }, csrfToken: 'y' }, cb));
  t.equal(store.peek('sid-old'), undefined, 'an expired session is left to @fastify/session');
  const short = new PgSessionStore(kysely, { cacheTtlMs: 1 });
  await stored(short, 'sid-short');
  await new Promise((r) => setTimeout(r, 5));
  t.equal(short.peek('sid-short'), undefined, 'a stale copy is not used');
});
