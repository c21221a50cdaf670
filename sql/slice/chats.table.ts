import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface ChatsTable {
  id: Generated<string>;
  wa_id: string;
  contact_id: string | null;
  name: string;
  phone: string | null;
  is_group: ColumnType<boolean, boolean | undefined, boolean>;
  preview: string | null;
  last_message_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  unread_count: ColumnType<number, number | undefined, number>;
  stage_id: number | null;
  /** The deal's value (numeric(14,2): pg answers a string); null when none was set. */
  deal_value: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  /** As WhatsApp shows the chat: kept at the top of the list, notifications off, out of the main list. */
  pinned: ColumnType<boolean, boolean | undefined, boolean>;
  muted: ColumnType<boolean, boolean | undefined, boolean>;
  archived: ColumnType<boolean, boolean | undefined, boolean>;
  /** team_members.id of who works the chat; null: unassigned */
  assignee_member_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type Chat = Selectable<ChatsTable>;
export type NewChat = Insertable<ChatsTable>;
export type ChatUpdate = Updateable<ChatsTable>;
