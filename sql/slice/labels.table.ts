import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface LabelsTable {
  id: Generated<number>;
  name: string;
  color: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<Date, never, never>;
}
export type Label = Selectable<LabelsTable>;
export type NewLabel = Insertable<LabelsTable>;
export type LabelUpdate = Updateable<LabelsTable>;

export interface ChatLabelsTable {
  chat_id: string;
  label_id: number;
  created_at: ColumnType<Date, never, never>;
}
