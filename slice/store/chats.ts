// Chats: upserts from the page's chat list, the inbox query (keyset by last activity), and the CRM
// fields a person sets (stage, labels, read). Functions take the schema-scoped db or a transaction.
import { sql } from 'kysely';
import type { ExtractedChat } from '../wa/types.ts';
import type { SliceDb } from './events.ts';
import { decodeCursor, encodeCursor, toChatOut, type ChatOut, type LabelOut } from './shapes.ts';
import { visibleChat, type ChatScope } from './visibility.ts';

/** Last one wins for a waId reported twice in one batch (ON CONFLICT may touch a row only once). */
function lastByWaId<T extends { waId: string }>(items: T[]): T[] {
  const m = new Map<string, T>();
  for (const it of items) m.set(it.waId, it);
  return [...m.values()];
}

/**
 * Insert or update chats by wa_id; a row is written only when something it shows changed. Returns
 * the ids of chats changed, and of those created. `contactIds` links one-to-one chats to their contact.
 *
 * The page's unread badge is taken when a chat is first seen only: afterwards the slice itself
 * opens chats to read them, which clears the page's badge, so the CRM counts its own unread
 * messages (countUnread) and only the CRM clears them (markChatRead).
 */
export async function upsertChats(
  db: SliceDb,
  input: ExtractedChat[],
  contactIds: Map<string, string> = new Map(),
): Promise<{ changed: string[]; created: string[] }> {
  const chats = lastByWaId(input);
  if (chats.length === 0) return { changed: [], created: [] };
  // The inserted row carries false for an unreported flag; an update keeps the stored one instead.
  const reported = (k: 'pinned' | 'muted' | 'archived') => new Map(chats.map((c) => [c.waId, c[k]]));
  const given = { pinned: reported('pinned'), muted: reported('muted'), archived: reported('archived') };
  const flag = (k: 'pinned' | 'muted' | 'archived') => {
    const known = chats.filter((c) => given[k].get(c.waId) !== undefined).map((c) => c.waId);
    return sql`case when chats.wa_id = any(${known}::text[]) then excluded.${sql.ref(k)} else chats.${sql.ref(k)} end`;
  };
  const preview = sql`case when excluded.last_message_at is null or chats.last_message_at is null
      or excluded.last_message_at >= chats.last_message_at then coalesce(excluded.preview, chats.preview) else chats.preview end`;
  const rows = await db
    .insertInto('chats')
    .columns(['wa_id', 'name', 'phone', 'is_group', 'preview', 'last_message_at', 'unread_count', 'contact_id', 'pinned', 'muted', 'archived'])
    .expression(
      // A flag the page did not report this time (null) stays as stored; a new chat starts unset.
      sql`select w, n, p, g, pv, l, u, k, coalesce(fp, false), coalesce(fm, false), coalesce(fa, false)
        from unnest(${chats.map((c) => c.waId)}::text[], ${chats.map((c) => c.name || c.waId)}::text[],
        ${chats.map((c) => c.phone)}::text[], ${chats.map((c) => c.isGroup)}::boolean[], ${chats.map((c) => c.preview)}::text[],
        ${chats.map((c) => c.lastMessageAt)}::timestamptz[], ${chats.map((c) => Math.max(0, Math.trunc(c.unreadCount || 0)))}::integer[],
        ${chats.map((c) => contactIds.get(c.waId) ?? null)}::bigint[], ${chats.map((c) => c.pinned ?? null)}::boolean[],
        ${chats.map((c) => c.muted ?? null)}::boolean[], ${chats.map((c) => c.archived ?? null)}::boolean[])
        as u(w, n, p, g, pv, l, u, k, fp, fm, fa)` as any,
    )
    .onConflict((oc) =>
      oc
        .column('wa_id')
        .doUpdateSet({
          name: sql`excluded.name`,
          phone: sql`coalesce(excluded.phone, chats.phone)`,
          is_group: sql`excluded.is_group`,
          preview: preview as any,
          last_message_at: sql`greatest(chats.last_message_at, excluded.last_message_at)`,
          contact_id: sql`coalesce(chats.contact_id, excluded.contact_id)`,
          pinned: flag('pinned') as any,
          muted: flag('muted') as any,
          archived: flag('archived') as any,
          updated_at: sql`now()`,
        })
        .where(
          sql<boolean>`(chats.name, chats.phone, chats.is_group, chats.preview, chats.last_message_at, chats.contact_id, chats.pinned, chats.muted, chats.archived)
            is distinct from (excluded.name, coalesce(excluded.phone, chats.phone), excluded.is_group, ${preview},
              greatest(chats.last_message_at, excluded.last_message_at), coalesce(chats.contact_id, excluded.contact_id),
              ${flag('pinned')}, ${flag('muted')}, ${flag('archived')})`,
        ),
    )
    // xmax is 0 on a row this statement inserted, and set on one it updated.
    .returning(['id', sql<boolean>`xmax = 0`.as('created')])
    .execute();
  return { changed: rows.map((r) => String(r.id)), created: rows.filter((r) => r.created).map((r) => String(r.id)) };
}

