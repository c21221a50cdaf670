import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type Direction = 'in' | 'out';
export type MessageKind = 'text' | 'media' | 'system';

export interface MessagesTable {
  id: Generated<string>;
  /** WhatsApp's message id, as the page's data-id gives it: unique, the idempotency key. */
  wa_id: string;
  chat_id: string;
  direction: Direction;
  author: string | null;
  body: ColumnType<string, string | undefined, string>;
  sent_at: ColumnType<Date, Date | string, Date | string>;
  /** -1 failed, 0 pending, 1 sent, 2 delivered, 3 read, 4 played. */
  ack: ColumnType<number, number | undefined, number>;
  media_kind: string | null;
  quoted_wa_id: string | null;
  quoted_body: string | null;
  recalled: ColumnType<boolean, boolean | undefined, boolean>;
  kind: ColumnType<MessageKind, MessageKind | undefined, MessageKind>;
  /** The chips under the bubble as the page shows them: [{emoji, count, mine}]. */
  reactions: ColumnType<unknown, string | undefined, string>;
  link_preview: ColumnType<unknown | null, string | null | undefined, string | null>;
  edited_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The member who sent it from the CRM, and their name then; null: incoming, from the phone, or the system. */
  sent_by_member_id: ColumnType<string | null, string | null | undefined, string | null>;
  sent_by_name: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type Message = Selectable<MessagesTable>;
export type NewMessage = Insertable<MessagesTable>;
export type MessageUpdate = Updateable<MessagesTable>;
