// PostgreSQL failures as one-line AppErrors naming the cause and what to do. No stack traces reach
// the operator for these: they are configuration problems, not bugs.
import { AppError } from '../lib/errors.ts';
import { maskUrl } from '../lib/logger.ts';

interface PgLikeError {
  code?: string;
  message?: string;
  errno?: number;
  address?: string;
  port?: number;
}

export function describePgError(err: unknown, url: string): AppError {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as PgLikeError;
  const where = maskUrl(url);
  let user = '?';
  let database = '?';
  try {
    const u = new URL(url);
    user = decodeURIComponent(u.username) || '?';
    database = u.pathname.replace(/^\//, '') || '?';
  } catch {
    /* keep the placeholders */
  }
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'EAI_AGAIN':
      return new AppError(
        'DB_UNREACHABLE',
        `PostgreSQL is unreachable at ${where} (${e.code}): start the server or fix DATABASE_URL; unset DATABASE_URL to use the embedded database`,
        { cause: err },
      );
    case '28P01':
    case '28000':
      return new AppError(
        'DB_AUTH_FAILED',
        `PostgreSQL refused the login of role "${user}" at ${where} (wrong password or no such role): fix the credentials in DATABASE_URL`,
        { cause: err },
      );
    case '3D000':
      return new AppError(
        'DB_UNREACHABLE',
        `PostgreSQL has no database "${database}" at ${where}: create it (createdb ${database}) or fix DATABASE_URL`,
        { cause: err },
      );
    case '53300':
      return new AppError('RESOURCE_EXHAUSTED', `PostgreSQL has no free connection slots for "${user}" at ${where}`, {
        cause: err,
      });
    default:
      return new AppError('DB_UNREACHABLE', `PostgreSQL at ${where} failed: ${e.message ?? String(err)}`, { cause: err });
  }
}

/** SQLSTATEs that say the server is gone, going or not yet back (class 08, admin shutdown, crash
 * recovery, starting up) or out of connection slots: the request may succeed when retried. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors of a connection attempt or of a connection the server dropped. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres reports a dropped connection and a pool wait that timed out by message only. */
const DROPPED = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed)/;

/**
 * A request's database failure that is not the request's fault (the server is down, restarting or
 * out of disk) as the AppError every HTTP handler answers with: 503 DB_UNREACHABLE or 507
 * DB_DISK_FULL, a message without the server's address or internals. Null for anything else (a
 * constraint, a bug): the caller maps those. The one place both the gateway and the slice ask.
 */
export function pgUnavailable(err: unknown): AppError | null {
  if (err instanceof AppError || !err || typeof err !== 'object') return null;
  const e = err as PgLikeError & { errors?: unknown[] };
  if (e.code === '53100') return new AppError('DB_DISK_FULL', 'the database is out of disk space: try again once an operator frees space', { cause: err });
  const unreachable =
    (typeof e.code === 'string' && (e.code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(e.code) || SOCKET_CODES.has(e.code))) ||
    (typeof e.message === 'string' && DROPPED.test(e.message));
  return unreachable ? new AppError('DB_UNREACHABLE', 'the database is unavailable: try again shortly', { cause: err }) : null;
}
