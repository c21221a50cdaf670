// The supervisor daemon, importable: startSupervisor(config) wires the admin database, a runtime,
// the slice registry and the JSON-RPC server, and returns a handle whose close() is the clean
// SIGTERM path (docker slices keep running; process-runtime children are stopped).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { repoRootFrom } from '../lib/repo-root.ts';
import { createLogger, maskUrl, type Logger } from '../lib/logger.ts';
import { checkConnection, createDb, resolveAdminDatabaseUrl } from '../sql/database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../sql/embedded.ts';
import type { SupervisorConfig } from './config.ts';
import { METHODS, METHOD_NAMES, PROTOCOL_VERSION } from './protocol.ts';
import { RpcServer, type Handlers } from './rpc/server.ts';
import type { DockerRuntime } from './runtimes/docker.ts';
import { ProcessRuntime } from './runtimes/process.ts';
import type { SliceRuntime } from './runtimes/runtime.ts';
import { fetchSliceHealth } from './slices/health-client.ts';
import { RecordStore } from './slices/records.ts';
import { SliceRegistry } from './slices/registry.ts';

const REPO_ROOT = repoRootFrom(import.meta.url);

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export interface SupervisorHandle {
  registry: SliceRegistry;
  runtime: SliceRuntime;
  server: RpcServer;
  socketPath: string;
  close(): Promise<void>;
}

async function createRuntime(config: SupervisorConfig, log: Logger): Promise<DockerRuntime | ProcessRuntime> {
  if (config.RUNTIME === 'docker') {
    // Loaded only when asked for: the process runtime never needs dockerode.
    const { DockerRuntime } = await import('./runtimes/docker.ts');
    return new DockerRuntime({
      image: config.SLICE_IMAGE,
      network: config.SLICE_NETWORK,
      dbHost: config.SLICE_DB_HOST,
      memoryMb: config.SLICE_MEMORY_MB,
      pidsLimit: config.SLICE_PIDS_LIMIT,
      shmMb: config.SLICE_SHM_MB,
      cpus: config.SLICE_CPUS,
      command: config.SLICE_CONTAINER_COMMAND?.trim().split(/\s+/) ?? null,
      log: log.child({ runtime: 'docker' }),
    });
  }
  return new ProcessRuntime({
    root: REPO_ROOT,
    stateDir: config.STATE_DIR,
    command: config.SLICE_COMMAND,
    chromiumPath: config.CHROMIUM_PATH,
    logLines: config.LOG_LINES,
    stopWaitMs: config.STOPWAITSECS * 1000,
    log: log.child({ runtime: 'process' }),
  });
}

/**
 * The admin connection. Embedded PostgreSQL when DATABASE_URL is unset; with the docker runtime
 * it must also listen on the slice network's gateway so containers reach it (and accept logins
 * from that subnet).
 */
async function openAdminDb(config: SupervisorConfig, runtime: DockerRuntime | ProcessRuntime, log: Logger): Promise<{ url: string; db: Kysely<any>; embedded: EmbeddedPostgresHandle | null }> {
  let url: string;
  let embedded: EmbeddedPostgresHandle | null = null;
  const dbLog = (line: string) => log.debug({ pg: line }, 'embedded postgres');
  if (!config.DATABASE_URL && runtime.kind === 'docker') {
    const net = await runtime.networkAddress();
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(REPO_ROOT, '.data', 'pg'),
      port: config.PG_EMBEDDED_PORT,
      listen: `127.0.0.1,${net.gateway}`,
      sliceSubnet: net.subnet,
      log: dbLog,
    });
    if (embedded.reused) log.warn('the embedded PostgreSQL was already running: containers reach it only if it listens on the slice network');
    url = embedded.url;
  } else {
    const r = await resolveAdminDatabaseUrl({ databaseUrl: config.DATABASE_URL, root: REPO_ROOT, embeddedPort: config.PG_EMBEDDED_PORT, log: dbLog });
    url = r.url;
    embedded = r.embedded;
  }
  const db = createDb<any>(url, { max: 4, applicationName: 'queunir-supervisor' });
  await checkConnection(db, url);
  log.info({ db: maskUrl(url) }, 'admin database connected');
  return { url, db, embedded };
}

