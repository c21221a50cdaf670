import type { ColumnType, Generated, Selectable } from 'kysely';

export type UserTokenPurpose = 'password_reset' | 'email_verify';

/** Single-use links mailed to a user (password reset, email verification). */
export interface UserTokensTable {
  id: Generated<string>;
  purpose: UserTokenPurpose;
  user_id: string;
  /** sha256 of the mailed token, hex */
  token_hash: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, never, never>;
}
export type UserToken = Selectable<UserTokensTable>;
