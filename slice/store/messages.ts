// Messages: written once per WhatsApp id (ON CONFLICT (wa_id) updates only what changed: ack,
// body, recall, media), read by chat in keyset pages and searched by full text.
import { sql } from 'kysely';
import type { ExtractedMessage } from '../wa/types.ts';
import type { SliceDb } from './events.ts';
import { BadCursor } from './chats.ts';
import { decodeCursor, encodeCursor, toMessageOut, type MessageOut, type SearchHit } from './shapes.ts';

export const PENDING_PREFIX = 'pending:';

export interface MessageInput extends ExtractedMessage {
  chatId: string;
}

interface UpsertedMessage extends MessageOut {
  created: boolean;
}

const RETURNED = ['id', 'wa_id', 'chat_id', 'direction', 'author', 'body', 'sent_at', 'ack', 'media_kind', 'quoted_wa_id', 'quoted_body', 'recalled'] as const;

function clampAck(ack: number): number {
  return Number.isFinite(ack) ? Math.max(-1, Math.min(4, Math.trunc(ack))) : 0;
}

/** Insert new messages and update changed ones; unchanged ones are left alone and not returned. */
export async function upsertMessages(db: SliceDb, input: MessageInput[]): Promise<UpsertedMessage[]> {
  const byWa = new Map<string, MessageInput>();
  for (const m of input) byWa.set(m.waId, m); // one row per id per statement: the latest report wins
  const msgs = [...byWa.values()];
  if (msgs.length === 0) return [];
  const rows = await db
    .insertInto('messages')
    .columns(['wa_id', 'chat_id', 'direction', 'author', 'body', 'sent_at', 'ack', 'media_kind', 'quoted_wa_id', 'quoted_body', 'recalled'])
    .expression(
      // One JSON parameter: cheaper than eleven driver-escaped array literals.
      sql`select wa_id, chat_id, direction, author, body, sent_at, ack, media_kind, quoted_wa_id, quoted_body, recalled
        from json_to_recordset(${JSON.stringify(
          msgs.map((m) => ({
            wa_id: m.waId,
            chat_id: m.chatId,
            direction: m.direction === 'out' ? 'out' : 'in',
            author: m.author,
            body: m.body ?? '',
            sent_at: m.sentAt,
            ack: clampAck(m.ack),
            media_kind: m.mediaKind,
            quoted_wa_id: m.quotedWaId,
            quoted_body: m.quotedBody,
            recalled: m.recalled === true,
          })),
        )}::json) as x(wa_id text, chat_id bigint, direction text, author text, body text, sent_at timestamptz, ack smallint,
          media_kind text, quoted_wa_id text, quoted_body text, recalled boolean)` as any,
    )
    .onConflict((oc) =>
      oc
        .column('wa_id')
        .doUpdateSet({
          body: sql`excluded.body`,
          ack: sql`greatest(messages.ack, excluded.ack)`,
          recalled: sql`messages.recalled or excluded.recalled`,
          media_kind: sql`coalesce(excluded.media_kind, messages.media_kind)`,
          quoted_wa_id: sql`coalesce(excluded.quoted_wa_id, messages.quoted_wa_id)`,
          quoted_body: sql`coalesce(excluded.quoted_body, messages.quoted_body)`,
          author: sql`coalesce(messages.author, excluded.author)`,
          updated_at: sql`now()`,
        })
        .where(
          sql<boolean>`messages.body is distinct from excluded.body
            or messages.ack < excluded.ack
            or (excluded.recalled and not messages.recalled)
            or (excluded.media_kind is not null and messages.media_kind is distinct from excluded.media_kind)
            or (excluded.quoted_wa_id is not null and messages.quoted_wa_id is distinct from excluded.quoted_wa_id)`,
        ),
    )
    .returning([...RETURNED, sql<boolean>`(xmax = 0)`.as('created')])
    .execute();
  const quoted = await quotedIds(db, rows.map((r) => r.quoted_wa_id));
  return rows.map((r) => ({ ...toMessageOut({ ...r, quoted_id: r.quoted_wa_id ? (quoted.get(r.quoted_wa_id) ?? null) : null }), created: r.created }));
}

