// Messages: written once per WhatsApp id (ON CONFLICT (wa_id) updates only what changed: ack,
// body, recall, media), read by chat in keyset pages and searched by full text.
import { sql } from 'kysely';
import type { ExtractedMessage, ExtractedReaction } from '../wa/types.ts';
import type { SliceDb } from './events.ts';
import { BadCursor } from './chats.ts';
import { decodeCursor, encodeCursor, toMessageOut, type MemberRef, type MessageOut, type SearchHit } from './shapes.ts';
import { visibleChat, type ChatScope } from './visibility.ts';

export const PENDING_PREFIX = 'pending:';

export interface MessageInput extends ExtractedMessage {
  chatId: string;
}

interface UpsertedMessage extends MessageOut {
  created: boolean;
  /** on an update: which fields changed (see changedFields) */
  changed?: string[];
}

function clampAck(ack: number): number {
  return Number.isFinite(ack) ? Math.max(-1, Math.min(4, Math.trunc(ack))) : 0;
}

/** Reports of one id in one batch, merged: later fields win, an absent optional field keeps the earlier one. */
function mergeByWaId(input: MessageInput[]): MessageInput[] {
  const byWa = new Map<string, MessageInput>();
  for (const m of input) {
    const prev = byWa.get(m.waId);
    if (!prev) {
      byWa.set(m.waId, m);
      continue;
    }
    const next: Record<string, unknown> = { ...prev };
    for (const [k, v] of Object.entries(m)) if (v !== undefined) next[k] = v;
    byWa.set(m.waId, next as unknown as MessageInput);
  }
  return [...byWa.values()];
}

/** The kind a report states; null: it does not say (an older reporter without a media kind). */
function reportedKind(m: MessageInput): string | null {
  return m.kind ?? (m.mediaKind ? 'media' : null);
}

/**
 * Insert new messages and update changed ones; unchanged ones are left alone and not returned.
 * The optional fields (kind, reactions, preview, edited, media) change a stored row only when
 * reported; a body reported with `edited` that differs from the stored one is an edit: the old
 * body goes to message_edits first.
 */
