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
  email_verified_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** base32 TOTP secret; set at setup, in force once totp_enabled_at is set */
  totp_secret: string | null;
  totp_enabled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** the account a new login opens (the one last worked in) */
  last_account_id: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