async function quotedIds(db: SliceDb, waIds: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(waIds.filter((w): w is string => !!w))];
  const out = new Map<string, string>();
  if (wanted.length === 0) return out;
  const rows = await db.selectFrom('messages').select(['id', 'wa_id']).where('wa_id', 'in', wanted).execute();
  for (const r of rows) out.set(r.wa_id, String(r.id));
  return out;
}

/**
 * Outgoing messages the observer reports before the send call returned: give the pending row
 * (same chat, same text, still pending) the real id so the upsert that follows merges into it.
 */
export async function adoptPendingMessages(db: SliceDb, outgoing: MessageInput[]): Promise<void> {
  if (outgoing.length === 0) return;
  const known = new Set(
    (await db.selectFrom('messages').select('wa_id').where('wa_id', 'in', outgoing.map((m) => m.waId)).execute()).map((r) => r.wa_id),
  );
  for (const m of outgoing) {
    if (known.has(m.waId)) continue;
    const pending = await db
      .selectFrom('messages')
      .select('id')
      .where('chat_id', '=', m.chatId)
      .where('direction', '=', 'out')
      .where('wa_id', 'like', `${PENDING_PREFIX}%`)
      .where(sql<boolean>`btrim(body) = btrim(${m.body ?? ''}::text)`)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (pending) {
      await db.updateTable('messages').set({ wa_id: m.waId, updated_at: sql`now()` as any }).where('id', '=', pending.id).execute();
      known.add(m.waId);
    }
  }
}

export async function insertPendingMessage(db: SliceDb, chatId: string, body: string, pendingWaId: string): Promise<MessageOut> {
  const r = await db
    .insertInto('messages')
    .values({ wa_id: pendingWaId, chat_id: chatId, direction: 'out', author: null, body, sent_at: new Date(), ack: 0 })
    .returning([...RETURNED])
    .executeTakeFirstOrThrow();
  return toMessageOut({ ...r, quoted_id: null });
}

/**
 * The send call returned the bubble's real id. The pending row takes it; if the observer's copy
 * already holds that id as a row of its own, that copy is folded into the pending row (whose id
 * the client already has), so one row remains.
 */
export async function resolvePendingMessage(db: SliceDb, messageId: string, realWaId: string): Promise<{ message: MessageOut | null; removedId: string | null }> {
  const mine = await db.selectFrom('messages').select(['id', 'wa_id', 'ack']).where('id', '=', messageId).executeTakeFirst();
  if (!mine) return { message: null, removedId: null };
  // The observer's copy already gave it the real id and a sent tick: nothing to change or announce.
  if (mine.wa_id === realWaId && mine.ack >= 1) return { message: null, removedId: null };
  let removedId: string | null = null;
  let ack = Math.max(1, mine.ack);
  if (mine.wa_id !== realWaId) {
    const other = await db.deleteFrom('messages').where('wa_id', '=', realWaId).where('id', '<>', messageId).returning(['id', 'ack']).executeTakeFirst();
    if (other) {
      removedId = String(other.id);
      ack = Math.max(ack, other.ack);
    }
  }
  const r = await db
    .updateTable('messages')
    .set({ wa_id: realWaId, ack, updated_at: sql`now()` as any })
    .where('id', '=', messageId)
    .returning([...RETURNED])
    .executeTakeFirst();
  return { message: r ? toMessageOut({ ...r, quoted_id: null }) : null, removedId };
}

export async function failPendingMessage(db: SliceDb, messageId: string): Promise<MessageOut | null> {
  const r = await db
    .updateTable('messages')
    .set({ ack: -1, updated_at: sql`now()` as any })
    .where('id', '=', messageId)
    .where('wa_id', 'like', `${PENDING_PREFIX}%`)
    .returning([...RETURNED])
    .executeTakeFirst();
  return r ? toMessageOut({ ...r, quoted_id: null }) : null;
}