export async function upsertMessages(db: SliceDb, input: MessageInput[]): Promise<UpsertedMessage[]> {
  const msgs = mergeByWaId(input);
  if (msgs.length === 0) return [];
  const before = await storedBefore(db, msgs);
  await recordEdits(db, msgs.filter((m) => m.edited === true));
  const rows = await db
    .insertInto('messages')
    .columns(['wa_id', 'chat_id', 'direction', 'author', 'body', 'sent_at', 'ack', 'media_kind', 'quoted_wa_id', 'quoted_body', 'recalled', 'kind', 'reactions', 'link_preview', 'edited_at'])
    .expression(
      // One JSON parameter: cheaper than eleven driver-escaped array literals.
      sql`select wa_id, chat_id, direction, author, body, sent_at, ack, media_kind, quoted_wa_id, quoted_body, recalled,
          coalesce(kind, case when media_kind is null then 'text' else 'media' end), coalesce(reactions, '[]'::jsonb), link_preview,
          case when edited then now() end
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
            kind: reportedKind(m),
            reactions: m.reactions ?? null,
            link_preview: m.linkPreview ?? null,
            edited: m.edited === true,
          })),
        )}::json) as x(wa_id text, chat_id bigint, direction text, author text, body text, sent_at timestamptz, ack smallint,
          media_kind text, quoted_wa_id text, quoted_body text, recalled boolean, kind text, reactions jsonb, link_preview jsonb, edited boolean)` as any,
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
    .returning(['id', sql<boolean>`(xmax = 0)`.as('created')])
    .execute();
  const created = new Set(rows.filter((r) => r.created).map((r) => String(r.id)));
  const changed = new Set(rows.map((r) => String(r.id)));
  for (const id of await updateReportedExtras(db, msgs, created)) changed.add(id);
  for (const id of await upsertMediaRows(db, msgs.filter((m) => m.media))) if (!created.has(id)) changed.add(id);
  const out = await getMessagesByIds(db, [...changed]);
  return out.map((m) => {
    const id = String(m.id);
    if (created.has(id)) return { ...m, created: true };
    return { ...m, created: false, changed: changedFields(before.get(id), m) };
  });
}

/** The fields of a message whose change a client may want to tell apart (webhooks: an ack from a reaction). */
const WATCHED_FIELDS = ['ack', 'body', 'reactions', 'recalled', 'mediaKind', 'linkPreview', 'editedAt'] as const;

/** Which watched fields differ between the stored message and the new one (all of them when the old one is unknown). */
export function changedFields(before: MessageOut | undefined, after: MessageOut): string[] {
  const a = after as unknown as Record<string, unknown>;
  const b = before as unknown as Record<string, unknown> | undefined;
  return WATCHED_FIELDS.filter((f) => !b || JSON.stringify(b[f]) !== JSON.stringify(a[f]));
}

/** The stored form of the messages these reports name, by id: what `changed` is judged against. */
async function storedBefore(db: SliceDb, msgs: MessageInput[]): Promise<Map<string, MessageOut>> {
  const ids = await db.selectFrom('messages').select('id').where('wa_id', 'in', msgs.map((m) => m.waId)).execute();
  return new Map((await getMessagesByIds(db, ids.map((r) => r.id))).map((m) => [String(m.id), m]));
}

/** Earlier texts of messages reported edited with a new body: kept in message_edits, editedAt now. */
async function recordEdits(db: SliceDb, edited: MessageInput[]): Promise<void> {
  if (edited.length === 0) return;
  const wanted = new Map(edited.map((m) => [m.waId, m.body ?? '']));
  const stored = await db.selectFrom('messages').select(['id', 'wa_id', 'body']).where('wa_id', 'in', [...wanted.keys()]).execute();
  const replaced = stored.filter((r) => r.body !== wanted.get(r.wa_id));
  if (replaced.length === 0) return;
  await db.insertInto('message_edits').values(replaced.map((r) => ({ message_id: r.id, body: r.body }))).execute();
  await db
    .updateTable('messages')
    .set({ edited_at: sql`now()` as any })
    .where('id', 'in', replaced.map((r) => r.id))
    .execute();
}

/** Kind, reactions, preview and the edited mark of rows that existed: only what was reported, only when it differs. */
async function updateReportedExtras(db: SliceDb, msgs: MessageInput[], created: Set<string>): Promise<string[]> {
  const reported = msgs.filter((m) => reportedKind(m) !== null || m.reactions !== undefined || m.linkPreview !== undefined || m.edited === true);
  if (reported.length === 0) return [];
  const x = sql`json_to_recordset(${JSON.stringify(
    reported.map((m) => ({
      wa_id: m.waId,
      kind: reportedKind(m),
      reactions: m.reactions ?? null,
      has_preview: m.linkPreview !== undefined,
      link_preview: m.linkPreview ?? null,
      edited: m.edited === true,
    })),
  )}::json) as x(wa_id text, kind text, reactions jsonb, has_preview boolean, link_preview jsonb, edited boolean)`;
  const next = {
    kind: sql`coalesce(x.kind, messages.kind)`,
    reactions: sql`coalesce(x.reactions, messages.reactions)`,
    link_preview: sql`case when x.has_preview then x.link_preview else messages.link_preview end`,
    edited_at: sql`case when x.edited and messages.edited_at is null then now() else messages.edited_at end`,
  };
  const rows = await db
    .updateTable('messages')
    .from(x as any)
    .set({ ...next, updated_at: sql`now()` } as any)
    .whereRef('messages.wa_id' as any, '=', sql`x.wa_id` as any)
    .where(sql<boolean>`not (messages.id = any(${[...created]}::bigint[]))`)
    .where(
      sql<boolean>`(messages.kind, messages.reactions, messages.link_preview, messages.edited_at is null)
        is distinct from (${next.kind}, ${next.reactions}, ${next.link_preview}, not x.edited and messages.edited_at is null)`,
    )
    .returning('messages.id')
    .execute();
  return rows.map((r) => String(r.id));
}

/** Nothing to fetch for these: what they are is in `details`. */
const WITHOUT_FILE = new Set(['location', 'contact']);

/** A media row for each message that reports one (state pending); page facts fill what is unknown. Returns message ids changed. */
async function upsertMediaRows(db: SliceDb, msgs: MessageInput[]): Promise<string[]> {
  if (msgs.length === 0) return [];
  const ids = new Map(
    (await db.selectFrom('messages').select(['id', 'wa_id']).where('wa_id', 'in', msgs.map((m) => m.waId)).execute()).map((r) => [r.wa_id, String(r.id)]),
  );
  const values = msgs
    .filter((m) => ids.has(m.waId))
    .map((m) => {
      const md = m.media!;
      return {
        message_id: ids.get(m.waId)!,
        kind: md.kind,
        mime_type: md.mimeType,
        size: md.size == null ? null : Math.max(0, Math.trunc(md.size)),
        file_name: md.fileName,
        width: md.width == null ? null : Math.trunc(md.width),
        height: md.height == null ? null : Math.trunc(md.height),
        duration_ms: md.durationMs == null ? null : Math.trunc(md.durationMs),
        details: md.details ?? null,
        state: WITHOUT_FILE.has(md.kind) ? 'stored' : 'pending',
      };
    });
  if (values.length === 0) return [];
  const keep = (c: string) => sql`coalesce(media.${sql.ref(c)}, excluded.${sql.ref(c)})`;
  const set = {
    kind: sql`excluded.kind`,
    mime_type: keep('mime_type'),
    size: keep('size'),
    file_name: keep('file_name'),
    width: keep('width'),
    height: keep('height'),
    duration_ms: keep('duration_ms'),
    details: sql`coalesce(excluded.details, media.details)`,
  };
  const rows = await db
    .insertInto('media')
    .columns(['message_id', 'kind', 'mime_type', 'size', 'file_name', 'width', 'height', 'duration_ms', 'details', 'state'])
    .expression(
      sql`select message_id, kind, mime_type, size, file_name, width, height, duration_ms, details, state
        from json_to_recordset(${JSON.stringify(values)}::json) as x(message_id bigint, kind text, mime_type text, size bigint,
          file_name text, width integer, height integer, duration_ms integer, details jsonb, state text)` as any,
    )
    .onConflict((oc) =>
      oc
        .column('message_id')
        .doUpdateSet({ ...set, updated_at: sql`now()` } as any)
        .where(
          sql<boolean>`(media.kind, media.mime_type, media.size, media.file_name, media.width, media.height, media.duration_ms, media.details)
            is distinct from (${set.kind}, ${set.mime_type}, ${set.size}, ${set.file_name}, ${set.width}, ${set.height}, ${set.duration_ms}, ${set.details})`,
        ),
    )
    .returning('message_id')
    .execute();
  return rows.map((r) => String(r.message_id));
}

/** Messages by our ids, in the API's shape (media and the quoted message's id included). */
export async function getMessagesByIds(db: SliceDb, ids: (string | number)[]): Promise<MessageOut[]> {
  if (ids.length === 0) return [];
  const rows = await messageSelect(db)
    .where('m.id', 'in', ids.map(String))
    .orderBy('m.id')
    .execute();
  return rows.map(toMessageOut);
}

export async function getMessage(db: SliceDb, id: string | number): Promise<MessageOut | null> {
  return (await getMessagesByIds(db, [id]))[0] ?? null;
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
      // A file sent with a caption is its caption plus its kind: a text of the same words is another message.
      .where(sql<boolean>`media_kind is not distinct from ${m.mediaKind ?? null}::text`)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (pending) {
      await db.updateTable('messages').set({ wa_id: m.waId, updated_at: sql`now()` as any }).where('id', '=', pending.id).execute();
      known.add(m.waId);
    }
  }
}

