import type { ColumnType, Generated, Selectable } from 'kysely';

export interface EventsTable {
  /** The SSE id. */
  id: Generated<string>;
  type: string;
  payload: ColumnType<Record<string, unknown>, string, never>;
  created_at: ColumnType<Date, never, never>;
}
export type EventRow = Selectable<EventsTable>;