/**
 * One more unread message per new incoming message at or after its chat's last activity (older
 * ones are history being backfilled). Call it before bumpChatsFromMessages moves that activity.
 * Returns the ids of chats whose count changed.
 */
export async function countUnread(db: SliceDb, incoming: { chatId: string; sentAt: string }[]): Promise<string[]> {
  if (incoming.length === 0) return [];
  const newer = sql<number>`(select count(*)::int
    from unnest(${incoming.map((m) => m.chatId)}::bigint[], ${incoming.map((m) => m.sentAt)}::timestamptz[]) as m(chat_id, sent_at)
    where m.chat_id = chats.id and (chats.last_message_at is null or m.sent_at >= chats.last_message_at))`;
  const rows = await db
    .updateTable('chats')
    .set({ unread_count: sql`chats.unread_count + ${newer}`, updated_at: sql`now()` })
    .where('id', 'in', [...new Set(incoming.map((m) => m.chatId))])
    .where(sql<boolean>`${newer} > 0`)
    .returning('id')
    .execute();
  return rows.map((r) => String(r.id));
}

/** Chat ids for wa ids, creating a bare chat for any the store has not seen (a message came first). */
export async function ensureChats(db: SliceDb, waIds: string[]): Promise<{ ids: Map<string, string>; created: string[] }> {
  const unique = [...new Set(waIds)];
  const ids = new Map<string, string>();
  if (unique.length === 0) return { ids, created: [] };
  const created = await db
    .insertInto('chats')
    .columns(['wa_id', 'name'])
    .expression(sql`select w, w from unnest(${unique}::text[]) as u(w)` as any)
    .onConflict((oc) => oc.column('wa_id').doNothing())
    .returning(['id', 'wa_id'])
    .execute();
  for (const r of created) ids.set(r.wa_id, String(r.id));
  const missing = unique.filter((w) => !ids.has(w));
  if (missing.length > 0) {
    const rows = await db.selectFrom('chats').select(['id', 'wa_id']).where('wa_id', 'in', missing).execute();
    for (const r of rows) ids.set(r.wa_id, String(r.id));
  }
  return { ids, created: created.map((r) => String(r.id)) };
}

/** Moves each chat's preview and last activity forward to its newest new message. */
export async function bumpChatsFromMessages(
  db: SliceDb,
  latest: { chatId: string; sentAt: string; body: string; direction: 'in' | 'out' }[],
): Promise<string[]> {
  if (latest.length === 0) return [];
  const rows = await db
    .updateTable('chats')
    .from(sql`unnest(${latest.map((l) => l.chatId)}::bigint[], ${latest.map((l) => l.sentAt)}::timestamptz[], ${latest.map((l) => l.body)}::text[]) as u(chat_id, sent_at, body)` as any)
    .set({ last_message_at: sql`u.sent_at`, preview: sql`u.body`, updated_at: sql`now()` })
    .whereRef('chats.id' as any, '=', sql`u.chat_id` as any)
    .where(sql<boolean>`(chats.last_message_at is null or chats.last_message_at <= u.sent_at)
      and (chats.last_message_at, chats.preview) is distinct from (u.sent_at, u.body)`)
    .returning('chats.id')
    .execute();
  return rows.map((r) => String(r.id));
}

/** The labels of each chat, by chat id (chats without labels are absent). */
export async function labelsOf(db: SliceDb, chatIds: string[]): Promise<Map<string, LabelOut[]>> {
  const out = new Map<string, LabelOut[]>();
  if (chatIds.length === 0) return out;
  const rows = await db
    .selectFrom('chat_labels as cl')
    .innerJoin('labels as l', 'l.id', 'cl.label_id')
    .select(['cl.chat_id', 'l.id', 'l.name', 'l.color'])
    .where('cl.chat_id', 'in', chatIds)
    .orderBy('l.name')
    .execute();
  for (const r of rows) {
    const key = String(r.chat_id);
    const list = out.get(key) ?? [];
    list.push({ id: r.id, name: r.name, color: r.color });
    out.set(key, list);
  }
  return out;
}

