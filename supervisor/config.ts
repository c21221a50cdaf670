// The supervisor's configuration, from the environment, validated at start.
import { loadConfig, Fields, Type, type Env } from '../lib/config.ts';

export const SupervisorConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(Fields.url('the admin PostgreSQL URL; unset: embedded under .data/pg')),
  PG_EMBEDDED_PORT: Fields.port(54320, 'port of the embedded PostgreSQL'),
  SUPERVISOR_SOCKET: Type.String({ minLength: 1, default: '/run/wank/supervisor.sock', description: 'path of the Unix socket' }),
  RUNTIME: Fields.oneOf(['docker', 'process'], 'process'),
  SLICE_IMAGE: Type.String({ minLength: 1, default: 'queunir/slice:latest', description: 'the slice image tag' }),
  SLICE_MEMORY_MB: Type.Integer({ minimum: 128, maximum: 65536, default: 768, description: 'memory limit per slice in MB' }),
  MAX_SLICES: Type.Integer({ minimum: 1, maximum: 30000, default: 200, description: 'the highest slice id' }),
  WA_MODE: Fields.oneOf(['wwebjs', 'sim'], 'wwebjs'),
  LOG_LEVEL: Fields.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
});

export type SupervisorConfig = ReturnType<typeof loadSupervisorConfig>;

export function loadSupervisorConfig(env: Env = process.env) {
  return loadConfig('supervisor', SupervisorConfigSchema, env);
}
