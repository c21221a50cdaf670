import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface NotesTable {
  id: Generated<string>;
  chat_id: string;
  body: string;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type Note = Selectable<NotesTable>;
export type NewNote = Insertable<NotesTable>;
export type NoteUpdate = Updateable<NotesTable>;
