import type { ColumnType, Generated, Selectable } from 'kysely';
import type { MemberRole } from '../../lib/acting-member.ts';

export interface MembersTable {
  id: Generated<string>;
  account_id: string;
  user_id: string;
  role: MemberRole;
  /** takes part in round-robin assignment */
  available: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type Member = Selectable<MembersTable>;
