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
