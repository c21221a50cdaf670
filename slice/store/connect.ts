// The slice's database pool. Deliberately not sql/database.ts: that module imports the embedded
// PostgreSQL package, whose import registers process-wide exit hooks that turn SIGTERM into an
// immediate exit(143), cutting the slice's orderly shutdown (browser, store flush) short. A slice
// never runs an embedded server, so it only needs pg and Kysely.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { SliceDatabase } from '../../sql/slice/schema.ts';
import { describePgError } from '../../sql/errors.ts';

export function createSliceDb(url: string, options: { max: number; applicationName: string }): Kysely<SliceDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    application_name: options.applicationName,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return new Kysely<SliceDatabase>({ dialect: new PostgresDialect({ pool }) });
}

/** One round trip; connection failures become one-line AppErrors naming the cause. */
export async function checkConnection(db: Kysely<any>, url: string): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    throw describePgError(err, url);
  }
}
