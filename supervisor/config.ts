// The supervisor's configuration, from the environment, validated at start.
import { loadConfig, Fields, Type, type Env } from '../lib/config.ts';
import { DEFAULT_SOCKET } from './protocol.ts';

const SupervisorConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(Fields.url('the admin PostgreSQL URL; unset: embedded under .data/pg')),
  PG_EMBEDDED_PORT: Fields.port(54320, 'port of the embedded PostgreSQL'),
  SUPERVISOR_SOCKET: Type.String({ minLength: 1, default: DEFAULT_SOCKET, description: 'path of the Unix socket' }),
  RUNTIME: Fields.oneOf(['docker', 'process'], 'process'),
  SLICE_IMAGE: Type.String({ minLength: 1, default: 'queunir/slice:latest', description: 'the slice image tag' }),
  SLICE_MEMORY_MB: Type.Integer({ minimum: 128, maximum: 65536, default: 768, description: 'memory limit per slice in MB' }),
  MAX_SLICES: Type.Integer({ minimum: 1, maximum: 30000, default: 200, description: 'the highest slice id' }),
  WA_MODE: Fields.oneOf(['wwebjs', 'sim'], 'wwebjs'),
  LOG_LEVEL: Fields.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  STATE_DIR: Type.String({ minLength: 1, default: '/var/lib/wank/supervisor', description: 'where per-slice records (token, desired state) are kept, mode 0600' }),
  // supervisord's knobs (small values in tests)
  STARTSECS: Type.Number({ minimum: 0, maximum: 600, default: 3, description: 'seconds a slice must answer /health ok before RUNNING' }),
  STARTRETRIES: Type.Integer({ minimum: 0, maximum: 100, default: 3, description: 'failed start retries before FATAL' }),
  STOPWAITSECS: Type.Number({ minimum: 0, maximum: 600, default: 10, description: 'seconds between SIGTERM and SIGKILL' }),
  STARTTIMEOUTSECS: Type.Number({ minimum: 1, maximum: 3600, default: 120, description: 'seconds a starting slice has to become healthy' }),
  HEALTH_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 60000, default: 500, description: 'probe interval while STARTING' }),
  // the docker runtime
  SLICE_NETWORK: Type.String({ minLength: 1, default: 'wank-slices', description: 'the bridge network of the slice containers' }),
  SLICE_DB_HOST: Type.String({ minLength: 1, default: 'auto', description: "PostgreSQL's address as containers see it; auto: the slice network's gateway" }),
  SLICE_PIDS_LIMIT: Type.Integer({ minimum: 64, maximum: 100000, default: 1024, description: 'pids limit per slice container' }),
  SLICE_CPUS: Type.Number({ minimum: 0.1, maximum: 64, default: 1, description: 'CPU limit per slice container in cores (Docker NanoCpus)' }),
  SLICE_SHM_MB: Type.Integer({ minimum: 64, maximum: 8192, default: 512, description: '/dev/shm size per slice container in MB' }),
  SLICE_CONTAINER_COMMAND: Type.Optional(Type.String({ minLength: 1, description: "overrides the image's command (space-separated), e.g. a stand-in slice" })),
  // the process runtime
  SLICE_COMMAND: Type.String({ minLength: 1, default: 'node --import tsx slice/main.ts', description: 'the slice command, run from the repo root (node means this node)' }),
  SLICE_CHROMIUM_SANDBOX: Type.Boolean({ default: true, description: "docker runtime: Chromium's own sandbox in the slices (needs unprivileged user namespaces on the host)" }),
  CHROMIUM_PATH: Type.String({ minLength: 1, default: '/usr/lib/chromium/chromium', description: 'the Chromium binary process-runtime slices use' }),
  LOG_LINES: Type.Integer({ minimum: 10, maximum: 100000, default: 2000, description: 'output lines kept per process-runtime slice' }),
  // handed to every slice
  SIM_SCENARIO: Type.Optional(Type.String({ minLength: 1, description: 'simulator scenario for WA_MODE=sim slices' })),
  SIM_SCAN_AFTER_MS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600000, description: 'simulated QR scan delay for WA_MODE=sim slices' })),
});

export type SupervisorConfig = ReturnType<typeof loadSupervisorConfig>;

export function loadSupervisorConfig(env: Env = process.env) {
  return loadConfig('supervisor', SupervisorConfigSchema, env);
}
