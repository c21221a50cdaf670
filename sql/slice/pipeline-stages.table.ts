import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface PipelineStagesTable {
  id: Generated<number>;
  name: string;
  position: number;
  color: ColumnType<string, string | undefined, string>;
  /** A closing stage: 'won' or 'lost'; null for the stages a deal passes through. */
  outcome: 'won' | 'lost' | null;
  created_at: ColumnType<Date, never, never>;
}
export type PipelineStage = Selectable<PipelineStagesTable>;
export type NewPipelineStage = Insertable<PipelineStagesTable>;
export type PipelineStageUpdate = Updateable<PipelineStagesTable>;
