import type { ColumnType, Selectable } from 'kysely';

export interface StripeEventsTable {
  id: string;
  type: string;
  event_created_at: ColumnType<Date, Date | string, never>;
  received_at: ColumnType<Date, never, never>;
}
export type StripeEventRow = Selectable<StripeEventsTable>;
