// The restore drill: Debian's PostgreSQL set up the way scripts/install does (admin role
// wank_supervisor owning wank_saas, wank_gateway through scripts/db-migrate.ts), a slice schema
// with chats, a registered user (through the real gateway), the env files, the supervisor's state
// with a process-runtime auth dir, and a WhatsApp session volume in the real Docker engine.
// scripts/backup → wipe everything (a new, empty PostgreSQL cluster; the files and the volume
// gone) → scripts/restore → the same chats, the same login, the same session files.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { provisionSlice } from '../../sql/provision.ts';
import { launchGateway, request, ROOT, startDebianCluster, tempDir, which } from './helpers.ts';

which('pg_dump');
which('runuser');
const docker = (args: string[], input?: string) => execFileSync('docker', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
// (ensure-docker.sh only when no engine answers: it waits on a lock a running dockerd may hold.)
if (spawnSync('docker', ['info']).status !== 0) execFileSync('bash', [path.join(ROOT, 'scripts/ensure-docker.sh')], { stdio: 'inherit' });
// An image with tar in it, built offline the way the slice image is (the base is enough).
const IMAGE = 'queunir/slice-base:bookworm';
if (spawnSync('docker', ['image', 'inspect', IMAGE]).status !== 0) {
  execFileSync('bash', [path.join(ROOT, 'scripts/build-slice-image.sh')], { stdio: 'inherit', cwd: ROOT });
}

const pg = await startDebianCluster();
t.teardown(() => pg.destroy());
const root = tempDir('drill');
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
const etc = path.join(root, 'etc', 'wank');
const stateDir = path.join(root, 'lib', 'supervisor');
const backups = path.join(root, 'backups');
// Volume names of this test alone (never the machine's real wank-slice-N-auth).
const volumePrefix = `qtest-${process.pid}-slice-`;
const volume = `${volumePrefix}1-auth`;
// A session volume the backup does not know (a slice removed after it, an older backup restored).
const foreign = `${volumePrefix}9-auth`;
const quarantine = path.join(root, 'quarantine');
t.teardown(() => spawnSync('docker', ['volume', 'rm', '-f', volume, foreign]));

// --- the installed state ------------------------------------------------------------------
const adminPassword = crypto.randomBytes(18).toString('base64url');
const gatewayPassword = crypto.randomBytes(18).toString('base64url');
pg.psql(`CREATE ROLE wank_supervisor WITH LOGIN CREATEROLE PASSWORD '${adminPassword}'; CREATE DATABASE wank_saas OWNER wank_supervisor;`);
const adminUrl = pg.url('wank_supervisor', adminPassword);
fs.mkdirSync(etc, { recursive: true });
fs.mkdirSync(path.join(etc, 'tls'), { mode: 0o700 });
fs.writeFileSync(path.join(etc, 'tls', 'crm.example.com.key'), 'not really a key\n', { mode: 0o600 });
const gatewayEnv = {
  DATABASE_URL: pg.url('wank_gateway', gatewayPassword),
  SESSION_SECRET: crypto.randomBytes(40).toString('base64url'),
  PUBLIC_URL: 'https://crm.example.com',
};
fs.writeFileSync(path.join(etc, 'gateway.env'), Object.entries(gatewayEnv).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
fs.writeFileSync(path.join(etc, 'supervisor.env'), `DATABASE_URL=${adminUrl}\nSTATE_DIR=${stateDir}\nSLICE_IMAGE=${IMAGE}\n`, { mode: 0o600 });

const email = 'owner@example.com';
const password = 'a long enough password';
const origin = gatewayEnv.PUBLIC_URL;
let sliceUrl = '';
let archive = '';
let before = { gatewayEnv: '', supervisorEnv: '' };
const common: string[] = [];
let authFile = '';
let authBytes = Buffer.alloc(0);
let volumeBytes = '';

await t.test('the installed state, its backup, and a wipe', async (t) => {
  const migrate = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts', '--admin-env', path.join(etc, 'supervisor.env'), '--gateway-env', path.join(etc, 'gateway.env')], { cwd: ROOT, encoding: 'utf8' });
  t.equal(migrate.status, 0, `db-migrate: ${migrate.stderr}`);
  t.match(migrate.stdout, /role wank_gateway ready, gateway migrations applied: \S/);
  t.notMatch(migrate.stdout + migrate.stderr, new RegExp(`${adminPassword}|${gatewayPassword}`), 'db-migrate prints no password');

  const admin = createDb<any>(adminUrl, { max: 2 });
  const slice = await provisionSlice(admin, 1);
  await admin.destroy();
  t.ok(slice.password, 'slice_1 was created by the (non-superuser) admin role');
  sliceUrl = pg.url('slice_1', slice.password!);
  const sliceDb = createDb<any>(sliceUrl, { max: 1 });
  await sliceDb
    .withSchema('slice_1')
    .insertInto('chats')
    .values([
      { wa_id: '351911111111@c.us', name: 'Ana Costa', phone: '+351911111111', preview: 'Olá!', unread_count: 2 },
      { wa_id: '351922222222@c.us', name: 'Bruno Dias', phone: '+351922222222', preview: 'Obrigado', unread_count: 0 },
    ])
    .execute();
  await sliceDb.destroy();

  // The process runtime's auth dir and the supervisor's record of slice 1.
  authFile = path.join(stateDir, 'auth', 'slice-1', 'session', 'Default', 'Cookies');
  fs.mkdirSync(path.dirname(authFile), { recursive: true, mode: 0o700 });
  authBytes = crypto.randomBytes(4096);
  fs.writeFileSync(authFile, authBytes, { mode: 0o600 });
  fs.writeFileSync(path.join(stateDir, 'slices.json'), JSON.stringify({ 1: { token: 'tok-1', desired: 'RUNNING' } }), { mode: 0o600 });
  fs.mkdirSync(path.join(stateDir, 'slices'), { mode: 0o700 });
  fs.writeFileSync(path.join(stateDir, 'slices', 'slice-1.json'), JSON.stringify({ id: 1, token: 'tok-1', desired: 'running', createdAt: '2026-11-01T00:00:00Z', storeGeneration: 'gen-one' }) + '\n', { mode: 0o600 });
  fs.mkdirSync(path.join(stateDir, 'run'));
  fs.writeFileSync(path.join(stateDir, 'run', 'slice-1.pid'), '99999\n');

  // The Docker runtime's session volume.
  docker(['volume', 'create', '--label', 'com.queunir.managed=true', volume]);
  volumeBytes = crypto.randomBytes(3000).toString('base64');
  docker(['run', '--rm', '-i', '--network', 'none', '--entrypoint', 'sh', '-v', `${volume}:/v`, IMAGE, '-c', 'mkdir -p /v/session/Default && cat > /v/session/Default/Local-State && chown -R 10001:10001 /v'], volumeBytes);

  // A user registers through the real gateway.
  {
    const gw = await launchGateway(gatewayEnv);
    const reg = await request(`${gw.url}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email, password }) });
    await gw.stop();
    t.equal(reg.status, 200, `registered: ${reg.body}`);
  }

  // --- backup --------------------------------------------------------------------------------
  common.push(...['--etc', etc, '--pg-host', pg.socketDir, '--pg-port', String(pg.port), '--image', IMAGE]);
  const backup = spawnSync('bash', [path.join(ROOT, 'scripts/backup'), '--out', backups, '--state-dir', stateDir, '--volume-prefix', volumePrefix, ...common], { encoding: 'utf8' });
  t.equal(backup.status, 0, `backup: ${backup.stderr}`);
  archive = backup.stdout.trim();
  t.match(archive, new RegExp(`^${backups}/queunir-backup-\\d{8}T\\d{6}Z\\.tar$`));
  t.equal(fs.statSync(archive).mode & 0o777, 0o600, 'the archive is 0600 (it holds every secret)');
  const listing = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' });
  for (const f of ['./manifest.txt', './wank_saas.dump', './roles.sql', './etc.tar', './state.tar', `./volumes/${volume}.tar`]) t.match(listing, f, `the archive has ${f}`);

  before = {
    gatewayEnv: fs.readFileSync(path.join(etc, 'gateway.env'), 'utf8'),
    supervisorEnv: fs.readFileSync(path.join(etc, 'supervisor.env'), 'utf8'),
  };

  // --- wipe: a new empty server, no files, no volume ------------------------------------------
  pg.wipe();
  t.equal(pg.psql(`select count(*) from pg_roles where rolname in ('wank_gateway','wank_supervisor','slice_1')`), '0', 'the roles are gone');
  fs.rmSync(etc, { recursive: true });
  fs.rmSync(stateDir, { recursive: true });
  docker(['volume', 'rm', volume]);
});

t.test('restore refuses what is not a backup, and asks for --yes', async (t) => {
  const junk = path.join(root, 'junk.tar');
  execFileSync('tar', ['-C', root, '-cf', junk, 'backups']);
  const a = spawnSync('bash', [path.join(ROOT, 'scripts/restore'), junk, '--yes', '--no-services', ...common], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  t.not(a.status, 0);
  t.match(a.stderr, /is not a Queunir backup/);
  const b = spawnSync('bash', [path.join(ROOT, 'scripts/restore'), archive, '--no-services', ...common], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  t.not(b.status, 0);
  t.match(b.stderr, /not confirmed: pass --yes/);
  t.notOk(fs.existsSync(etc), 'nothing was restored');
});

t.test('restore brings back the same chats, the same login and the same session files', async (t) => {
  // On the server being restored to: a session volume of a slice the backup does not have.
  docker(['volume', 'create', '--label', 'com.queunir.managed=true', '--label', 'com.queunir.slice=9', foreign]);
  docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', '-v', `${foreign}:/v`, IMAGE, '-c', 'echo someone else > /v/login']);
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/restore'), archive, '--yes', '--no-services', '--volume-prefix', volumePrefix, '--quarantine', quarantine, ...common], { encoding: 'utf8' });
  t.equal(r.status, 0, `restore: ${r.stderr}`);
  t.equal(spawnSync('docker', ['volume', 'inspect', foreign]).status, 1, 'the volume the backup does not know is removed');
  t.match(execFileSync('tar', ['-xOf', path.join(quarantine, `${foreign}.tar`), './login'], { encoding: 'utf8' }), 'someone else', '… after its content went to the quarantine directory');
  t.match(r.stdout + r.stderr, new RegExp(`${foreign} is no restored slice's: moved to ${quarantine}`));
  t.equal(
    docker(['volume', 'inspect', '-f', '{{index .Labels "com.queunir.slice"}} {{index .Labels "com.queunir.generation"}}', volume]),
    '1 gen-one',
    'the restored volume carries the generation of the restored record of slice 1 (the supervisor checks it)',
  );

  t.equal(fs.readFileSync(path.join(etc, 'gateway.env'), 'utf8'), before.gatewayEnv, 'gateway.env');
  t.equal(fs.readFileSync(path.join(etc, 'supervisor.env'), 'utf8'), before.supervisorEnv, 'supervisor.env');
  t.equal(fs.statSync(path.join(etc, 'gateway.env')).mode & 0o777, 0o600, 'modes kept');
  t.equal(fs.readFileSync(path.join(etc, 'tls', 'crm.example.com.key'), 'utf8'), 'not really a key\n');

  t.same(fs.readFileSync(authFile), authBytes, 'the process runtime auth dir, byte for byte');
  t.same(JSON.parse(fs.readFileSync(path.join(stateDir, 'slices.json'), 'utf8')), { 1: { token: 'tok-1', desired: 'RUNNING' } });
  t.notOk(fs.existsSync(path.join(stateDir, 'run', 'slice-1.pid')), 'stale pid files are not restored');

  const restoredVolume = docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', '-v', `${volume}:/v:ro`, IMAGE, '-c', 'stat -c %u /v/session/Default/Local-State && cat /v/session/Default/Local-State']);
  t.equal(restoredVolume, `10001\n${volumeBytes}`, 'the session volume, with its owner');

  // slice_1 logs in with its old password and reads its chats.
  const sliceDb = createDb<any>(sliceUrl, { max: 1 });
  t.teardown(() => sliceDb.destroy());
  const chats = await sliceDb.withSchema('slice_1').selectFrom('chats').select(['name', 'preview', 'unread_count']).orderBy('name').execute();
  t.same(chats, [
    { name: 'Ana Costa', preview: 'Olá!', unread_count: 2 },
    { name: 'Bruno Dias', preview: 'Obrigado', unread_count: 0 },
  ]);
  // Isolation survives the restore: slice_1 still cannot read the gateway's schema.
  await t.rejects(sliceDb.withSchema('gateway').selectFrom('users').selectAll().execute(), /permission denied/);

  // The gateway starts from the restored env file and the user logs in with the same password.
  const gw = await launchGateway(gatewayEnv);
  t.teardown(() => gw.stop());
  const login = await request(`${gw.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email, password }) });
  t.equal(login.status, 200, `login: ${login.body}`);
  t.equal(JSON.parse(login.body).user.email, email);
  const wrong = await request(`${gw.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email, password: 'not the password at all' }) });
  t.equal(wrong.status, 401, 'and a wrong password still fails');
});
