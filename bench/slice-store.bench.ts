// Slice store figures: ingest rate through the store (the WaSink the WhatsApp side writes into),
// and the CRM API's chat list and message page latency over 10,000 chats and 1,000,000 messages.
// Runs alone: `npx tsx bench/slice-store.bench.ts` (its own PostgreSQL cluster, removed after).
// Targets (issue 4): ingest ≥ 5,000 msg/s; chat list p99 < 20 ms.
import os from 'node:os';
import pino from 'pino';
import { sql } from 'kysely';
import { createDb, urlForRole } from '../sql/database.ts';
import { provisionSlice } from '../sql/provision.ts';
import type { SliceDatabase } from '../sql/slice/schema.ts';
import { startTestCluster } from '../test-support/pg.ts';
import { buildSliceApp } from '../slice/app.ts';
import { SliceStore } from '../slice/store/store.ts';
import type { SliceSession } from '../slice/plugins/session-types.ts';
import type { ExtractedMessage } from '../slice/wa/types.ts';
import { percentile } from './support/measure.ts';

const INGEST_MESSAGES = Number(process.env.BENCH_INGEST_MESSAGES ?? 60_000);
const CHATS = Number(process.env.BENCH_CHATS ?? 10_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 400);
const TOKEN = 'bench-token-0123456789abcdef0123456789abcdef';

const log = pino({ level: 'silent' });
const note = (s: string) => process.stdout.write(`# ${s}\n`);

function summary(name: string, ms: number[]): void {
  if (ms.length === 0) {
    note(`${name}: no samples`);
    return;
  }
  const s = [...ms].sort((a, b) => a - b);
  process.stdout.write(`slice ${name} p50=${percentile(s, 50).toFixed(2)} p99=${percentile(s, 99).toFixed(2)} ms\n`);
}

/** The session is not exercised here (no sends); only its status is read by the routes. */
const idleSession: SliceSession = {
  start: async () => {},
  stop: async () => {},
  status: () => ({ state: 'READY', qr: null, since: new Date().toISOString(), detail: null, cause: null, lastLogout: null }),
  health: async () => ({ state: 'READY', browserPid: null, browserMemoryBytes: null, lastMessageSeenAt: null, missingSelectors: [], selectorsVersion: 'bench', restarts: 0 }),
  sendMessage: async () => {
    throw new Error('not in the bench');
  },
  sendMedia: async () => {
    throw new Error('not in the bench');
  },
  react: async () => {
    throw new Error('not in the bench');
  },
  markRead: async () => {},
  setChatFlags: async () => {
    throw new Error('not in the bench');
  },
  openChatByPhone: async () => {
    throw new Error('not in the bench');
  },
  logout: async () => {},
  reloadQr: async () => {},
  requestPairingCode: async () => 'x',
};