const CHAT_COLUMNS = ['c.id', 'c.wa_id', 'c.name', 'k.saved_name', 'c.phone', 'c.is_group', 'c.preview', 'c.last_message_at', 'c.unread_count', 'c.stage_id', 'c.contact_id', 'c.deal_value', 'c.pinned', 'c.muted', 'c.archived', 'c.assignee_member_id', 'tm.name as assignee_name'] as const;

/** Chats with their contact's saved name (what the CRM shows instead of WhatsApp's) and their assignee's name. */
function chatsWithNames(db: SliceDb) {
  return db.selectFrom('chats as c').leftJoin('contacts as k', 'k.id', 'c.contact_id').leftJoin('team_members as tm', 'tm.id', 'c.assignee_member_id');
}

export async function getChatsByIds(db: SliceDb, ids: string[]): Promise<ChatOut[]> {
  if (ids.length === 0) return [];
  const rows = await chatsWithNames(db).select(CHAT_COLUMNS).where('c.id', 'in', ids).orderBy('c.id').execute();
  const labels = await labelsOf(db, rows.map((r) => String(r.id)));
  return rows.map((r) => toChatOut(r, labels.get(String(r.id)) ?? []));
}

export async function getChat(db: SliceDb, id: string | number): Promise<ChatOut | undefined> {
  return (await getChatsByIds(db, [String(id)]))[0];
}

export async function getChatRow(db: SliceDb, id: string | number) {
  return db.selectFrom('chats').selectAll().where('id', '=', String(id)).executeTakeFirst();
}

interface ChatListQuery {
  cursor?: string | undefined;
  limit: number;
  q?: string | undefined;
  label?: number | undefined;
  stage?: number | undefined;
  unread?: boolean | undefined;
  /** true: the Archived list; otherwise the main list, which leaves archived chats out (as WhatsApp). */
  archived?: boolean | undefined;
  /** 'me' (the scope's member; the system has none, so nothing), 'none' (unassigned) or a member id. */
  assignee?: string | undefined;
}

export class BadCursor extends Error {}

/** The inbox as WhatsApp orders it: pinned chats first, then newest activity; keyset on
 * (pinned, coalesce(last_message_at, -infinity), id) desc, within the main or the Archived list. */
