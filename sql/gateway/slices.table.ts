import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

export type DesiredState = 'running' | 'stopped' | 'removed';
export type StoppedBy = 'user' | 'billing' | 'operator';

export interface SlicesTable {
  id: number;
  account_id: string;
  port: number;
  token: string;
  desired_state: ColumnType<DesiredState, DesiredState | undefined, DesiredState>;
  stopped_by: StoppedBy | null;
  observed_state: ColumnType<string, string | undefined, string>;
  health: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  health_checked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  unhealthy_since: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type SliceRow = Selectable<SlicesTable>;
export type NewSliceRow = Insertable<SlicesTable>;
export type SliceRowUpdate = Updateable<SlicesTable>;