export async function startSupervisor(config: SupervisorConfig, options: { log?: Logger } = {}): Promise<SupervisorHandle> {
  const log = options.log ?? createLogger('supervisor', config.LOG_LEVEL);
  fs.mkdirSync(config.STATE_DIR, { recursive: true, mode: 0o700 });
  const runtime = await createRuntime(config, log);
  await runtime.init();
  const admin = await openAdminDb(config, runtime, log);
  const records = new RecordStore(config.STATE_DIR);

  const sliceEnv: Record<string, string> = { WA_MODE: config.WA_MODE, LOG_LEVEL: config.LOG_LEVEL === 'silent' ? 'warn' : config.LOG_LEVEL };
  if (config.SIM_SCENARIO) sliceEnv.SIM_SCENARIO = config.SIM_SCENARIO;
  if (!config.SLICE_CHROMIUM_SANDBOX) sliceEnv.CHROMIUM_SANDBOX = 'false';
  if (config.SIM_SCAN_AFTER_MS !== undefined) sliceEnv.SIM_SCAN_AFTER_MS = String(config.SIM_SCAN_AFTER_MS);

  const registry = new SliceRegistry({
    runtime,
    records,
    adminDb: admin.db,
    adminUrl: admin.url,
    log,
    health: fetchSliceHealth,
    maxSliceId: config.MAX_SLICES,
    sliceEnv,
    timing: {
      startsecs: config.STARTSECS,
      startretries: config.STARTRETRIES,
      stopwaitsecs: config.STOPWAITSECS,
      starttimeoutsecs: config.STARTTIMEOUTSECS,
      healthIntervalMs: config.HEALTH_INTERVAL_MS,
    },
  });

  const version = packageVersion();
  const describe = Object.fromEntries(METHOD_NAMES.map((m) => [m, { params: METHODS[m].params, result: METHODS[m].result, doc: METHODS[m].doc }]));
  const handlers: Handlers = {
    'system.listMethods': async () => METHOD_NAMES,
    'system.describe': async () => JSON.parse(JSON.stringify(describe)),
    'system.version': async () => ({ version, protocol: PROTOCOL_VERSION, runtime: runtime.kind }),
    'slice.create': async (p: { id: number }) => registry.create(p.id),
    'slice.start': async (p: { id: number }) => registry.start(p.id),
    'slice.stop': async (p: { id: number }) => registry.stop(p.id),
    'slice.restart': async (p: { id: number }) => registry.restart(p.id),
    'slice.remove': async (p: { id: number; purgeData?: boolean }) => registry.remove(p.id, p.purgeData === true),
    'slice.findRemnants': async (p: { id: number }) => ({ remnants: await registry.findRemnants(p.id) }),
    'slice.getInfo': async (p: { id: number }) => registry.info(p.id),
    'slice.list': async () => registry.list(),
    'slice.health': async (p: { id: number }) => registry.health(p.id),
    'slice.tailLog': async (p: { id: number; lines?: number }) => ({ lines: await registry.tailLog(p.id, p.lines ?? 100) }),
    'events.subscribe': async (_p, conn) => {
      conn.subscribed = true;
      return { subscribed: true };
    },
  };

  const server = new RpcServer({ socketPath: config.SUPERVISOR_SOCKET, handlers, log });
  registry.on('stateChanged', (change) => server.broadcast(change));
  try {
    await registry.init();
    await server.listen();
  } catch (err) {
    registry.close();
    await runtime.close();
    await admin.db.destroy();
    await admin.embedded?.stop();
    throw err;
  }
  log.info({ socket: config.SUPERVISOR_SOCKET, runtime: runtime.kind, slices: registry.list().length }, 'supervisor listening');

  let closing: Promise<void> | null = null;
  return {
    registry,
    runtime,
    server,
    socketPath: config.SUPERVISOR_SOCKET,
    close() {
      closing ??= (async () => {
        await server.close();
        registry.close();
        await runtime.close();
        await admin.db.destroy();
        // An embedded server we started is ours to stop; docker slices then lose their database
        // until the next start, which is why production sets DATABASE_URL.
        if (admin.embedded && !admin.embedded.reused) await admin.embedded.stop();
        log.info('supervisor stopped');
      })();
      return closing;
    },
  };
}
