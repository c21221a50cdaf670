import type { ColumnType, Selectable } from 'kysely';

export interface SyncStateTable {
  /** 'chat:<wa_id>' for a chat's history backfill, 'chatlist' for the list scan. */
  scope: string;
  cursor: ColumnType<Record<string, unknown>, string | undefined, string>;
  complete: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type SyncState = Selectable<SyncStateTable>;
