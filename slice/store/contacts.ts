// Contacts: what WhatsApp shows of a person, plus the CRM fields a person types in. The page keeps
// WhatsApp's display name current (name); a name a person saves (saved_name) is shown instead of
// it everywhere and no sync touches it.
import { sql } from 'kysely';
import type { ExtractedContact } from '../wa/types.ts';
import type { SliceDb } from './events.ts';
import { decodeCursor, encodeCursor, type ContactOut, type LabelOut } from './shapes.ts';
import { BadCursor, labelsOf } from './chats.ts';

export async function upsertContacts(db: SliceDb, input: ExtractedContact[]): Promise<{ ids: Map<string, string>; changed: string[] }> {
  const byWa = new Map<string, ExtractedContact>();
  for (const c of input) byWa.set(c.waId, c);
  const contacts = [...byWa.values()];
  const ids = new Map<string, string>();
  if (contacts.length === 0) return { ids, changed: [] };
  const changed = await db
    .insertInto('contacts')
    .columns(['wa_id', 'name', 'phone'])
    .expression(
      sql`select * from unnest(${contacts.map((c) => c.waId)}::text[], ${contacts.map((c) => c.name)}::text[], ${contacts.map((c) => c.phone)}::text[])` as any,
    )
    .onConflict((oc) =>
      oc
        .column('wa_id')
        .doUpdateSet({
          name: sql`coalesce(excluded.name, contacts.name)`,
          phone: sql`coalesce(excluded.phone, contacts.phone)`,
          updated_at: sql`now()`,
        })
        .where(sql<boolean>`(excluded.name is not null and contacts.name is distinct from excluded.name)
          or (excluded.phone is not null and contacts.phone is distinct from excluded.phone)`),
    )
    .returning(['id', 'wa_id'])
    .execute();
  for (const r of changed) ids.set(r.wa_id, String(r.id));
  const missing = contacts.map((c) => c.waId).filter((w) => !ids.has(w));
  if (missing.length > 0) {
    const rows = await db.selectFrom('contacts').select(['id', 'wa_id']).where('wa_id', 'in', missing).execute();
    for (const r of rows) ids.set(r.wa_id, String(r.id));
  }
  return { ids, changed: changed.map((r) => String(r.id)) };
}

function contactQuery(db: SliceDb) {
  return db
    .selectFrom('contacts as k')
    .select(['k.id', 'k.wa_id', 'k.name', 'k.saved_name', 'k.phone', 'k.email', 'k.company', 'k.custom_fields'])
    .select((eb) => [
      eb.selectFrom('chats as c').select('c.stage_id').whereRef('c.contact_id', '=', 'k.id').orderBy('c.id').limit(1).as('stage_id'),
      eb.selectFrom('chats as c').select('c.id').whereRef('c.contact_id', '=', 'k.id').orderBy('c.id').limit(1).as('chat_id'),
    ]);
}

type ContactRow = Awaited<ReturnType<ReturnType<typeof contactQuery>['executeTakeFirstOrThrow']>>;

function toContactOut(r: ContactRow, labels: Map<string, LabelOut[]>): ContactOut {
  return {
    id: Number(r.id),
    waId: r.wa_id,
    name: r.saved_name ?? r.name,
    waName: r.name,
    phone: r.phone,
    email: r.email,
    company: r.company,
    customFields: (r.custom_fields ?? {}) as Record<string, string>,
    stageId: r.stage_id ?? null,
    chatId: r.chat_id == null ? null : Number(r.chat_id),
    labels: r.chat_id == null ? [] : (labels.get(String(r.chat_id)) ?? []),
  };
}

/** The rows as contacts, each with its chat's labels (one query for the page). */
async function withLabels(db: SliceDb, rows: ContactRow[]): Promise<ContactOut[]> {
  const labels = await labelsOf(db, rows.flatMap((r) => (r.chat_id == null ? [] : [String(r.chat_id)])));
  return rows.map((r) => toContactOut(r, labels));
}

export async function getContactsByIds(db: SliceDb, ids: string[]): Promise<ContactOut[]> {
  if (ids.length === 0) return [];
  const rows = await contactQuery(db).where('k.id', 'in', ids).orderBy('k.id').execute();
  return withLabels(db, rows);
}

export async function getContact(db: SliceDb, id: string | number): Promise<ContactOut | undefined> {
  return (await getContactsByIds(db, [String(id)]))[0];
}

/** Alphabetical by shown name (nameless last), id as tie-breaker; `q` matches either name, phone, email, company. */
export async function listContacts(
  db: SliceDb,
  q: { cursor?: string | undefined; limit: number; q?: string | undefined },
): Promise<{ items: ContactOut[]; nextCursor: string | null }> {
  const key = sql<string>`coalesce(lower(coalesce(k.saved_name, k.name)), '\uffff')`;
  let query = contactQuery(db).select(key.as('sort_key'));
  if (q.cursor !== undefined) {
    const parts = decodeCursor(q.cursor, 2);
    if (!parts || typeof parts[0] !== 'string' || typeof parts[1] !== 'string' || !/^\d+$/.test(parts[1])) throw new BadCursor('cursor');
    query = query.where(sql<boolean>`(${key}, k.id) > (${parts[0]}::text, ${parts[1]}::bigint)`);
  }
  if (q.q) {
    const like = `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    query = query.where((eb) =>
      eb.or([eb('k.saved_name', 'ilike', like), eb('k.name', 'ilike', like), eb('k.phone', 'ilike', like), eb('k.email', 'ilike', like), eb('k.company', 'ilike', like)]),
    );
  }
  const rows = await query.orderBy(key).orderBy('k.id').limit(q.limit + 1).execute();
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: await withLabels(db, page),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.sort_key, String(last.id)]) : null,
  };
}

export interface ContactPatch {
  /** The saved name; null forgets it (WhatsApp's name shows again). */
  name?: string | null;
  email?: string | null;
  company?: string | null;
  customFields?: Record<string, string>;
}

export async function updateContact(db: SliceDb, id: string | number, patch: ContactPatch): Promise<boolean> {
  const set: Record<string, unknown> = {};
  if (patch.name !== undefined) set.saved_name = patch.name;
  if (patch.email !== undefined) set.email = patch.email;
  if (patch.company !== undefined) set.company = patch.company;
  if (patch.customFields !== undefined) set.custom_fields = JSON.stringify(patch.customFields);
  if (Object.keys(set).length === 0) return false;
  const r = await db
    .updateTable('contacts')
    .set({ ...set, updated_at: sql`now()` } as any)
    .where('id', '=', String(id))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function setContactStage(db: SliceDb, id: string | number, stageId: number | null): Promise<string[]> {
  const rows = await db
    .updateTable('chats')
    .set({ stage_id: stageId, updated_at: sql`now()` as any })
    .where('contact_id', '=', String(id))
    .where(sql<boolean>`stage_id is distinct from ${stageId}::integer`)
    .returning('id')
    .execute();
  return rows.map((r) => String(r.id));
}

/** The contact's chats (they show its saved name, so a rename changes them too). */
export async function chatIdsOfContact(db: SliceDb, id: string | number): Promise<string[]> {
  const rows = await db.selectFrom('chats').select('id').where('contact_id', '=', String(id)).execute();
  return rows.map((r) => String(r.id));
}

export async function contactHasChat(db: SliceDb, id: string | number): Promise<boolean> {
  const r = await db.selectFrom('chats').select('id').where('contact_id', '=', String(id)).limit(1).executeTakeFirst();
  return r !== undefined;
}
