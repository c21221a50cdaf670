/**
 * One pino logger per program. Secrets are redacted by path wherever they appear in log objects.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'sliceToken',
  '*.sliceToken',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'databaseUrl',
  '*.databaseUrl',
  'DATABASE_URL',
  'env.DATABASE_URL',
  'env.SLICE_TOKEN',
];

export function loggerOptions(name: string, level = process.env.LOG_LEVEL ?? 'info'): LoggerOptions {
  return { name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}

export function createLogger(name: string, level?: string): Logger {
  return pino(loggerOptions(name, level));
}

/** A PostgreSQL URL with its password masked, for messages. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

export type { Logger };
