import type { ColumnType, Generated, Selectable } from 'kysely';

/** Two-factor recovery codes: each works once, only their hashes are kept. */
export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: string;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, never, never>;
}
export type RecoveryCode = Selectable<RecoveryCodesTable>;
