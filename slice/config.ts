// A slice's configuration, from the environment its supervisor gives it, validated at start. The
// process runtime passes the secrets (token, database URL) on a pipe instead (SLICE_SECRETS_FD), so
// they are in no process's environment where other processes of the same user could read them.
import fs from 'node:fs';
import { loadConfig, Fields, Type, type Env } from '../lib/config.ts';
import { AppError } from '../lib/errors.ts';

export const SliceConfigSchema = Type.Object({
  DATABASE_URL: Fields.url("the PostgreSQL URL of this slice's own role slice_N"),
  SLICE_ID: Type.Integer({ minimum: 1, maximum: 30000, description: 'the slice number N' }),
  SLICE_PORT: Fields.port(3000, 'the port to listen on'),
  SLICE_HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'the address to listen on' }),
  SLICE_TOKEN: Type.String({ minLength: 32, description: 'the bearer token, at least 32 characters' }),
  WA_MODE: Fields.oneOf(['wwebjs', 'sim'], 'wwebjs'),
  WEB_DIR: Type.Optional(Type.String({ minLength: 1, description: 'a self-hosted web build (built without VITE_SAAS) to serve at /' })),
  WA_AUTH_DIR: Type.String({ minLength: 1, default: '.wwebjs_auth', description: 'the WhatsApp session directory' }),
  MEDIA_DIR: Type.Optional(Type.String({ minLength: 1, description: "the media store's folder; default <WA_AUTH_DIR>/media (the session volume: same backup and purge as the slice)" })),
  MEDIA_QUOTA_MB: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 2048, description: 'MB of files the media store keeps; past it a file is not downloaded (state failed, MEDIA_QUOTA_EXCEEDED)' }),
  MEDIA_MAX_PHOTO_MB: Type.Integer({ minimum: 1, maximum: 2048, default: 16, description: 'the largest image, video, audio, voice note or sticker, MB (received or sent)' }),
  MEDIA_MAX_DOCUMENT_MB: Type.Integer({ minimum: 1, maximum: 4096, default: 100, description: 'the largest document, MB (received or sent)' }),
  CHROMIUM_PATH: Type.String({ minLength: 1, default: '/usr/bin/chromium', description: 'the Chromium binary' }),
  CHROMIUM_SANDBOX: Type.Boolean({ default: false, description: "run Chromium with its own sandbox (the docker runtime's seccomp profile allows it); false: --no-sandbox" }),
  SIM_SCENARIO: Type.Optional(Type.String({ minLength: 1, description: 'a simulator scenario file' })),
  SIM_SCAN_AFTER_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 0, description: 'ms before the simulated phone scans; 0: only when told' }),
  EVENTS_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 7, description: 'days the SSE event log is kept for replay' }),
  SSE_HEARTBEAT_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 15_000, description: 'ms between SSE heartbeat comments' }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 6, default: 4, description: "connections in the slice's pool (its role allows 8)" }),
  LOG_LEVEL: Fields.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
});

export type SliceConfig = ReturnType<typeof loadSliceConfig>;

const SECRET_KEYS = ['SLICE_TOKEN', 'DATABASE_URL'] as const;

/** The secrets JSON ({SLICE_TOKEN, DATABASE_URL}) read to its end from the descriptor, which is closed. */
export function readSecretsFd(value: string): Record<string, string> {
  const fd = Number(value);
  if (!Number.isInteger(fd) || fd < 3) throw new AppError('CONFIG_INVALID', `slice config: SLICE_SECRETS_FD must be a file descriptor number of 3 or more, got ${JSON.stringify(value)}`);
  let text: string;
  try {
    text = fs.readFileSync(fd, 'utf8');
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `slice config: SLICE_SECRETS_FD ${fd} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('CONFIG_INVALID', `slice config: SLICE_SECRETS_FD ${fd} did not hold a JSON object`);
  }
  const out: Record<string, string> = {};
  for (const key of SECRET_KEYS) {
    const v = (parsed as Record<string, unknown> | null)?.[key];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

export function loadSliceConfig(env: Env = process.env) {
  const { SLICE_SECRETS_FD, ...rest } = env;
  return loadConfig('slice', SliceConfigSchema, SLICE_SECRETS_FD ? { ...rest, ...readSecretsFd(SLICE_SECRETS_FD) } : rest);
}
