// A slice's configuration, from the environment its supervisor gives it, validated at start.
import { loadConfig, Fields, Type, type Env } from '../lib/config.ts';

export const SliceConfigSchema = Type.Object({
  DATABASE_URL: Fields.url("the PostgreSQL URL of this slice's own role slice_N"),
  SLICE_ID: Type.Integer({ minimum: 1, maximum: 30000, description: 'the slice number N' }),
  SLICE_PORT: Fields.port(3000, 'the port to listen on'),
  SLICE_HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'the address to listen on' }),
  SLICE_TOKEN: Type.String({ minLength: 32, description: 'the bearer token, at least 32 characters' }),
  WA_MODE: Fields.oneOf(['wwebjs', 'sim'], 'wwebjs'),
  WEB_DIR: Type.Optional(Type.String({ minLength: 1, description: 'a self-hosted web build (built without VITE_SAAS) to serve at /' })),
  WA_AUTH_DIR: Type.String({ minLength: 1, default: '.wwebjs_auth', description: 'the WhatsApp session directory' }),
  CHROMIUM_PATH: Type.String({ minLength: 1, default: '/usr/bin/chromium', description: 'the Chromium binary' }),
  SIM_SCENARIO: Type.Optional(Type.String({ minLength: 1, description: 'a simulator scenario file' })),
  SIM_SCAN_AFTER_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 0, description: 'ms before the simulated phone scans; 0: only when told' }),
  EVENTS_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 7, description: 'days the SSE event log is kept for replay' }),
  SSE_HEARTBEAT_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 15_000, description: 'ms between SSE heartbeat comments' }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 6, default: 4, description: "connections in the slice's pool (its role allows 8)" }),
  LOG_LEVEL: Fields.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
});

export type SliceConfig = ReturnType<typeof loadSliceConfig>;

export function loadSliceConfig(env: Env = process.env) {
  return loadConfig('slice', SliceConfigSchema, env);
}
