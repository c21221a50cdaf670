// scripts/install, for real, on a fresh Debian 12 root filesystem: scripts/test/fresh-root.sh unpacks a
// cached debootstrap (minbase) bookworm root, copies the host's Node 20 and npm in (the README's
// premise is "a fresh machine with Node 20"; the host's binary is a bookworm build too), copies this
// checkout to /root/queunir as a clone would leave it, and mounts /proc, /sys, /dev, /dev/pts,
// /dev/shm and /run (with the host's Docker socket bound in: no engine runs inside, so the slice
// network, the slice image and the supervisor use the host's). Inside, scripts/install installs
// PostgreSQL, nginx and docker.io from the apt mirror, makes the users, the database and its
// roles, the release (npm ci, the web build), runs the migrations and installs the units; there is
// no systemd as PID 1, so it starts nothing but PostgreSQL (--no-start). The test then starts the
// services the way their units would: the supervisor and the gateway with the units' User, Group,
// SupplementaryGroups, EnvironmentFile, Environment, WorkingDirectory, UMask, RuntimeDirectory,
// StateDirectory and ExecStart (parsed from the installed unit files), and nginx with Debian's
// nginx.conf and the installed site, moved to loopback test ports. Then: the app's index.html over
// HTTPS, /healthz and /api/me through the proxy, the users and rights, and a second install that
// changes nothing. The root is removed at the end (processes inside it stopped, mounts unmounted).
//
// Needs root, debootstrap, the apt mirror and the npm registry reachable, and a Docker engine
// (scripts/ensure-docker.sh starts one). The first run makes the base root (~1 min) and fills the
// apt and npm caches under /var/cache/queunir/fresh-root; later runs reuse them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { freePort, parseUnit, request, ROOT, waitFor, type Answer } from './helpers.ts';
import { parseEnvFile } from '../../lib/env-file.ts';

// The first run downloads the base system, the packages and the npm dependencies.
t.setTimeout(25 * 60_000);

const FRESH = path.join(ROOT, 'scripts', 'test', 'fresh-root.sh');
const CACHE = process.env.FRESH_ROOT_CACHE ?? '/var/cache/queunir/fresh-root';
const DOMAIN = 'crm.queunir.test';
const root = path.join(CACHE, 'roots', `test-${process.pid}`);
const inRoot = (p: string) => path.join(root, p);
const started = Date.now();
// tap's process tracking adds --import hooks (host paths) to NODE_OPTIONS of every child it sees
// spawned; a node inside the root must not get them.
const CLEAN = ['-u', 'NODE_OPTIONS'];
const timings: string[] = [];

