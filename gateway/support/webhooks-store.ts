// The webhook tables' one reader and writer. Every function takes the database or the caller's
// transaction first, so what must commit together (deliveries and the cursor) does.
//
// Why a table with FOR UPDATE SKIP LOCKED and not a job queue library: the queue must hold order
// per (endpoint, chat) across failed attempts (a message's ack must not reach a receiver before
// the message, even while the message is being retried for hours), and the same rows are the
// delivery log the API lists and redelivers from. graphile-worker 0.18 runs a named queue's jobs
// in series only while they succeed: a failed job is rescheduled with a later run_at and the queue
// moves on to the next one, by design (graphile/worker#493; with localQueue enabled even the
// "in series" guarantee is lost: graphile/worker#621). pg-boss's current docs (12.x) describe a
// `key_strict_fifo` queue policy that does hold successors back per key while one is retried, but
// a job that finally fails keeps blocking its key until someone deletes it (we want the chat's
// next event to go once one is given up after 24 h), it keeps its jobs in a schema of its own (the
// gateway's role owns only `gateway`) and archives them on its own schedule (the delivery log
// would be a second copy kept in step). One table and one query (claimNext) do all of it.
import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';
import type { DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEndpointsTable } from '../../sql/gateway/webhooks.table.ts';

export type Db = Kysely<GatewayDatabase> | Transaction<GatewayDatabase>;

export const WEBHOOK_EVENT_TYPES = ['message.received', 'message.sent', 'message.ack', 'message.reaction', 'chat.updated', 'chat.assigned', 'contact.updated', 'wa.state'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number] | 'webhook.test';

/** How the API shows an endpoint (never its secret). */
export function endpointOut(e: WebhookEndpoint) {
  return {
    id: String(e.id),
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    disabledReason: e.disabled_reason,
    failingSince: e.failing_since?.toISOString() ?? null,
    createdAt: e.created_at.toISOString(),
  };
}

export function deliveryOut(d: WebhookDelivery) {
  return {
    id: String(d.id),
    eventId: d.event_id,
    type: d.type,
    status: d.status,
    attempts: d.attempts,
    createdAt: d.created_at.toISOString(),
    lastAttemptAt: d.last_attempt_at?.toISOString() ?? null,
    nextAttemptAt: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
    responseStatus: d.response_status,
    responseMs: d.response_ms,
    responseBody: d.response_body,
    error: d.error,
  };
}