export async function listChats(
  db: SliceDb,
  q: ChatListQuery,
  scope: ChatScope = null,
  me: string | null = null,
): Promise<{ items: ChatOut[]; nextCursor: string | null }> {
  const activity = sql<string>`coalesce(c.last_message_at, '-infinity'::timestamptz)`;
  let query = chatsWithNames(db)
    .select(CHAT_COLUMNS)
    .select(sql<string>`${activity}::text`.as('activity_key'))
    .where('c.archived', '=', q.archived === true)
    .where(visibleChat(scope));
  if (q.assignee === 'none') query = query.where('c.assignee_member_id', 'is', null);
  else if (q.assignee !== undefined) query = query.where('c.assignee_member_id', '=', q.assignee === 'me' ? (me ?? '') : q.assignee);
  if (q.cursor !== undefined) {
    const parts = decodeCursor(q.cursor, 3);
    if (!parts || typeof parts[0] !== 'number' || typeof parts[1] !== 'string' || typeof parts[2] !== 'string' || !/^\d+$/.test(parts[2])) throw new BadCursor('cursor');
    query = query.where(sql<boolean>`(c.pinned, ${activity}, c.id) < (${parts[0] === 1}::boolean, ${parts[1]}::timestamptz, ${parts[2]}::bigint)`);
  }
  if (q.q) {
    const like = `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    query = query.where((eb) =>
      eb.or([eb('k.saved_name', 'ilike', like), eb('c.name', 'ilike', like), eb('c.phone', 'ilike', like), eb('c.preview', 'ilike', like)]),
    );
  }
  if (q.label !== undefined) {
    const label = q.label;
    query = query.where((eb) =>
      eb.exists(eb.selectFrom('chat_labels as cl').select('cl.chat_id').whereRef('cl.chat_id', '=', 'c.id').where('cl.label_id', '=', label)),
    );
  }
  if (q.stage !== undefined) query = query.where('c.stage_id', '=', q.stage);
  if (q.unread === true) query = query.where('c.unread_count', '>', 0);
  if (q.unread === false) query = query.where('c.unread_count', '=', 0);
  const rows = await query
    .orderBy('c.pinned', 'desc')
    .orderBy(sql`${activity} desc`)
    .orderBy('c.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const labels = await labelsOf(db, page.map((r) => String(r.id)));
  const last = page.at(-1);
  return {
    items: page.map((r) => toChatOut(r, labels.get(String(r.id)) ?? [])),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.pinned ? 1 : 0, last.activity_key, String(last.id)]) : null,
  };
}

export async function setChatStage(db: SliceDb, chatId: string | number, stageId: number | null): Promise<boolean> {
  const r = await db
    .updateTable('chats')
    .set({ stage_id: stageId, updated_at: sql`now()` as any })
    .where('id', '=', String(chatId))
    .where(sql<boolean>`stage_id is distinct from ${stageId}::integer`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** How many chats have unread messages, as the tab title counts them (archived chats do not count). */
export async function countUnreadChats(db: SliceDb, scope: ChatScope = null): Promise<number> {
  const r = await db
    .selectFrom('chats as c')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('c.unread_count', '>', 0)
    .where('c.archived', '=', false)
    .where(visibleChat(scope))
    .executeTakeFirstOrThrow();
  return r.n;
}

/** The inbox filters' counts over the main list (archived chats aside), within what the scope sees. */
export async function countChatsByAssignee(db: SliceDb, scope: ChatScope, me: string | null): Promise<{ mine: number; unassigned: number; all: number }> {
  const r = await db
    .selectFrom('chats as c')
    .select([
      sql<number>`count(*) filter (where c.assignee_member_id = ${me ?? ''})::int`.as('mine'),
      sql<number>`count(*) filter (where c.assignee_member_id is null)::int`.as('unassigned'),
      sql<number>`count(*)::int`.as('all'),
    ])
    .where('c.archived', '=', false)
    .where(visibleChat(scope))
    .executeTakeFirstOrThrow();
  return { mine: r.mine, unassigned: r.unassigned, all: r.all };
}

export async function setChatDealValue(db: SliceDb, chatId: string | number, value: number | null): Promise<boolean> {
  const r = await db
    .updateTable('chats')
    .set({ deal_value: value, updated_at: sql`now()` as any })
    .where('id', '=', String(chatId))
    .where(sql<boolean>`deal_value is distinct from ${value}::numeric`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Stores what the page confirmed about a chat's row; true when something changed. */
export async function setChatFlags(db: SliceDb, chatId: string | number, flags: { pinned: boolean; muted: boolean; archived: boolean }): Promise<boolean> {
  const r = await db
    .updateTable('chats')
    .set({ ...flags, updated_at: sql`now()` as any })
    .where('id', '=', String(chatId))
    .where(sql<boolean>`(pinned, muted, archived) is distinct from (${flags.pinned}, ${flags.muted}, ${flags.archived})`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The one-to-one chat of a phone number (digits only, country code first), if the store has it. */
export async function findChatByPhone(db: SliceDb, digits: string) {
  return db
    .selectFrom('chats')
    .select(['id'])
    .where('is_group', '=', false)
    .where((eb) => eb.or([eb('wa_id', '=', `${digits}@c.us`), eb(sql`regexp_replace(phone, '[^0-9]', '', 'g')`, '=', digits)]))
    .orderBy('id')
    .executeTakeFirst();
}

export async function markChatRead(db: SliceDb, chatId: string | number): Promise<boolean> {
  const r = await db
    .updateTable('chats')
    .set({ unread_count: 0, updated_at: sql`now()` as any })
    .where('id', '=', String(chatId))
    .where('unread_count', '>', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function addChatLabel(db: SliceDb, chatId: string | number, labelId: number): Promise<boolean> {
  const r = await db
    .insertInto('chat_labels')
    .values({ chat_id: String(chatId), label_id: labelId })
    .onConflict((oc) => oc.columns(['chat_id', 'label_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function removeChatLabel(db: SliceDb, chatId: string | number, labelId: number): Promise<boolean> {
  const r = await db.deleteFrom('chat_labels').where('chat_id', '=', String(chatId)).where('label_id', '=', labelId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function chatIdsWithLabel(db: SliceDb, labelId: number): Promise<string[]> {
  const rows = await db.selectFrom('chat_labels').select('chat_id').where('label_id', '=', labelId).execute();
  return rows.map((r) => String(r.chat_id));
}
