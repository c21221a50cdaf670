import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface UsersTable {
  id: Generated<string>;
  email: string;
  password_hash: string;
  role: ColumnType<'user' | 'admin', 'user' | 'admin' | undefined>;
  /** The person's name, as given at sign-up. */
  name: string | null;
  /** Their business's name, as given at sign-up. */
  business_name: string | null;
  /** Sessions created before this instant are rejected: revocation per user. */
  sessions_valid_after: ColumnType<Date, Date | string | undefined>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
