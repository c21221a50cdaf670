// Notes a person keeps on a chat.
import { sql } from 'kysely';
import type { SliceDb } from './events.ts';
import { iso, type NoteOut } from './shapes.ts';

const COLUMNS = ['id', 'chat_id', 'body', 'created_at', 'updated_at'] as const;

function toNoteOut(r: { id: string; chat_id: string; body: string; created_at: Date; updated_at: Date }): NoteOut {
  return { id: Number(r.id), chatId: Number(r.chat_id), body: r.body, createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)! };
}

export async function listNotes(db: SliceDb, chatId: string | number): Promise<NoteOut[]> {
  const rows = await db.selectFrom('notes').select(COLUMNS).where('chat_id', '=', String(chatId)).orderBy('created_at').orderBy('id').execute();
  return rows.map(toNoteOut);
}

export async function createNote(db: SliceDb, chatId: string | number, body: string): Promise<NoteOut> {
  const r = await db.insertInto('notes').values({ chat_id: String(chatId), body }).returning(COLUMNS).executeTakeFirstOrThrow();
  return toNoteOut(r);
}

export async function updateNote(db: SliceDb, id: string | number, body: string): Promise<NoteOut | undefined> {
  const r = await db
    .updateTable('notes')
    .set({ body, updated_at: sql`now()` as any })
    .where('id', '=', String(id))
    .returning(COLUMNS)
    .executeTakeFirst();
  return r ? toNoteOut(r) : undefined;
}

export async function deleteNote(db: SliceDb, id: string | number): Promise<boolean> {
  const r = await db.deleteFrom('notes').where('id', '=', String(id)).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
