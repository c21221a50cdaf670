import type { ColumnType, Generated } from 'kysely';

/** An edited message's earlier texts, oldest first by id. */
export interface MessageEditsTable {
  id: Generated<string>;
  message_id: string;
  body: string;
  replaced_at: ColumnType<Date, Date | string | undefined, never>;
}
