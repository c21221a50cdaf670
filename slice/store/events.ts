// The slice's event log: every change a client should hear about is a row of the schema's events
// table, written in the transaction of the change; its id is the SSE id. Writers are serialised
// (see store.ts), so ids become visible in increasing order and Last-Event-ID resumes with no gap.
import { sql, type Kysely } from 'kysely';
import type { SliceDatabase } from '../../sql/slice/schema.ts';

export const EVENT_TYPES = ['wa.state', 'wa.qr', 'message.created', 'message.updated', 'chat.updated', 'contact.updated'] as const;
type EventType = (typeof EVENT_TYPES)[number];

export interface PendingEvent {
  type: EventType;
  data: unknown;
}

export interface SliceEvent {
  /** The events row id, as a decimal string (bigint). */
  id: string;
  type: EventType;
  data: unknown;
}

export type SliceDb = Kysely<SliceDatabase>;

/** In-process fan-out of committed events, in id order. */
export class EventBus {
  readonly #listeners = new Set<(e: SliceEvent) => void>();

  subscribe(listener: (e: SliceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(events: SliceEvent[]): void {
    for (const e of events) {
      for (const l of this.#listeners) {
        try {
          l(e);
        } catch {
          /* one broken subscriber must not starve the others */
        }
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}

/** Insert events in order inside the caller's transaction; returns them with their ids. */
export async function insertEvents(trx: SliceDb, events: PendingEvent[]): Promise<SliceEvent[]> {
  if (events.length === 0) return [];
  const types = events.map((e) => e.type);
  // One JSON parameter (native JSON.stringify, parsed once by the server) is far cheaper than
  // arrays of JSON strings, which the driver escapes element by element into an array literal.
  const rows = await trx
    .insertInto('events')
    .columns(['type', 'payload'])
    .expression(
      sql`select e->>'type', e->'data' from jsonb_array_elements(${JSON.stringify(events)}::jsonb) with ordinality as u(e, n) order by n` as any,
    )
    .returning('id')
    .execute();
  // Identity values follow the insertion order, which is the ORDER BY above: sorted ids pair up.
  const ids = rows.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Only the newest QR matters: older ones are deleted so the log does not fill with them.
  if (types.includes('wa.qr')) {
    const newestQr = ids[types.lastIndexOf('wa.qr')]!;
    await trx.deleteFrom('events').where('type', '=', 'wa.qr').where('id', '<', newestQr.toString()).execute();
  }
  return events.map((e, i) => ({ id: ids[i]!.toString(), type: e.type, data: e.data }));
}

/** Committed events after `afterId`, oldest first. */
export async function listEventsAfter(db: SliceDb, afterId: string, limit: number): Promise<SliceEvent[]> {
  const rows = await db
    .selectFrom('events')
    .select(['id', 'type', 'payload'])
    .where('id', '>', afterId)
    .orderBy('id', 'asc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: String(r.id), type: r.type as EventType, data: r.payload }));
}

export async function latestEventId(db: SliceDb): Promise<string> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return row?.id == null ? '0' : String(row.id);
}

/** Drop events older than the retention; keeps the newest row so ids never restart low. */
export async function pruneEvents(db: SliceDb, olderThan: Date): Promise<number> {
  const newest = await latestEventId(db);
  const r = await db
    .deleteFrom('events')
    .where('created_at', '<', olderThan as never)
    .where('id', '<', newest)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
