import type { ColumnType, Generated, Selectable } from 'kysely';

export interface AuditLogTable {
  id: Generated<string>;
  at: ColumnType<Date, never, never>;
  /** 'user:<id>', 'stripe', 'monitor', 'operator' … */
  actor: string;
  user_id: string | null;
  /** the account acted on; no foreign key: the trail outlives a deleted account */
  account_id: string | null;
  action: string;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
}
export type AuditLogRow = Selectable<AuditLogTable>;