function timed<T>(what: string, fn: () => T): T {
  const t0 = Date.now();
  try {
    return fn();
  } finally {
    timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** A command to completion; throws with the end of its output when it fails. */
function sh(cmd: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error}):\n${out.slice(-4000)}`);
  return out;
}

/** A command inside the root, as root. */
const inside = (args: string[], timeoutMs?: number) => sh('bash', [FRESH, 'run', root, ...args], { timeoutMs });

/** scripts/install inside the root; notes how long each of its steps took. */
async function install(label: string, ...extra: string[]): Promise<{ status: number | null; out: string }> {
  const t0 = Date.now();
  const child = spawn('bash', [FRESH, 'run', root, 'bash', '/root/queunir/scripts/install', '--domain', DOMAIN, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const steps: [string, number][] = [];
  let partial = '';
  const keep = (c: Buffer) => {
    const text = c.toString();
    out += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const m = /^==> (\d+)\/12 /.exec(line);
      if (m) steps.push([m[1]!, Date.now()]);
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const killer = setTimeout(() => child.kill('SIGKILL'), 900_000);
  const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  clearTimeout(killer);
  const end = Date.now();
  const perStep = steps.map(([n, at], i) => `${n}:${(((steps[i + 1]?.[1] ?? end) - at) / 1000).toFixed(0)}`).join(' ');
  timings.push(`${label} ${((end - t0) / 1000).toFixed(1)} s (seconds per step ${perStep})`);
  return { status, out };
}

// ---- the root's users and groups (the test reads them; lookups by name would use the host's) ----
interface Account { uid: number; gid: number }
function passwd(): Map<string, Account> {
  const m = new Map<string, Account>();
  for (const line of fs.readFileSync(inRoot('etc/passwd'), 'utf8').split('\n')) {
    const f = line.split(':');
    if (f.length >= 4) m.set(f[0]!, { uid: Number(f[2]), gid: Number(f[3]) });
  }
  return m;
}
function groups(): Map<string, { gid: number; members: string[] }> {
  const m = new Map<string, { gid: number; members: string[] }>();
  for (const line of fs.readFileSync(inRoot('etc/group'), 'utf8').split('\n')) {
    const f = line.split(':');
    if (f.length >= 4) m.set(f[0]!, { gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) });
  }
  return m;
}
function gidOf(name: string): number {
  const g = groups().get(name);
  if (!g) throw new Error(`no group ${name} in the root`);
  return g.gid;
}

/** An env file the way systemd's EnvironmentFile= reads it. */
const readEnvFile = (file: string) => parseEnvFile(fs.readFileSync(file, 'utf8'));

interface Service {
  name: string;
  child: ChildProcess;
  output: () => string;
  uid: number;
  groups: number[];
  stop: () => Promise<void>;
}

/**
 * Starts a unit's service the way systemd would, minus the sandboxing (ProtectSystem= and friends
 * need systemd; systemd-analyze verify checks those lines in scripts/test/systemd.test.ts): its
 * RuntimeDirectory and StateDirectory made with their modes and owners, its environment from
 * EnvironmentFile= (read here as root, as systemd does) and Environment=, User=/Group= with the
 * user's groups plus SupplementaryGroups=, UMask=, WorkingDirectory=, then ExecStart=.
 */
function startUnit(unitName: string): Service {
  const unit = parseUnit(inRoot(`etc/systemd/system/${unitName}`));
  const user = unit.get('User')!;
  const account = passwd().get(user);
  if (!account) throw new Error(`${unitName}: no user ${user} in the root`);
  const group = unit.get('Group') ?? user;
  const gid = gidOf(group);
  // systemd: initgroups(User) (the user's groups from /etc/group), then SupplementaryGroups=.
  const supplementary = new Set<number>([account.gid]);
  for (const [, g] of groups()) if (g.members.includes(user)) supplementary.add(g.gid);
  for (const name of (unit.get('SupplementaryGroups') ?? '').split(/\s+/).filter(Boolean)) supplementary.add(gidOf(name));
  const runtimeMode = parseInt(unit.get('RuntimeDirectoryMode') ?? '0755', 8);
  for (const dir of (unit.get('RuntimeDirectory') ?? '').split(/\s+/).filter(Boolean)) {
    const p = inRoot(path.join('run', dir));
    fs.mkdirSync(p, { recursive: true });
    fs.chownSync(p, account.uid, gid);
    fs.chmodSync(p, runtimeMode);
  }
  const stateMode = parseInt(unit.get('StateDirectoryMode') ?? '0755', 8);
  for (const dir of (unit.get('StateDirectory') ?? '').split(/\s+/).filter(Boolean)) {
    const p = inRoot(path.join('var/lib', dir));
    fs.mkdirSync(p, { recursive: true });
    fs.chownSync(p, account.uid, gid);
    fs.chmodSync(p, stateMode);
  }
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    HOME: '/nonexistent',
    USER: user,
    LOGNAME: user,
    SHELL: '/usr/sbin/nologin',
  };
  for (const file of unit.all('EnvironmentFile')) Object.assign(env, readEnvFile(inRoot(file.replace(/^-/, ''))));
  for (const line of unit.all('Environment')) {
    for (const pair of line.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    }
  }
  const umask = unit.get('UMask') ?? '0022';
  const cwd = unit.get('WorkingDirectory')!;
  const argv = unit.get('ExecStart')!.split(/\s+/);
  const child = spawn(
    'env',
    [...CLEAN, 'chroot', `--userspec=${account.uid}:${gid}`, `--groups=${[...supplementary].join(',')}`, root, '/bin/sh', '-c', `umask ${umask} && cd "$1" && shift && exec "$@"`, 'sh', cwd, ...argv],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (c: Buffer) => {
    out += c.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name: unitName,
    child,
    output: () => out,
    uid: account.uid,
    groups: [gid, ...supplementary],
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Uid and groups of a running process, from /proc. */
function credentials(pid: number): { uids: number[]; groups: number[]; root: string } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const uids = /^Uid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/).map(Number);
  const gids = /^Gid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/).map(Number);
  const supp = (/^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);
  return { uids, groups: [...new Set([...gids, ...supp])], root: fs.readlinkSync(`/proc/${pid}/root`) };
}

/** HTTPS to the root's nginx on loopback, by the installed name, trusting the installed certificate. */
/** GET https://DOMAIN{pathname} from nginx in the root, dialled on 127.0.0.1:port. */
function httpsGet(port: number, pathname: string, ca: string): Promise<Answer> {
  return request(`https://127.0.0.1:${port}${pathname}`, { ca, servername: DOMAIN, headers: { host: DOMAIN } });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * What the installer owns in the root, as path → type, mode, owner and content hash: two runs of
 * the installer must leave the same. Release trees are summarised by their .source-sum (their
 * node_modules would take long to hash and are never rewritten in place).
 */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string) => {
    const abs = inRoot(rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      out[rel] = 'absent';
      return;
    }
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) out[rel] = `link ${fs.readlinkSync(abs)}`;
    else if (st.isFile()) out[rel] = `file ${meta} ${crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${meta}`;
      const releases = rel === 'opt/queunir/releases';
      for (const name of fs.readdirSync(abs).sort()) {
        if (releases) {
          out[`${rel}/${name}`] = `release ${fs.readFileSync(path.join(abs, name, '.source-sum'), 'utf8').trim()}`;
        } else visit(`${rel}/${name}`);
      }
    } else out[rel] = `other ${meta}`;
  };
  for (const rel of [
    'etc/wank', 'etc/passwd', 'etc/group', 'etc/shadow', 'etc/gshadow', 'etc/postgresql', 'etc/nginx/sites-available', 'etc/nginx/sites-enabled',
    'etc/systemd/system/wank-gateway.service', 'etc/systemd/system/wank-supervisor.service', 'etc/systemd/system/postgresql@.service.d',
    'opt/queunir', 'var/www', 'var/lib/wank',
  ]) visit(rel);
  return out;
}

