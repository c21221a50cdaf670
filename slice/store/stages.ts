// Pipeline stages: ordered by position; reordering rewrites every position in one statement.
import { sql } from 'kysely';
import type { SliceDb } from './events.ts';
import type { StageOut } from './shapes.ts';

/** A stage with its column's totals: how many chats it holds and the sum of their deals (one pass over chats). */
function stageQuery(db: SliceDb) {
  return db
    .selectFrom('pipeline_stages as s')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('chats as c')
          .select(['c.stage_id', sql<number>`count(*)::int`.as('chat_count'), sql<string>`sum(c.deal_value)`.as('deal_total')])
          .where('c.stage_id', 'is not', null)
          .groupBy('c.stage_id')
          .as('t'),
      (join) => join.onRef('t.stage_id', '=', 's.id'),
    )
    .select(['s.id', 's.name', 's.position', 's.color', 's.outcome', 't.chat_count', 't.deal_total']);
}

function toStageOut(r: { id: number; name: string; position: number; color: string; outcome: 'won' | 'lost' | null; chat_count: number | null; deal_total: string | null }): StageOut {
  return { id: r.id, name: r.name, position: r.position, color: r.color, outcome: r.outcome, chatCount: r.chat_count ?? 0, dealTotal: Number(r.deal_total ?? 0) };
}

export async function listStages(db: SliceDb): Promise<StageOut[]> {
  return (await stageQuery(db).orderBy('s.position').orderBy('s.id').execute()).map(toStageOut);
}

export async function getStage(db: SliceDb, id: number): Promise<StageOut | undefined> {
  const r = await stageQuery(db).where('s.id', '=', id).executeTakeFirst();
  return r ? toStageOut(r) : undefined;
}

/**
 * A new stage goes last among the stages a deal passes through: before the first closing stage
 * (won or lost), which move one place down; at the end when there is none.
 */
export async function createStage(db: SliceDb, input: { name: string; color?: string | undefined }): Promise<StageOut> {
  const closing = await db.selectFrom('pipeline_stages').select((eb) => eb.fn.min('position').as('p')).where('outcome', 'is not', null).executeTakeFirst();
  let position: number;
  if (closing?.p != null) {
    position = closing.p;
    await db.updateTable('pipeline_stages').set({ position: sql`position + 1` as any }).where('position', '>=', position).execute();
  } else {
    const max = await db.selectFrom('pipeline_stages').select((eb) => eb.fn.max('position').as('p')).executeTakeFirst();
    position = (max?.p ?? -1) + 1;
  }
  const row = await db
    .insertInto('pipeline_stages')
    .values({ name: input.name, position, ...(input.color ? { color: input.color } : {}) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return (await getStage(db, row.id))!;
}

export async function updateStage(
  db: SliceDb,
  id: number,
  patch: { name?: string | undefined; color?: string | undefined; outcome?: 'won' | 'lost' | null | undefined },
): Promise<StageOut | undefined> {
  const set: { name?: string; color?: string; outcome?: 'won' | 'lost' | null } = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.color !== undefined) set.color = patch.color;
  if (patch.outcome !== undefined) set.outcome = patch.outcome;
  if (Object.keys(set).length > 0) await db.updateTable('pipeline_stages').set(set).where('id', '=', id).execute();
  return getStage(db, id);
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
