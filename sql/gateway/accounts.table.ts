import type { ColumnType, Generated, Selectable } from 'kysely';

/** The tenant: it owns the slice, the subscription and the data; people reach it as members. */
export interface AccountsTable {
  id: Generated<string>;
  name: string;
  /** new chats go to the available members in turn */
  round_robin: ColumnType<boolean, boolean | undefined, boolean>;
  /** agents see only the chats assigned to them and the unassigned ones (enforced by the slice) */
  agents_see_own_chats_only: ColumnType<boolean, boolean | undefined, boolean>;
  /** set when the owner asked for deletion: nobody works in it any more */
  deleting_since: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type Account = Selectable<AccountsTable>;