/** The database's roles and schemas as the installer left them. */
function databaseState(): string {
  return inside(['runuser', '-u', 'postgres', '--', 'psql', '-X', '-qAt', '-d', 'wank_saas', '-c',
    `select string_agg(r, ' ' order by r) from (
       select 'role:' || rolname || ':' || rolcanlogin || rolsuper || rolcreaterole || rolcreatedb || rolbypassrls as r from pg_roles where rolname like 'wank%'
       union all select 'schema:' || nspname || ':' || pg_get_userbyid(nspowner) from pg_namespace where nspname = 'gateway'
       union all select 'db:' || datname || ':' || pg_get_userbyid(datdba) from pg_database where datname = 'wank_saas'
       union all select 'migration:' || name from gateway.kysely_migration) x`]).trim();
}

// ---------------------------------------------------------------------------------------------
const services: Service[] = [];
let created = false;

async function teardown(): Promise<string> {
  for (const s of services.reverse()) {
    const t0 = Date.now();
    await s.stop().catch(() => {});
    timings.push(`stop ${s.name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  services.length = 0;
  if (!created) return '';
  // PostgreSQL was started by the installer inside the root; stop it cleanly, then let
  // fresh-root.sh stop whatever else still runs in there, unmount and delete the root.
  let t0 = Date.now();
  spawnSync('bash', [FRESH, 'run', root, 'sh', '-c', 'for c in $(pg_lsclusters -h | cut -d" " -f1,2 | tr " " /); do pg_ctlcluster ${c%/*} ${c#*/} stop -m fast; done'], { timeout: 60_000 });
  timings.push(`stop PostgreSQL ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  const r = spawnSync('bash', [FRESH, 'destroy', root], { encoding: 'utf8', timeout: 120_000 });
  timings.push(`destroy the root ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (r.status !== 0) console.error(`fresh-root destroy failed:\n${r.stdout}${r.stderr}`);
  created = false;
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}
t.teardown(async () => {
  await teardown();
});
// A killed run (tap's timeout) still unmounts: synchronously, on the way out.
process.once('exit', () => {
  if (created) spawnSync('bash', [FRESH, 'destroy', root], { timeout: 120_000 });
});

t.test('a fresh Debian 12 root: scripts/install for real, then the services as their units run them', async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (chroot, mount, debootstrap): run it as root');
  // Roots of earlier runs that died without cleaning up; refuses (and so fails here) when their
  // mounts cannot be undone.
  sh('bash', [FRESH, 'stale']);
  timed('docker engine', () => sh('bash', [path.join(ROOT, 'scripts/ensure-docker.sh')]));
  // The slice image on the host engine, as the supervisor tests build it (cached; a no-op when up
  // to date). The installer inside then finds its base image and, for the same sources, the image
  // itself up to date, instead of running debootstrap and installing Chromium again.
  timed('slice image (host)', () => sh('bash', [path.join(ROOT, 'scripts/build-slice-image.sh')], { timeoutMs: 1_200_000 }));
  // The root shares the host's network: the production ports must be free.
  for (const [port, what] of [[5432, "the root's PostgreSQL"], [3000, "the root's gateway (the unit's PORT)"]] as const) {
    if (!(await portIsFree(port))) throw new Error(`127.0.0.1:${port} is taken on this host, and ${what} needs it (ss -ltnp 'sport = :${port}')`);
  }

  created = true;
  timed('fresh root (unpack, node, source, mounts)', () => sh('bash', [FRESH, 'create', root], { env: { FRESH_ROOT_OWNER: String(process.pid) }, timeoutMs: 1_200_000 }));
  const mounts = sh('bash', [FRESH, 'mounts', root]).trim().split('\n').map((m) => path.relative(root, m));
  t.same(mounts.filter((m) => ['proc', 'sys', 'dev', 'dev/pts', 'dev/shm', 'run'].includes(m)).sort(), ['dev', 'dev/pts', 'dev/shm', 'proc', 'run', 'sys'], 'the root has /proc, /sys, /dev, /dev/pts, /dev/shm, /run');
  t.match(inside(['node', '-v']), /^v2\d\./, 'node 20+ inside the root');
  t.notOk(fs.existsSync(inRoot('usr/lib/postgresql')), 'no PostgreSQL before the installer');
  t.notOk(fs.existsSync(inRoot('usr/sbin/nginx')), 'no nginx before the installer');

  // ---- the README's order: a dry run first, on the bare system ----
  const dry = await install('install --dry-run', '--dry-run');
  t.equal(dry.status, 0, 'the dry run succeeds on a bare system');
  if (dry.status !== 0) t.comment(dry.out.slice(-6000));
  t.match(dry.out, /apt-get install .*postgresql nginx openssl ca-certificates debootstrap docker\.io/, 'it would install the packages');
  t.match(dry.out, /dry run: nothing was changed/, 'it ends saying so');
  t.notOk(fs.existsSync(inRoot('etc/wank')) || fs.existsSync(inRoot('opt/queunir')) || fs.existsSync(inRoot('usr/sbin/nginx')), 'and changed nothing');

  // ---- the installer, first run ----
  const first = await install('install (first run)', '--no-start');
  t.equal(first.status, 0, 'the first install succeeds');
  if (first.status !== 0) {
    t.comment(first.out.slice(-6000));
    return;
  }
  t.match(first.out, /systemd is not running: starting the cluster with pg_ctlcluster/, 'it says how it starts PostgreSQL without systemd');
  t.match(first.out, /systemd is not running \(a container or chroot\?\): the units are installed; start the services yourself/);
  // The root uses the host's engine, whose wank-slices network other tests may have made first
  // (Docker's default subnet): the installer must notice a network that PostgreSQL does not serve.
  const hostNet = sh('docker', ['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', 'wank-slices']).trim();
  if (hostNet === '172.30.77.0/24 172.30.77.1') t.notMatch(first.out, /warning: the Docker network wank-slices/, 'the slice network is the installer\'s: no warning');
  else t.match(first.out, new RegExp(`warning: the Docker network wank-slices has subnet/gateway '${hostNet.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`), `the installer warns that wank-slices (${hostNet}) is not the subnet PostgreSQL serves`);
  t.match(first.out, /the services are not started \(--no-start\)/, 'it ends saying the services are not started');
  t.match(first.out, /build-slice-image: (queunir\/slice:latest is up to date|built queunir\/slice:latest)/, 'the slice image step ran against the host engine');
  t.notMatch(first.out, /SESSION_SECRET=|postgres:\/\/[^:\s]+:(?!\*\*\*)[^@\s]+@/, 'no secret in the output');
  for (const bin of ['usr/lib/postgresql', 'usr/sbin/nginx', 'usr/bin/docker', 'usr/sbin/debootstrap']) t.ok(fs.existsSync(inRoot(bin)), `${bin} installed from the mirror`);

  // ---- the installer, second run: nothing changes ----
  const before = snapshot();
  const dbBefore = databaseState();
  t.match(dbBefore, /role:wank_gateway:truefalsefalsefalsefalse/, 'wank_gateway: login, nothing more');
  t.match(dbBefore, /role:wank_supervisor:truefalsetruefalsefalse/, 'wank_supervisor: login, createrole, not superuser');
  t.match(dbBefore, /schema:gateway:wank_gateway/);
  t.match(dbBefore, /db:wank_saas:wank_supervisor/);
  const second = await install('install (second run)', '--no-start');
  t.equal(second.status, 0, 'the second install succeeds');
  if (second.status !== 0) t.comment(second.out.slice(-6000));
  t.match(second.out, /all present: postgresql nginx/);
  t.match(second.out, /the source is unchanged since .*: reusing it/);
  t.match(second.out, /keeping the self-signed certificate/);
  t.match(second.out, /gateway migrations applied: none \(up to date\)/);
  t.same(snapshot(), before, 'the second run left every file, mode, owner and link as it was');
  t.equal(databaseState(), dbBefore, 'the same roles, schema, owner and migrations');

  // ---- what the installer left ----
  const users = passwd();
  const g = groups();
  const gw = users.get('wank-gateway')!;
  const sv = users.get('wank-supervisor')!;
  t.ok(gw && sv, 'the service users exist');
  t.notOk(g.get('docker')!.members.includes('wank-gateway'), 'wank-gateway is not in docker');
  t.ok(g.get('docker')!.members.includes('wank-supervisor'), 'wank-supervisor is in docker');
  t.same(g.get('wank-sock')!.members.sort(), ['wank-gateway', 'wank-supervisor'], 'wank-sock: the gateway and the supervisor');
  for (const f of ['etc/wank/gateway.env', 'etc/wank/supervisor.env', `etc/wank/tls/${DOMAIN}.key`]) {
    const st = fs.statSync(inRoot(f));
    // systemd reads EnvironmentFile= as root before it drops to the service's user, and nginx's
    // master (root) reads the key: root's own files, 0600, unreadable to both service users.
    t.equal(st.mode & 0o777, 0o600, `${f} is 0600`);
    t.equal(`${st.uid}:${st.gid}`, '0:0', `${f} belongs to root`);
  }
  const gwEnv = readEnvFile(inRoot('etc/wank/gateway.env'));
  const svEnv = readEnvFile(inRoot('etc/wank/supervisor.env'));
  t.match(gwEnv.DATABASE_URL, /^postgres:\/\/wank_gateway:[A-Za-z0-9]{30,}@127\.0\.0\.1:5432\/wank_saas$/);
  t.match(svEnv.DATABASE_URL, /^postgres:\/\/wank_supervisor:[A-Za-z0-9]{30,}@127\.0\.0\.1:5432\/wank_saas$/);
  t.equal(gwEnv.PUBLIC_URL, `https://${DOMAIN}`);

  // ---- the services, as their units run them ----
  t.match(inside(['pg_lsclusters', '-h']), /^\d+\s+main\s+5432\s+online\s+postgres/m, 'PostgreSQL (pg_ctlcluster) is online on 5432');
  const supervisor = startUnit('wank-supervisor.service');
  services.push(supervisor);
  const sock = inRoot('run/wank/supervisor.sock');
  await waitFor('the supervisor socket', async () => {
    if (supervisor.child.exitCode !== null) throw new Error(`the supervisor exited ${supervisor.child.exitCode}: ${supervisor.output().slice(-3000)}`);
    return fs.existsSync(sock);
  }, 60_000);
  const sockSt = fs.statSync(sock);
  t.equal(sockSt.mode & 0o777, 0o660, 'the supervisor socket is 0660');
  t.equal(sockSt.gid, gidOf('wank-sock'), 'in group wank-sock');
  const runDir = fs.statSync(inRoot('run/wank'));
  t.equal(`${(runDir.mode & 0o777).toString(8)} ${runDir.uid}:${runDir.gid}`, `750 ${sv.uid}:${gidOf('wank-sock')}`, '/run/wank is 0750 wank-supervisor:wank-sock');

  const gateway = startUnit('wank-gateway.service');
  services.push(gateway);
  const health = await waitFor('the gateway /healthz with the supervisor connected', async () => {
    if (gateway.child.exitCode !== null) throw new Error(`the gateway exited ${gateway.child.exitCode}: ${gateway.output().slice(-3000)}`);
    const r = await request('http://127.0.0.1:3000/healthz');
    const body = JSON.parse(r.body) as { status: string; database: string; supervisor: string };
    return r.status === 200 && body.supervisor === 'ok' ? body : false;
  }, 90_000);
  t.same(health, { status: 'ok', database: 'ok', supervisor: 'ok' }, 'the gateway reaches PostgreSQL and the supervisor');

  for (const [svc, account, name] of [[gateway, gw, 'gateway'], [supervisor, sv, 'supervisor']] as const) {
    const c = credentials(svc.child.pid!);
    t.same(c.uids, [account.uid, account.uid, account.uid, account.uid], `the ${name} runs as its user (uid ${account.uid}), not root`);
    t.equal(c.root, root, `the ${name} runs inside the root`);
  }
  const gwCreds = credentials(gateway.child.pid!);
  t.notOk(gwCreds.groups.includes(gidOf('docker')), 'the gateway process is not in docker');
  t.ok(gwCreds.groups.includes(gidOf('wank-sock')), 'the gateway process is in wank-sock');
  t.ok(credentials(supervisor.child.pid!).groups.includes(gidOf('docker')), 'the supervisor process is in docker');

  // slicectl as the README sets it up: root may use the supervisor socket, a user outside
  // wank-sock may not (exit 7: cannot connect).
  inside(['ln', '-sf', '/opt/queunir/current/supervisor/cli/slicectl.js', '/usr/local/bin/slicectl']);
  t.ok(Array.isArray(JSON.parse(inside(['slicectl', '--json', 'status']))), 'slicectl --json status answers through the socket');
  const nobody = spawnSync('env', [...CLEAN, 'chroot', '--userspec=65534:65534', '--groups=65534', root, '/usr/bin/env', 'HOME=/tmp', '/usr/local/bin/slicectl', 'status'], { encoding: 'utf8' });
  t.equal(nobody.status, 7, `a user outside wank-sock cannot reach the supervisor (slicectl exit 7): ${nobody.stderr}`);

  // The gateway's identity cannot open the Docker socket; the supervisor's can (so the check can fail).
  const probe = `const s=require('net').connect('/run/docker.sock');s.on('connect',()=>{s.write('GET /_ping HTTP/1.0\\r\\n\\r\\n')});s.on('data',d=>{console.log('open '+String(d).split('\\r\\n')[0]);process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`;
  const as = (svc: Service) => sh('env', [...CLEAN, 'chroot', `--userspec=${svc.uid}:${svc.groups[0]}`, `--groups=${svc.groups.join(',')}`, root, '/usr/bin/node', '-e', probe]).trim();
  t.equal(as(gateway), 'EACCES', "the gateway's user and groups cannot open /run/docker.sock");
  t.match(as(supervisor), /^open HTTP\/1\.[01] 200/, "the supervisor's can (Docker answers its ping)");
  // Neither service user reads the other's secrets, nor its own file (systemd hands them over).
  const readAs = (svc: Service, file: string) => spawnSync('env', [...CLEAN, 'chroot', `--userspec=${svc.uid}:${svc.groups[0]}`, `--groups=${svc.groups.join(',')}`, root, '/bin/cat', file], { encoding: 'utf8' });
  t.not(readAs(gateway, '/etc/wank/supervisor.env').status, 0, "the gateway's user cannot read supervisor.env (the admin password)");
  t.not(readAs(supervisor, '/etc/wank/gateway.env').status, 0, "the supervisor's user cannot read gateway.env");

  // ---- nginx: Debian's nginx.conf with the installed site, on loopback test ports ----
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const site = fs.readFileSync(inRoot('etc/nginx/sites-available/queunir'), 'utf8');
  t.match(site, /listen 443 ssl http2;/, 'the installed site listens on 443');
  const testSite = site
    .replace(/^\s*listen \[::\]:\d+.*$/gm, '')
    .replace(/listen 80;/g, `listen 127.0.0.1:${httpPort};`)
    .replace(/listen 443 ssl http2;/g, `listen 127.0.0.1:${httpsPort} ssl http2;`);
  fs.mkdirSync(inRoot('run/queunir-test'), { recursive: true });
  fs.writeFileSync(inRoot('run/queunir-test/site.conf'), testSite);
  const debianConf = fs.readFileSync(inRoot('etc/nginx/nginx.conf'), 'utf8');
  t.match(debianConf, /include \/etc\/nginx\/sites-enabled\/\*;/);
  fs.writeFileSync(inRoot('run/queunir-test/nginx.conf'), debianConf.replace('include /etc/nginx/sites-enabled/*;', 'include /run/queunir-test/site.conf;'));
  inside(['nginx', '-t', '-q', '-c', '/run/queunir-test/nginx.conf']);
  const nginx = spawn('chroot', [root, '/usr/sbin/nginx', '-c', '/run/queunir-test/nginx.conf', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let nginxOut = '';
  nginx.stderr.on('data', (c: Buffer) => (nginxOut += c.toString()));
  const nginxExited = new Promise<void>((resolve) => nginx.once('exit', () => resolve()));
  services.push({
    name: 'nginx', child: nginx, output: () => nginxOut, uid: 0, groups: [0],
    stop: async () => {
      if (nginx.exitCode !== null || nginx.signalCode !== null) return;
      nginx.kill('SIGQUIT');
      const timer = setTimeout(() => nginx.kill('SIGKILL'), 10_000);
      await nginxExited;
      clearTimeout(timer);
    },
  });
  const ca = fs.readFileSync(inRoot(`etc/wank/tls/${DOMAIN}.crt`), 'utf8');
  const page = await waitFor('nginx answering over HTTPS', async () => {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${nginxOut}`);
    return await httpsGet(httpsPort, '/', ca);
  });
  // Read inside the root: /var/www/app -> /opt/queunir/current/dist/web are links within it.
  const indexHtml = inside(['cat', '/var/www/app/index.html']);
  t.equal(page.status, 200, `GET https://${DOMAIN}/ is 200`);
  t.equal(page.body, indexHtml, "the body is the release's dist/web/index.html (through /var/www/app)");
  t.match(page.body, /<div id="root">/);
  t.match(String(page.headers['strict-transport-security']), /max-age=\d+/, 'HSTS');
  t.match(String(page.headers['cache-control']), /no-cache|no-store/, 'index.html is not cached');
  const deep = await httpsGet(httpsPort, '/inbox/some/chat', ca);
  t.equal(deep.status, 200, 'an app route falls back to index.html');
  t.equal(deep.body, indexHtml);

  const proxied = await httpsGet(httpsPort, '/healthz', ca);
  t.equal(proxied.status, 200, '/healthz through nginx');
  t.same(JSON.parse(proxied.body), { status: 'ok', database: 'ok', supervisor: 'ok' });
  const me = await httpsGet(httpsPort, '/api/me', ca);
  t.equal(me.status, 401, '/api/me through nginx: 401 without a session');
  t.match(JSON.parse(me.body), { error: { kind: 'Unauthenticated' } }, "the gateway's error body");
  t.match(String(me.headers['x-request-id']), /^[0-9a-f]{32}$/, 'nginx gives the request an id');
  const metrics = await httpsGet(httpsPort, '/metrics', ca);
  t.equal(metrics.status, 404, '/metrics is not served through nginx');
  const plain = await request(`http://127.0.0.1:${httpPort}/login`, { headers: { host: DOMAIN } });
  t.equal(plain.status, 301, 'HTTP answers with a redirect');
  t.equal(plain.headers.location, `https://${DOMAIN}/login`);

  t.comment(`timings: ${timings.join('; ')}; until the checks: ${((Date.now() - started) / 1000).toFixed(0)} s`);
});

t.test('teardown: nothing left running or mounted in the root, the root gone', async (t) => {
  if (!created) return t.pass('no root was made');
  const t0 = Date.now();
  const said = await teardown();
  if (said) t.comment(said);
  timings.push(`teardown ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t.equal(sh('bash', [FRESH, 'mounts', path.dirname(root)]).trim().split('\n').filter((m) => m.startsWith(root)).join(','), '', 'no mount left under the root');
  t.notOk(fs.existsSync(root), 'the root is deleted');
  t.comment(`timings: ${timings.join('; ')}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
});
