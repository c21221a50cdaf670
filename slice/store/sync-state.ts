// Resume points of history backfill, one row per scope ('chatlist', 'chat:<wa_id>').
import { sql } from 'kysely';
import type { SliceDb } from './events.ts';

export async function loadSyncCursor(db: SliceDb, scope: string): Promise<Record<string, unknown> | null> {
  const r = await db.selectFrom('sync_state').select('cursor').where('scope', '=', scope).executeTakeFirst();
  return r ? (r.cursor as Record<string, unknown>) : null;
}

export async function saveSyncCursor(db: SliceDb, scope: string, cursor: Record<string, unknown>, complete: boolean): Promise<void> {
  await db
    .insertInto('sync_state')
    .values({ scope, cursor: JSON.stringify(cursor), complete })
    .onConflict((oc) => oc.column('scope').doUpdateSet({ cursor: sql`excluded.cursor`, complete: sql`excluded.complete`, updated_at: sql`now()` as any }))
    .execute();
}