export async function insertEndpoint(
  db: Db,
  e: { accountId: string; url: string; events: string[]; description: string | null; secret: string; memberId: string | null },
): Promise<WebhookEndpoint> {
  return db
    .insertInto('webhook_endpoints')
    .values({ account_id: e.accountId, url: e.url, events: e.events, description: e.description, secret: e.secret, created_by_member_id: e.memberId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function listEndpoints(db: Db, accountId: string): Promise<WebhookEndpoint[]> {
  return db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).orderBy('id', 'desc').execute();
}

export function findEndpoint(db: Db, accountId: string, id: string): Promise<WebhookEndpoint | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function updateEndpoint(
  db: Db,
  accountId: string,
  id: string,
  change: { url?: string; events?: string[]; description?: string | null; enabled?: boolean },
): Promise<WebhookEndpoint | undefined> {
  const set: Updateable<WebhookEndpointsTable> = {};
  if (change.url !== undefined) set.url = change.url;
  if (change.events !== undefined) set.events = change.events;
  if (change.description !== undefined) set.description = change.description;
  if (change.enabled !== undefined) {
    set.enabled = change.enabled;
    // Enabled again by a person: the failures that disabled it are forgiven.
    if (change.enabled) Object.assign(set, { disabled_reason: null, failing_since: null });
    else set.disabled_reason = 'disabled by a member';
  }
  if (Object.keys(set).length === 0) return findEndpoint(db, accountId, id);
  return db.updateTable('webhook_endpoints').set(set).where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteEndpoint(db: Db, accountId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('webhook_endpoints').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Accounts that have at least one enabled endpoint: the ones whose slice log is read. */
export async function accountsToWatch(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('webhook_endpoints').select('account_id').distinct().where('enabled', '=', true).execute();
  return rows.map((r) => String(r.account_id));
}

export function enabledEndpoints(db: Db, accountId: string): Promise<Pick<WebhookEndpoint, 'id' | 'events'>[]> {
  return db.selectFrom('webhook_endpoints').select(['id', 'events']).where('account_id', '=', accountId).where('enabled', '=', true).execute();
}

/** The account's cursor, locked for this transaction (null: none yet). */
export async function lockCursor(trx: Transaction<GatewayDatabase>, accountId: string): Promise<string | null> {
  const row = await trx.selectFrom('webhook_cursors').select('last_event_id').where('account_id', '=', accountId).forUpdate().executeTakeFirst();
  return row ? String(row.last_event_id) : null;
}

export async function setCursor(db: Db, accountId: string, lastEventId: string): Promise<void> {
  await db
    .insertInto('webhook_cursors')
    .values({ account_id: accountId, last_event_id: lastEventId })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ last_event_id: lastEventId, updated_at: new Date() }))
    .execute();
}

/** Start the cursor at `lastEventId` unless the account has one (a new endpoint hears what comes next). */
export async function startCursor(db: Db, accountId: string, lastEventId: string): Promise<void> {
  await db.insertInto('webhook_cursors').values({ account_id: accountId, last_event_id: lastEventId }).onConflict((oc) => oc.column('account_id').doNothing()).execute();
}

export interface NewDelivery {
  endpointId: string;
  eventId: string;
  type: WebhookEventType;
  orderKey: string;
  payload: Record<string, unknown>;
}

/** Insert in the order given (ids follow it: the sender's order); an event already queued for an endpoint is left alone. */
export async function insertDeliveries(db: Db, deliveries: NewDelivery[]): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < deliveries.length; i += 500) {
    const chunk = deliveries.slice(i, i + 500);
    const r = await db
      .insertInto('webhook_deliveries')
      .values(chunk.map((d) => ({ endpoint_id: d.endpointId, event_id: d.eventId, type: d.type, order_key: d.orderKey, payload: JSON.stringify(d.payload) })))
      .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
      .executeTakeFirst();
    inserted += Number(r.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  accountId: string;
  url: string;
  secret: string;
  eventId: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  firstAttemptAt: Date | null;
}

/**
 * The next due delivery, locked until the caller's transaction ends, or null. Only the oldest
 * pending delivery of its (endpoint, order key) is eligible: the one behind it waits even while it
 * is retried. SKIP LOCKED lets several senders (and gateway processes) work side by side; a
 * locked oldest row still counts as pending for the NOT EXISTS, so nobody jumps the queue behind it.
 */
export async function claimNext(trx: Transaction<GatewayDatabase>): Promise<ClaimedDelivery | null> {
  const r = await sql<{
    id: string;
    endpoint_id: string;
    account_id: string;
    url: string;
    secret: string;
    event_id: string;
    type: string;
    payload: Record<string, unknown>;
    attempts: number;
    first_attempt_at: Date | null;
  }>`
    select d.id, d.endpoint_id, e.account_id, e.url, e.secret, d.event_id, d.type, d.payload, d.attempts, d.first_attempt_at
    from gateway.webhook_deliveries d
    join gateway.webhook_endpoints e on e.id = d.endpoint_id
    where d.status = 'pending' and d.next_attempt_at <= now() and e.enabled
      and not exists (
        select 1 from gateway.webhook_deliveries o
        where o.endpoint_id = d.endpoint_id and o.order_key = d.order_key and o.status = 'pending' and o.id < d.id)
    order by d.next_attempt_at, d.id
    limit 1
    for update of d skip locked`.execute(trx);
  const row = r.rows[0];
  if (!row) return null;
  return {
    id: String(row.id),
    endpointId: String(row.endpoint_id),
    accountId: String(row.account_id),
    url: row.url,
    secret: row.secret,
    eventId: row.event_id,
    type: row.type,
    payload: row.payload,
    attempts: row.attempts,
    firstAttemptAt: row.first_attempt_at,
  };
}

/** When the next due delivery is (null: none pending), so the sender sleeps until then. */
export async function nextDueAt(db: Db): Promise<Date | null> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select((eb) => eb.fn.min('d.next_attempt_at').as('at'))
    .where('d.status', '=', 'pending')
    .where('e.enabled', '=', true)
    .executeTakeFirst();
  return row?.at ? new Date(row.at as Date) : null;
}

export interface AttemptOutcome {
  at: Date;
  status: DeliveryStatus;
  nextAttemptAt: Date;
  responseStatus: number | null;
  responseMs: number | null;
  responseBody: string | null;
  error: string | null;
}

export async function recordAttempt(db: Db, d: ClaimedDelivery, o: AttemptOutcome): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: o.status,
      attempts: d.attempts + 1,
      first_attempt_at: d.firstAttemptAt ?? o.at,
      last_attempt_at: o.at,
      next_attempt_at: o.nextAttemptAt,
      response_status: o.responseStatus,
      response_ms: o.responseMs,
      response_body: o.responseBody,
      error: o.error,
    })
    .where('id', '=', d.id)
    .execute();
}

/** The endpoint's failure clock: started by a failure, stopped by a success. */
export async function markEndpointHealth(db: Db, endpointId: string, ok: boolean, at: Date): Promise<void> {
  if (ok) await db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', endpointId).where('failing_since', 'is not', null).execute();
  else await db.updateTable('webhook_endpoints').set({ failing_since: at }).where('id', '=', endpointId).where('failing_since', 'is', null).execute();
}

/** Disable the endpoint when it has failed since before `before`; true for the one call that did it. */
export async function disableIfFailingSince(db: Db, endpointId: string, before: Date, reason: string): Promise<boolean> {
  const r = await db
    .updateTable('webhook_endpoints')
    .set({ enabled: false, disabled_reason: reason })
    .where('id', '=', endpointId)
    .where('enabled', '=', true)
    .where('failing_since', '<', before)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export function listDeliveries(db: Db, endpointId: string, limit: number, before?: string): Promise<WebhookDelivery[]> {
  let q = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId);
  if (before !== undefined) q = q.where('id', '<', before);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

/** A new attempt now, with the same event id and a new 24 h window. */
export async function redeliver(db: Db, endpointId: string, deliveryId: string): Promise<boolean> {
  const r = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: new Date(), first_attempt_at: null, error: null })
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', deliveryId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