note(`load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores (figures scale with what else runs)`);
const cluster = await startTestCluster('bench-slice-store');
try {
  const admin = createDb<any>(cluster.adminUrl, { max: 1 });
  const p = await provisionSlice(admin, 1);
  const raw = createDb<SliceDatabase>(urlForRole(cluster.adminUrl, 'slice_1', p.password!), { max: 4 });
  const db = raw.withSchema('slice_1');
  const store = new SliceStore(db, { schema: 'slice_1', sliceId: 1, log });
  await store.open();

  // ---- ingest: the observer's reports, many small calls in flight at once ------------------------
  const ingestChats = 200;
  await store.sink.chats(
    Array.from({ length: ingestChats }, (_, i) => ({
      waId: `55119${String(i).padStart(8, '0')}@c.us`,
      name: `Ingest ${i}`,
      phone: null,
      isGroup: false,
      preview: null,
      lastMessageAt: null,
      unreadCount: 0,
    })),
  );
  const base = Date.UTC(2026, 10, 1);
  const all: ExtractedMessage[] = Array.from({ length: INGEST_MESSAGES }, (_, i) => ({
    waId: `false_${i}_3A${String(i).padStart(16, '0')}`,
    chatWaId: `55119${String(i % ingestChats).padStart(8, '0')}@c.us`,
    direction: i % 4 === 0 ? 'out' : 'in',
    author: null,
    body: `mensagem ${i} — olá, tudo bem? 👋`,
    sentAt: new Date(base + i * 1000).toISOString(),
    ack: i % 4 === 0 ? 3 : 0,
    mediaKind: null,
    quotedWaId: null,
    quotedBody: null,
    recalled: false,
  }));
  const callSize = 20;
  const inFlight = 32;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < all.length) {
        const start = next;
        next += callSize;
        await store.sink.messages(all.slice(start, start + callSize));
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const stored = Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  if (stored !== INGEST_MESSAGES) throw new Error(`ingest stored ${stored} of ${INGEST_MESSAGES}`);
  note(`ingest: ${INGEST_MESSAGES} messages in calls of ${callSize}, ${inFlight} in flight, ${seconds.toFixed(2)} s (with events and chat updates)`);
  process.stdout.write(`slice ingest=${Math.round(INGEST_MESSAGES / seconds)} msg/s\n`);
  // Re-reporting the same messages (a re-scan) must be cheap too: nothing changes, nothing written.
  const t1 = performance.now();
  for (let i = 0; i < 10_000; i += 500) await store.sink.messages(all.slice(i, i + 500));
  process.stdout.write(`slice reingest-unchanged=${Math.round(10_000 / ((performance.now() - t1) / 1000))} msg/s\n`);

  // ---- a big inbox, generated set-based ----------------------------------------------------------
  const tg = performance.now();
  await sql`truncate ${sql.table('slice_1.messages')}, ${sql.table('slice_1.chats')}, ${sql.table('slice_1.events')} cascade`.execute(raw);
  await sql`insert into ${sql.table('slice_1.chats')} (wa_id, name, phone, unread_count)
    select '5521' || lpad(g::text, 9, '0') || '@c.us', 'Cliente ' || g, '+55 21 ' || lpad(g::text, 9, '0'), (g % 7 = 0)::int * (g % 5)
    from generate_series(1, ${CHATS}) g`.execute(raw);
  const first = Number((await db.selectFrom('chats').select((eb) => eb.fn.min('id').as('m')).executeTakeFirstOrThrow()).m);
  await sql`insert into ${sql.table('slice_1.messages')} (wa_id, chat_id, direction, author, body, sent_at, ack)
    select 'BENCH' || g, ${first}::bigint + (g::bigint * 7919) % ${CHATS}, case when g % 3 = 0 then 'out' else 'in' end, null,
      (array['Olá, tudo bem?', 'Quanto custa a entrega?', 'नमस्ते, कीमत क्या है?', 'Thanks, see you tomorrow 👍', 'مرحبا، هل المنتج متوفر؟', 'Pedido confirmado ✅'])[1 + g % 6] || ' #' || g,
      timestamptz '2026-01-01' + (g || ' seconds')::interval, case when g % 3 = 0 then 3 else 0 end
    from generate_series(1, ${MESSAGES}) g`.execute(raw);
  await sql`update ${sql.table('slice_1.chats')} c set last_message_at = m.t, preview = 'latest'
    from (select chat_id, max(sent_at) t from ${sql.table('slice_1.messages')} group by chat_id) m where m.chat_id = c.id`.execute(raw);
  // What autovacuum would do after such a load: statistics, visibility map, GIN pending list merged.
  await sql`vacuum (analyze) ${sql.table('slice_1.chats')}`.execute(raw);
  await sql`vacuum (analyze) ${sql.table('slice_1.messages')}`.execute(raw);
  note(`generated ${CHATS} chats and ${MESSAGES} messages in ${((performance.now() - tg) / 1000).toFixed(1)} s`);

  // ---- API latency through the real app (routing, validation, queries, serialisation) -------------
  const app = await buildSliceApp({ store, session: idleSession, token: TOKEN, waMode: 'wwebjs' });
  const headers = { authorization: `Bearer ${TOKEN}` };
  const time = async (url: string) => {
    const s = performance.now();
    const r = await app.inject({ method: 'GET', url, headers });
    const ms = performance.now() - s;
    if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
    return { ms, body: r.json() as { items: { id: number }[]; nextCursor: string | null } };
  };
  for (let i = 0; i < 20; i++) await time('/api/chats?limit=50'); // warm up

  // First page and deep pages (cursors collected by walking the list).
  const cursors: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 40; i++) {
    const r: { body: { nextCursor: string | null } } = await time(`/api/chats?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    cursor = r.body.nextCursor;
    if (!cursor) break;
    cursors.push(cursor);
  }
  const list: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const c = i % 2 === 0 ? null : cursors[i % cursors.length]!;
    list.push((await time(`/api/chats?limit=50${c ? `&cursor=${c}` : ''}`)).ms);
  }
  summary('chat-list', list);
  const unread: number[] = [];
  for (let i = 0; i < SAMPLES / 4; i++) unread.push((await time('/api/chats?limit=50&unread=true')).ms);
  summary('chat-list-unread', unread);

  const page: number[] = [];
  const older: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const chatId = first + ((i * 104729) % CHATS);
    const r = await time(`/api/chats/${chatId}/messages?limit=50`);
    page.push(r.ms);
    if (r.body.nextCursor) older.push((await time(`/api/chats/${chatId}/messages?limit=50&before=${r.body.nextCursor}`)).ms);
  }
  summary('message-page', page);
  summary('message-page-older', older);

  const search: number[] = [];
  // A rare term (one message: the usual search) and a term in a sixth of all messages (worst case:
  // every match is ranked by time before the first page can be cut).
  for (let i = 0; i < SAMPLES / 4; i++) search.push((await time(`/api/search?q=${1 + ((i * 7919) % MESSAGES)}&limit=50`)).ms);
  summary('search-rare', search);
  const common: number[] = [];
  for (let i = 0; i < 20; i++) common.push((await time(`/api/search?q=${encodeURIComponent(i % 2 ? 'entrega' : 'कीमत')}&limit=50`)).ms);
  summary('search-common', common);

  await app.close();
  await store.close();
  await raw.destroy();
  await admin.destroy();
} finally {
  await cluster.stop();
}
