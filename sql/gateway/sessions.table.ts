import type { ColumnType, Insertable, Selectable } from 'kysely';

export interface SessionsTable {
  sid: string;
  user_id: string | null;
  data: ColumnType<Record<string, unknown>, string, string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  user_agent: ColumnType<string | null, string | null | undefined, string | null>;
  ip: ColumnType<string | null, string | null | undefined, string | null>;
  /** when a request last used it (written at most once a minute) */
  last_seen_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, never, never>;
}
export type SessionRow = Selectable<SessionsTable>;
export type NewSessionRow = Insertable<SessionsTable>;