/** A pending outgoing row; `mediaKind` for a file sent with `body` as its caption. */
export async function insertPendingMessage(
  db: SliceDb,
  chatId: string,
  body: string,
  pendingWaId: string,
  mediaKind: string | null = null,
  sentBy: MemberRef | null = null,
): Promise<string> {
  const r = await db
    .insertInto('messages')
    .values({
      wa_id: pendingWaId,
      chat_id: chatId,
      direction: 'out',
      author: null,
      body,
      sent_at: new Date(),
      ack: 0,
      media_kind: mediaKind,
      kind: mediaKind ? 'media' : 'text',
      sent_by_member_id: sentBy?.memberId ?? null,
      sent_by_name: sentBy?.name ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(r.id);
}

/**
 * The send call returned the bubble's real id. The pending row takes it; if the observer's copy
 * already holds that id as a row of its own, that copy is folded into the pending row (whose id
 * the client already has), so one row remains (its media row goes with it: the pending row's own
 * holds the file already).
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
    .returning('id')
    .executeTakeFirst();
  return { message: r ? await getMessage(db, r.id) : null, removedId };
}

export async function failPendingMessage(db: SliceDb, messageId: string): Promise<MessageOut | null> {
  const r = await db
    .updateTable('messages')
    .set({ ack: -1, updated_at: sql`now()` as any })
    .where('id', '=', messageId)
    .where('wa_id', 'like', `${PENDING_PREFIX}%`)
    .returning('id')
    .executeTakeFirst();
  return r ? getMessage(db, r.id) : null;
}

function messageSelect(db: SliceDb) {
  return db
    .selectFrom('messages as m')
    .leftJoin('messages as q', 'q.wa_id', 'm.quoted_wa_id')
    .leftJoin('media as md', 'md.message_id', 'm.id')
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
      'm.kind',
      'm.reactions',
      'm.link_preview',
      'm.edited_at',
      'm.sent_by_member_id',
      'm.sent_by_name',
      'q.id as quoted_id',
      'md.id as md_id',
      'md.kind as md_kind',
      'md.mime_type as md_mime_type',
      'md.size as md_size',
      'md.file_name as md_file_name',
      'md.width as md_width',
      'md.height as md_height',
      'md.duration_ms as md_duration_ms',
      'md.sha256 as md_sha256',
      'md.thumb_sha256 as md_thumb_sha256',
      'md.state as md_state',
      'md.error_code as md_error_code',
      'md.error_message as md_error_message',
      'md.details as md_details',
    ])
    // The cursor keeps PostgreSQL's own text of the time (microseconds), not a rounded JS Date.
    .select(sql<string>`m.sent_at::text`.as('sent_key'));
}

/** An edited message's earlier texts, oldest first. */
export async function listEdits(db: SliceDb, messageId: string | number): Promise<{ body: string; replacedAt: string }[]> {
  const rows = await db.selectFrom('message_edits').select(['body', 'replaced_at']).where('message_id', '=', String(messageId)).orderBy('id').execute();
  return rows.map((r) => ({ body: r.body, replacedAt: new Date(r.replaced_at).toISOString() }));
}

/** Reactions as the page showed them after the CRM reacted; null when the row is gone. */
export async function setReactions(db: SliceDb, messageId: string | number, reactions: ExtractedReaction[]): Promise<boolean> {
  const r = await db
    .updateTable('messages')
    .set({ reactions: JSON.stringify(reactions), updated_at: sql`now()` as any })
    .where('id', '=', String(messageId))
    .where(sql<boolean>`reactions is distinct from ${JSON.stringify(reactions)}::jsonb`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
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
  scope: ChatScope = null,
): Promise<{ items: SearchHit[]; nextCursor: string | null }> {
  const config = sql.lit(`${schema}.crm_search`);
  let query = messageSelect(db)
    .innerJoin('chats as c', 'c.id', 'm.chat_id')
    .leftJoin('contacts as k', 'k.id', 'c.contact_id')
    .select(sql<string>`coalesce(k.saved_name, c.name)`.as('chat_name'))
    .where(sql<boolean>`to_tsvector(${config}::regconfig, m.body) @@ plainto_tsquery(${config}::regconfig, ${q.q})`)
    .where(visibleChat(scope));
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
