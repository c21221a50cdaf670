import type { ColumnType, Generated, Selectable } from 'kysely';
import type { MemberRole } from '../../lib/acting-member.ts';

type Time = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface InvitationsTable {
  id: Generated<string>;
  account_id: string;
  email: string;
  role: MemberRole;
  /** sha256 of the mailed token, hex; the token itself is never stored */
  token_hash: string;
  invited_by_member_id: string | null;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  accepted_at: Time;
  revoked_at: Time;
  created_at: ColumnType<Date, never, never>;
}
export type Invitation = Selectable<InvitationsTable>;
