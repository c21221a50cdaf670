import type { ColumnType, Selectable } from 'kysely';

export interface TeamMembersTable {
  /** gateway.members.id, as digits */
  id: string;
  name: string;
  role: 'owner' | 'admin' | 'agent';
  available: ColumnType<boolean, boolean | undefined, boolean>;
  /** false once the gateway's list no longer names them (removed or left) */
  active: ColumnType<boolean, boolean | undefined, boolean>;
  /** when round-robin last gave them a chat; null: never (first in line) */
  last_assigned_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
export type TeamMember = Selectable<TeamMembersTable>;

export interface TeamSettingsTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  round_robin: ColumnType<boolean, boolean | undefined, boolean>;
  agents_see_own_chats_only: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
