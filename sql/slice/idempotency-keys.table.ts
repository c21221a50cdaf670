import type { ColumnType, Selectable } from 'kysely';

export interface IdempotencyKeysTable {
  /** The client's Idempotency-Key header (1–200 printable ASCII). */
  key: string;
  /** Hex SHA-256 of the request it came with (method, path, body): the same key on another request is refused. */
  request_hash: string;
  /** The first answer's HTTP status and body, replayed as they were. */
  status: number;
  body: ColumnType<unknown, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
