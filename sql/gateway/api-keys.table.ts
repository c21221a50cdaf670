import type { ColumnType, Generated, Selectable } from 'kysely';
import type { ApiScope } from '../../lib/api-scopes.ts';

export interface ApiKeysTable {
  id: Generated<string>;
  account_id: string;
  name: string;
  scopes: ApiScope[];
  /** the key's first 11 characters (`qk_` + 8), for display */
  prefix: string;
  /** hex SHA-256 of the whole key; the key itself is never stored */
  key_hash: string;
  created_by_member_id: string;
  created_at: ColumnType<Date, never, never>;
  revoked_at: ColumnType<Date | null, never, Date | null>;
  last_used_at: ColumnType<Date | null, never, Date | null>;
  last_used_address: ColumnType<string | null, never, string | null>;
}
export type ApiKeyRow = Selectable<ApiKeysTable>;
