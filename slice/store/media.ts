// The media rows of messages and the blobs they point at (media_blobs: one row per file on disk,
// the quota is their sum). The files themselves are slice/media/'s.
import { sql } from 'kysely';
import type { MediaRowState } from '../../sql/slice/media.table.ts';
import type { SliceDb } from './events.ts';

export interface MediaRecord {
  id: string;
  message_id: string;
  message_wa_id: string;
  kind: string;
  mime_type: string | null;
  size: string | null;
  file_name: string | null;
  sha256: string | null;
  thumb_sha256: string | null;
  state: MediaRowState;
}

function mediaQuery(db: SliceDb) {
  return db
    .selectFrom('media as md')
    .innerJoin('messages as m', 'm.id', 'md.message_id')
    .select(['md.id', 'md.message_id', 'm.wa_id as message_wa_id', 'md.kind', 'md.mime_type', 'md.size', 'md.file_name', 'md.sha256', 'md.thumb_sha256', 'md.state']);
}

export async function mediaByMessageWaId(db: SliceDb, waId: string): Promise<MediaRecord | null> {
  return ((await mediaQuery(db).where('m.wa_id', '=', waId).executeTakeFirst()) as MediaRecord | undefined) ?? null;
}

export async function mediaById(db: SliceDb, id: string | number): Promise<MediaRecord | null> {
  return ((await mediaQuery(db).where('md.id', '=', String(id)).executeTakeFirst()) as MediaRecord | undefined) ?? null;
}

/** Files still to fetch: media rows pending (nothing stored, or only the thumbnail) of messages
 * that carry a file (not locations or contact cards), newest message first. */
export async function pendingMedia(db: SliceDb, limit: number): Promise<{ waId: string; chatWaId: string }[]> {
  const rows = await db
    .selectFrom('media as md')
    .innerJoin('messages as m', 'm.id', 'md.message_id')
    .innerJoin('chats as c', 'c.id', 'm.chat_id')
    .select(['m.wa_id', 'c.wa_id as chat_wa_id'])
    .where('md.state', '=', 'pending')
    .where('md.kind', 'not in', ['location', 'contact'])
    .where('m.recalled', '=', false)
    .orderBy('m.sent_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ waId: r.wa_id, chatWaId: r.chat_wa_id }));
}

/** A message that has a media kind but was reported without its media facts gets its row now. */
export async function ensureMediaRowFor(db: SliceDb, waId: string): Promise<MediaRecord | null> {
  const msg = await db.selectFrom('messages').select(['id', 'media_kind']).where('wa_id', '=', waId).executeTakeFirst();
  if (!msg?.media_kind) return null;
  await db.insertInto('media').values({ message_id: msg.id, kind: msg.media_kind }).onConflict((oc) => oc.column('message_id').doNothing()).execute();
  return mediaByMessageWaId(db, waId);
}

export interface MediaPatch {
  sha256?: string;
  thumb_sha256?: string;
  size?: number;
  mime_type?: string | null;
  file_name?: string | null;
  width?: number | null;
  height?: number | null;
  state?: MediaRowState;
  error_code?: string | null;
  error_message?: string | null;
}

/** Applies the patch when it changes the row; answers whether it did. */
export async function updateMedia(db: SliceDb, id: string, patch: MediaPatch): Promise<boolean> {
  const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return false;
  const cols = entries.map(([k]) => sql.ref(`media.${k}`));
  const vals = entries.map(([, v]) => sql`${v}`);
  const r = await db
    .updateTable('media')
    .set({ ...Object.fromEntries(entries), updated_at: sql`now()` } as any)
    .where('id', '=', id)
    .where(sql<boolean>`(${sql.join(cols)}) is distinct from (${sql.join(vals)})`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function insertMediaRow(
  db: SliceDb,
  row: { message_id: string; kind: string; mime_type: string; size: number; file_name: string; sha256: string; state: MediaRowState },
): Promise<void> {
  await db.insertInto('media').values(row).execute();
}

export async function blobExists(db: SliceDb, sha256: string): Promise<boolean> {
  return !!(await db.selectFrom('media_blobs').select('sha256').where('sha256', '=', sha256).executeTakeFirst());
}

/** Bytes the store holds, for the quota. */
export async function usedBytes(db: SliceDb): Promise<number> {
  const r = await db.selectFrom('media_blobs').select(sql<string>`coalesce(sum(size), 0)::text`.as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function insertBlob(db: SliceDb, sha256: string, size: number): Promise<void> {
  await db.insertInto('media_blobs').values({ sha256, size }).onConflict((oc) => oc.column('sha256').doNothing()).execute();
}
