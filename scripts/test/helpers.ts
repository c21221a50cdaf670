// Shared by the deploy tests: real nginx (Debian's binary) rendered from nginx/queunir.conf on
// loopback test ports, the real gateway as a child process, a plain HTTPS client that trusts the
// test's own self-signed certificate, and a throwaway Debian PostgreSQL cluster (pg_dump and
// pg_restore are Debian's, so the backup drill runs against Debian's server too).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb } from '../../sql/database.ts';
import { provisionGateway } from '../../sql/provision.ts';
import { freePort, ROOT } from '../../test-support/pg.ts';

export { ROOT, freePort };

export function which(bin: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin', '/usr/local/sbin']) {
    const p = path.join(dir, bin);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${bin} is not installed: run scripts/setup.sh test (it installs nginx-light, openssl, …)`);
}

/** A temp dir others (nginx's workers, the postgres user) can read. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `queunir-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export function bash(script: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request; https trusts `ca` and checks the name. */
/**
 * One request, its whole answer. `servername`: the TLS name to ask for and check when the URL dials
 * an address (https://127.0.0.1:port for a site named example.test); default the URL's host.
 */
export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; ca?: string; servername?: string } = {}): Promise<Answer> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      { method: options.method ?? 'GET', headers: options.headers, ...(options.ca ? { ca: options.ca, servername: options.servername ?? u.hostname } : {}), agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${url}: no answer within 15 s`)));
    req.end(options.body);
  });
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

function startProcess(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {}): RunningProcess {
  const child = spawn(cmd, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  let out = '';
  const keep = (c: Buffer) => {
    out += c.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Gateway extends RunningProcess {
  url: string;
  port: number;
}

/** wank_gateway provisioned through the admin URL, then `node --import tsx gateway/main.ts` as the unit runs it. */
export async function startGateway(adminUrl: string, options: { publicUrl: string; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<Gateway> {
  const admin = createDb<any>(adminUrl, { max: 2 });
  const password = 'gw-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  try {
    await provisionGateway(admin, { password });
  } finally {
    await admin.destroy();
  }
  const u = new URL(adminUrl);
  u.username = 'wank_gateway';
  u.password = password;
  const port = options.env?.PORT ? Number(options.env.PORT) : await freePort();
  return launchGateway(
    {
      DATABASE_URL: u.toString(),
      SESSION_SECRET: 'test-session-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      PUBLIC_URL: options.publicUrl,
      ...options.env,
      PORT: String(port),
    },
    options.cwd,
  );
}

/** `node --import tsx gateway/main.ts` with these settings (as from /etc/wank/gateway.env), waited for on /healthz. */
export async function launchGateway(settings: Record<string, string | undefined>, cwd = ROOT): Promise<Gateway> {
  const port = settings.PORT ? Number(settings.PORT) : await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SUPERVISOR_SOCKET: path.join(os.tmpdir(), `queunir-no-supervisor-${process.pid}-${port}.sock`),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...settings,
    PORT: String(port),
  };
  const proc = startProcess(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], { env, cwd });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the gateway answering /healthz',
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`gateway exited ${proc.child.exitCode}: ${proc.output().slice(-2000)}`);
      return (await request(`${url}/healthz`)).status === 200;
    },
    60_000,
  ).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return { ...proc, url, port };
}

export interface Nginx extends RunningProcess {
  dir: string;
  httpPort: number;
  httpsPort: number;
  cert: string;
  siteFile: string;
}

/** Renders nginx/queunir.conf with test ports and a fresh self-signed cert, and runs Debian's nginx. */
export async function startNginx(options: { wwwRoot: string; gatewayPort: number; config?: (site: string) => string }): Promise<Nginx> {
  const nginx = which('nginx');
  which('openssl');
  const dir = tempDir('nginx');
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const siteFile = path.join(dir, 'site.conf');
  bash(
    `source scripts/lib-nginx.sh
     make_self_signed_cert localhost "$D/cert.pem" "$D/key.pem"
     render_nginx_site nginx/queunir.conf "$D/site.conf" localhost "$D/cert.pem" "$D/key.pem" ${httpPort} ${httpsPort} "$WWW" 127.0.0.1:${options.gatewayPort} queunir "$D/acme"`,
    { D: dir, WWW: options.wwwRoot },
  );
  if (options.config) fs.writeFileSync(siteFile, options.config(fs.readFileSync(siteFile, 'utf8')));
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  // Debian's nginx.conf, reduced to what the test's own prefix needs; the site is included the way
  // sites-enabled/* is.
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_processes 1;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  access_log ${dir}/access.log;
  gzip on;
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
  include ${siteFile};
}
`,
  );
  execFileSync(nginx, ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'pipe' });
  const proc = startProcess(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;']);
  await waitFor('nginx listening', async () => {
    if (proc.child.exitCode !== null) throw new Error(`nginx exited: ${proc.output()} ${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
    return (await request(`http://127.0.0.1:${httpPort}/`)).status > 0;
  });
  return {
    ...proc,
    dir,
    httpPort,
    httpsPort,
    cert: fs.readFileSync(cert, 'utf8'),
    siteFile,
    stop: async () => {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A dist/web-like tree: index.html naming one hashed asset. */
export function fakeWebBuild(dir: string): { asset: string } {
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  const asset = '/assets/index-Bx9f3k2a.js';
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><html><head><title>Queunir</title><script type="module" src="${asset}"></script></head><body><div id="root"></div></body></html>\n`);
  fs.writeFileSync(path.join(dir, asset), 'console.log("queunir");\n');
  return { asset };
}

/** The [Service]/[Unit]/[Install] settings of a unit file; repeated keys keep every value. */
export function parseUnit(file: string): { get(key: string): string | undefined; all(key: string): string[] } {
  const values = new Map<string, string[]>();
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const list = values.get(key) ?? [];
    list.push(line.slice(eq + 1).trim());
    values.set(key, list);
  }
  return { get: (k) => values.get(k)?.at(-1), all: (k) => values.get(k) ?? [] };
}

/** Debian's PostgreSQL (the server the installer sets up), a cluster of its own in a temp dir. */
export interface DebianCluster {
  dir: string;
  port: number;
  socketDir: string;
  superPassword: string;
  /** psql as the postgres OS user through the socket; returns stdout. */
  psql(sqlText: string, db?: string): string;
  url(role: string, password: string, db?: string): string;
  start(): void;
  stop(): void;
  /** Throw everything away and initdb again: an empty server, as on a new machine. */
  wipe(): void;
  destroy(): void;
}

export async function startDebianCluster(): Promise<DebianCluster> {
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').filter((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('Debian PostgreSQL is not installed: apt-get install -y postgresql');
  const bin = `/usr/lib/postgresql/${versions[0]}/bin`;
  const dir = tempDir('debpg');
  const socketDir = path.join(dir, 'sock');
  const data = path.join(dir, 'data');
  fs.mkdirSync(socketDir);
  execFileSync('chown', ['postgres:postgres', dir, socketDir]);
  const port = await freePort();
  const superPassword = 'su-' + Math.random().toString(36).slice(2);
  const asPg = (cmd: string, args: string[], input?: string) =>
    execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: dir, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  const init = () => {
    fs.writeFileSync(path.join(dir, 'pw'), superPassword);
    execFileSync('chown', ['postgres', path.join(dir, 'pw')]);
    asPg(`${bin}/initdb`, ['-D', data, '-U', 'postgres', '--auth-local=peer', '--auth-host=scram-sha-256', `--pwfile=${path.join(dir, 'pw')}`, '-E', 'UTF8', '--locale=C.UTF-8']);
    fs.rmSync(path.join(dir, 'pw'));
  };
  const start = () => asPg(`${bin}/pg_ctl`, ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1`, 'start']);
  const stop = () => {
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) asPg(`${bin}/pg_ctl`, ['-D', data, '-w', '-m', 'fast', 'stop']);
  };
  init();
  start();
  return {
    dir,
    port,
    socketDir,
    superPassword,
    psql: (sqlText, db = 'postgres') => asPg('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-d', db], sqlText).trim(),
    url: (role, password, db = 'wank_saas') => `postgres://${encodeURIComponent(role)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`,
    start,
    stop,
    wipe: () => {
      stop();
      fs.rmSync(data, { recursive: true, force: true });
      init();
      start();
    },
    destroy: () => {
      try {
        stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
