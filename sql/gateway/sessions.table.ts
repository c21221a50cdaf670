import type { ColumnType, Insertable, Selectable } from 'kysely';

export interface SessionsTable {
  sid: string;
  user_id: string | null;
  data: ColumnType<Record<string, unknown>, string, string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: ColumnType<Date, never, never>;
}
export type SessionRow = Selectable<SessionsTable>;
export type NewSessionRow = Insertable<SessionsTable>;
