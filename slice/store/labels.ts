// Labels and their assignment to chats.
import type { SliceDb } from './events.ts';
import type { LabelOut } from './shapes.ts';

export async function listLabels(db: SliceDb): Promise<LabelOut[]> {
  return db.selectFrom('labels').select(['id', 'name', 'color']).orderBy('name').orderBy('id').execute();
}

export async function getLabel(db: SliceDb, id: number): Promise<LabelOut | undefined> {
  return db.selectFrom('labels').select(['id', 'name', 'color']).where('id', '=', id).executeTakeFirst();
}

export async function createLabel(db: SliceDb, input: { name: string; color?: string | undefined }): Promise<LabelOut> {
  return db
    .insertInto('labels')
    .values({ name: input.name, ...(input.color ? { color: input.color } : {}) })
    .returning(['id', 'name', 'color'])
    .executeTakeFirstOrThrow();
}

export async function updateLabel(db: SliceDb, id: number, patch: { name?: string | undefined; color?: string | undefined }): Promise<LabelOut | undefined> {
  const set: { name?: string; color?: string } = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.color !== undefined) set.color = patch.color;
  if (Object.keys(set).length === 0) return getLabel(db, id);
  return db.updateTable('labels').set(set).where('id', '=', id).returning(['id', 'name', 'color']).executeTakeFirst();
}

export async function deleteLabel(db: SliceDb, id: number): Promise<boolean> {
  const r = await db.deleteFrom('labels').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
