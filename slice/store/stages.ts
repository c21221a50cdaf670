// Pipeline stages: ordered by position; reordering rewrites every position in one statement.
import { sql } from 'kysely';
import type { SliceDb } from './events.ts';
import type { StageOut } from './shapes.ts';

const COLUMNS = ['id', 'name', 'position', 'color'] as const;

export async function listStages(db: SliceDb): Promise<StageOut[]> {
  return db.selectFrom('pipeline_stages').select(COLUMNS).orderBy('position').orderBy('id').execute();
}

export async function getStage(db: SliceDb, id: number): Promise<StageOut | undefined> {
  return db.selectFrom('pipeline_stages').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function createStage(db: SliceDb, input: { name: string; color?: string | undefined }): Promise<StageOut> {
  const max = await db.selectFrom('pipeline_stages').select((eb) => eb.fn.max('position').as('p')).executeTakeFirst();
  return db
    .insertInto('pipeline_stages')
    .values({
      name: input.name,
      position: (max?.p ?? -1) + 1,
      ...(input.color ? { color: input.color } : {}),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function updateStage(db: SliceDb, id: number, patch: { name?: string | undefined; color?: string | undefined }): Promise<StageOut | undefined> {
  const set: { name?: string; color?: string } = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.color !== undefined) set.color = patch.color;
  if (Object.keys(set).length === 0) return getStage(db, id);
  return db.updateTable('pipeline_stages').set(set).where('id', '=', id).returning(COLUMNS).executeTakeFirst();
}

export async function deleteStage(db: SliceDb, id: number): Promise<boolean> {
  const r = await db.deleteFrom('pipeline_stages').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Positions follow the order of `ids`, which must name every stage exactly once (checked by the caller). */
export async function reorderStages(db: SliceDb, ids: number[]): Promise<void> {
  await db
    .updateTable('pipeline_stages')
    .from(sql`unnest(${ids}::integer[]) with ordinality as o(id, n)` as any)
    .set({ position: sql`(o.n - 1)::integer` as any })
    .whereRef('pipeline_stages.id' as any, '=', sql`o.id` as any)
    .execute();
}