function messageSelect(db: SliceDb) {
  return db
    .selectFrom('messages as m')
    .leftJoin('messages as q', 'q.wa_id', 'm.quoted_wa_id')
    .select([
      'm.id',
      'm.wa_id',
      'm.chat_id',
      'm.direction',
      'm.author',
      'm.body',
      'm.sent_at',
      'm.ack',
      'm.media_kind',
      'm.quoted_body',
      'm.recalled',
      'q.id as quoted_id',
    ])
    // The cursor keeps PostgreSQL's own text of the time (microseconds), not a rounded JS Date.
    .select(sql<string>`m.sent_at::text`.as('sent_key'));
}

function timeCursor(cursor: string | undefined): [string, string] | null {
  if (cursor === undefined) return null;
  const parts = decodeCursor(cursor, 2);
  if (!parts || typeof parts[0] !== 'string' || typeof parts[1] !== 'string' || !/^\d+$/.test(parts[1]) || Number.isNaN(Date.parse(parts[0]))) {
    throw new BadCursor('cursor');
  }
  return [parts[0], parts[1]];
}

/** A chat's messages, newest first; `before` is the nextCursor of the previous page. */
export async function listMessages(
  db: SliceDb,
  chatId: string | number,
  q: { before?: string | undefined; limit: number },
): Promise<{ items: MessageOut[]; nextCursor: string | null }> {
  let query = messageSelect(db).where('m.chat_id', '=', String(chatId));
  const c = timeCursor(q.before);
  if (c) query = query.where(sql<boolean>`(m.sent_at, m.id) < (${c[0]}::timestamptz, ${c[1]}::bigint)`);
  const rows = await query.orderBy('m.sent_at', 'desc').orderBy('m.id', 'desc').limit(q.limit + 1).execute();
  return page(rows, q.limit);
}

function page<R extends Parameters<typeof toMessageOut>[0] & { sent_key: string }>(rows: R[], limit: number): { items: MessageOut[]; nextCursor: string | null } {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return { items: kept.map(toMessageOut), nextCursor: rows.length > limit && last ? encodeCursor([last.sent_key, String(last.id)]) : null };
}

/** Full text over bodies, newest first. The expression matches messages_body_fts_idx exactly. */
/**
 * Messages whose body has every word of `q`, accents and case aside, newest first, each with the
 * name its chat shows. The configuration is the schema's crm_search, written as a literal so the
 * planner can use the index built on that expression.
 */
export async function searchMessages(
  db: SliceDb,
  schema: string,
  q: { q: string; cursor?: string | undefined; limit: number },
): Promise<{ items: SearchHit[]; nextCursor: string | null }> {
  const config = sql.lit(`${schema}.crm_search`);
  let query = messageSelect(db)
    .innerJoin('chats as c', 'c.id', 'm.chat_id')
    .leftJoin('contacts as k', 'k.id', 'c.contact_id')
    .select(sql<string>`coalesce(k.saved_name, c.name)`.as('chat_name'))
    .where(sql<boolean>`to_tsvector(${config}::regconfig, m.body) @@ plainto_tsquery(${config}::regconfig, ${q.q})`);
  const c = timeCursor(q.cursor);
  if (c) query = query.where(sql<boolean>`(m.sent_at, m.id) < (${c[0]}::timestamptz, ${c[1]}::bigint)`);
  const rows = await query.orderBy('m.sent_at', 'desc').orderBy('m.id', 'desc').limit(q.limit + 1).execute();
  const { items, nextCursor } = page(rows, q.limit);
  return { items: items.map((m, i) => ({ ...m, chatName: rows[i]!.chat_name })), nextCursor };
}

export async function lastMessageAt(db: SliceDb): Promise<string | null> {
  const r = await db.selectFrom('messages').select((eb) => eb.fn.max('sent_at').as('t')).executeTakeFirst();
  return r?.t ? new Date(r.t as Date).toISOString() : null;
}
