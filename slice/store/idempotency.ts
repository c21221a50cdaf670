// Idempotent sends (issue 18): a send that carries an `Idempotency-Key` is answered once. The key,
// a hash of the request and the first answer are written in the transaction that queues the send
// (outbox.ts), so either both the pending message and its key are kept or neither: after a crash
// a retry finds the key and gets the first answer back, or finds nothing and sends (nothing had
// been queued). A request that fails before queueing (a bad chat, WhatsApp not connected, a
// number WhatsApp does not know) keeps no key: it sent nothing, so a retry may try again.
//
// While a request with a key is being answered its key is held in memory: a second one with the
// same key waits for nothing and is refused (IDEMPOTENCY_KEY_IN_USE). Memory is enough for that,
// one slice being one process; the primary key is the backstop should two ever race.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { AppError } from '../../lib/errors.ts';
import type { SliceDb } from './events.ts';

/** How long a key answers with its first result. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** 1–200 printable ASCII characters (space included, as HTTP keeps it inside a value). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x20-\\x7E]{1,200}$';
const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/** A request's key and hash, held while it is answered; passed to the outbox, which records the answer. */
export interface IdempotentRequest {
  key: string;
  requestHash: string;
}

/** The first answer, as recorded. */
export interface RecordedAnswer {
  status: number;
  body: unknown;
}

/** JSON with object keys sorted, so that the same body hashes the same however its keys were ordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Hex SHA-256 over the method, the path (the chat it sends to is part of it) and the body. */
export function requestHash(method: string, path: string, body: unknown): string {
  return crypto.createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`).digest('hex');
}

/** The Idempotency-Key header's value, checked; undefined when the request has none. */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  if (!KEY.test(value)) throw new AppError('INVALID_ARGUMENT', 'the Idempotency-Key header must be 1 to 200 printable ASCII characters');
  return value;
}

export class IdempotencyKeys {
  readonly #db: SliceDb;
  /** Keys whose request is being answered now, with that request's hash. */
  readonly #inFlight = new Map<string, string>();

  constructor(db: SliceDb) {
    this.#db = db;
  }

  /**
   * Claims `key` for a request: answers the recorded answer when the same request had one within a
   * day (replay), else holds the key until `release()` and answers null (go on: the outbox records
   * the answer). Throws IDEMPOTENCY_KEY_REUSED for another request, IDEMPOTENCY_KEY_IN_USE while
   * the same one is being answered.
   */
  async claim(request: IdempotentRequest): Promise<RecordedAnswer | null> {
    const { key, requestHash: hash } = request;
    const busy = this.#inFlight.get(key);
    if (busy !== undefined) throw busy === hash ? inUse() : reused();
    // Held before the first await: a second request in the same tick sees it.
    this.#inFlight.set(key, hash);
    try {
      const row = await this.#db
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'status', 'body'])
        .where('key', '=', key)
        .where('created_at', '>', new Date(Date.now() - IDEMPOTENCY_TTL_MS))
        .executeTakeFirst();
      if (!row) return null;
      if (row.request_hash !== hash) throw reused();
      this.#inFlight.delete(key);
      return { status: row.status, body: row.body };
    } catch (err) {
      this.#inFlight.delete(key);
      throw err;
    }
  }

  /** Lets the key go once its request is answered (recorded or failed). */
  release(request: IdempotentRequest): void {
    if (this.#inFlight.get(request.key) === request.requestHash) this.#inFlight.delete(request.key);
  }

}

/**
 * Records the answer of `request` inside the transaction that queues its send. An expired row of
 * the same key is replaced; a live one (a request that got there first) aborts the transaction.
 */
export async function recordAnswer(trx: SliceDb, request: IdempotentRequest, answer: RecordedAnswer): Promise<void> {
  const expired = new Date(Date.now() - IDEMPOTENCY_TTL_MS);
  const row = await trx
    .insertInto('idempotency_keys')
    .values({ key: request.key, request_hash: request.requestHash, status: answer.status, body: JSON.stringify(answer.body) })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({ request_hash: request.requestHash, status: answer.status, body: JSON.stringify(answer.body), created_at: sql`now()` })
        .where('idempotency_keys.created_at', '<=', expired),
    )
    .returning('key')
    .executeTakeFirst();
  if (!row) throw inUse();
}

/** Deletes the keys older than a day (the store's hourly pruning). */
export async function pruneIdempotencyKeys(db: SliceDb): Promise<number> {
  const r = await db.deleteFrom('idempotency_keys').where('created_at', '<=', new Date(Date.now() - IDEMPOTENCY_TTL_MS)).executeTakeFirst();
  return Number(r.numDeletedRows);
}

function inUse(): AppError {
  return new AppError('IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is being answered: retry once it is');
}

function reused(): AppError {
  return new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request (method, path or body differ): use a new key');
}
