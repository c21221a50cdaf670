// scripts/install: --dry-run prints every step and changes nothing on this machine; a real run
// into a throwaway --prefix lays out the release, the web root, the env files, the certificate,
// the nginx site and the units, and a second run keeps the secrets and the release.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { bash, ROOT, tempDir, which } from './helpers.ts';

const install = path.join(ROOT, 'scripts', 'install');

function runInstall(args: string[], env: NodeJS.ProcessEnv = {}, script = install) {
  const r = spawnSync('bash', [script, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 280_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** What the installer would touch on this machine, to prove a dry run touched none of it. */
function snapshot(): string {
  const paths = ['/etc/wank', '/opt/queunir', '/var/www/app', '/etc/nginx/sites-enabled', '/etc/nginx/sites-available', '/etc/systemd/system/wank-gateway.service', '/etc/systemd/system/wank-supervisor.service'];
  const users = spawnSync('getent', ['passwd', 'wank-gateway', 'wank-supervisor'], { encoding: 'utf8' }).stdout;
  const group = spawnSync('getent', ['group', 'wank-sock'], { encoding: 'utf8' }).stdout;
  const listing = paths.map((p) => {
    try {
      const st = fs.lstatSync(p);
      const entries = st.isDirectory() ? fs.readdirSync(p).sort().join(',') : '';
      return `${p} ${st.mode} ${st.mtimeMs} ${entries}`;
    } catch {
      return `${p} absent`;
    }
  });
  return [...listing, users, group].join('\n');
}

t.test('--dry-run prints every step and changes nothing', async (t) => {
  const before = snapshot();
  const r = runInstall(['--dry-run', '--domain', 'crm.example.com', '--email', 'ops@example.com']);
  t.equal(r.status, 0, r.out.slice(-3000));
  for (let i = 1; i <= 12; i++) t.match(r.out, new RegExp(`==> ${i}/12 `), `step ${i} is printed`);
  t.match(r.out, /useradd --system .* wank-gateway/);
  t.match(r.out, /usermod -a -G wank-sock wank-gateway/);
  t.match(r.out, /usermod -a -G docker,wank-sock wank-supervisor/);
  t.match(r.out, /create role wank_supervisor with CREATEROLE, database wank_saas/);
  t.match(r.out, /scripts\/db-migrate\.ts --admin-env '\/etc\/wank\/supervisor\.env' --gateway-env '\/etc\/wank\/gateway\.env'/);
  t.match(r.out, /\/opt\/queunir\/releases\/0\.\d+\.\d+-\d{14}/);
  t.match(r.out, /ln -sfn .*\/opt\/queunir\/current/);
  t.match(r.out, /make_self_signed_cert crm\.example\.com \/etc\/wank\/tls\/crm\.example\.com\.crt/);
  t.match(r.out, /nginx -t/);
  t.match(r.out, /build-slice-image\.sh/);
  t.match(r.out, /wank-gateway\.service/);
  t.notMatch(r.out, /SESSION_SECRET=|postgres:\/\/[^:\s]+:[^@\s]+@/, 'no secret is printed');
  t.equal(snapshot(), before, 'nothing on the machine changed');
});

t.test('an old Node is refused with how to get a new one', async (t) => {
  const dir = tempDir('oldnode');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fake = path.join(dir, 'node');
  // A stand-in for Node 18: answers -v, fails the version check the way an old node does.
  fs.writeFileSync(fake, '#!/bin/sh\n[ "$1" = -v ] && { echo v18.19.0; exit 0; }\nexit 1\n', { mode: 0o755 });
  const r = runInstall(['--dry-run', '--domain', 'crm.example.com'], { NODE_BIN: fake });
  t.not(r.status, 0);
  t.match(r.out, /Node\.js v18\.19\.0 is too old/);
  t.match(r.out, /Node 20 LTS/);
});

t.test('bad options are refused before anything happens', async (t) => {
  const a = runInstall(['--dry-run', '--domain', 'bad domain;rm']);
  t.not(a.status, 0);
  t.match(a.out, /is not a host name/);
  const b = runInstall(['--frobnicate']);
  t.equal(b.status, 2);
  t.match(b.out, /unknown option '--frobnicate'/);
});

t.test('a real run into --prefix, twice: same secrets, same release, the files in place', async (t) => {
  which('openssl');
  const prefix = tempDir('prefix');
  t.teardown(() => fs.rmSync(prefix, { recursive: true, force: true }));
  // A snapshot of the checkout (the working tree changes under other work while this runs),
  // sharing this checkout's node_modules through a symlink.
  const src = tempDir('source');
  t.teardown(() => fs.rmSync(src, { recursive: true, force: true }));
  bash(`source scripts/lib-ops.sh; source scripts/lib-release.sh; release_files "$PWD" | tar -C "$PWD" --no-recursion -cf - -T - | tar -C "$SRC" -xf -`, { SRC: src });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));
  const srcInstall = path.join(src, 'scripts', 'install');
  const first = runInstall(['--prefix', prefix, '--domain', 'crm.example.com', '--no-start'], {}, srcInstall);
  t.equal(first.status, 0, first.out.slice(-3000));

  const gwEnv = path.join(prefix, 'etc/wank/gateway.env');
  const svEnv = path.join(prefix, 'etc/wank/supervisor.env');
  for (const f of [gwEnv, svEnv]) t.equal(fs.statSync(f).mode & 0o777, 0o600, `${f} is 0600`);
  const gw1 = fs.readFileSync(gwEnv, 'utf8');
  const sv1 = fs.readFileSync(svEnv, 'utf8');
  t.match(gw1, /^DATABASE_URL=postgres:\/\/wank_gateway:[A-Za-z0-9]{30,}@127\.0\.0\.1:\d+\/wank_saas$/m);
  t.match(gw1, /^SESSION_SECRET=[A-Za-z0-9]{48,}$/m);
  t.match(gw1, /^PUBLIC_URL=https:\/\/crm\.example\.com$/m);
  t.match(sv1, /^DATABASE_URL=postgres:\/\/wank_supervisor:[A-Za-z0-9]{30,}@127\.0\.0\.1:\d+\/wank_saas$/m);
  t.match(sv1, /^SLICE_IMAGE=queunir\/slice:latest$/m);

  const current = fs.realpathSync(path.join(prefix, 'opt/queunir/current'));
  t.match(path.basename(current), /^\d+\.\d+\.\d+-\d{14}$/);
  for (const f of ['gateway/main.ts', 'dist/server/gateway.mjs', 'dist/server/supervisor.mjs', 'supervisor/protocol.ts', 'scripts/db-migrate.ts', 'node_modules/tsx/package.json', 'node_modules/fastify/package.json', 'dist/web/index.html']) {
    t.ok(fs.existsSync(path.join(current, f)), `the release has ${f}`);
  }
  t.notOk(fs.existsSync(path.join(current, 'node_modules/vite')), 'dev dependencies are pruned');
  t.notOk(fs.existsSync(path.join(current, '.git')), 'no .git in the release');
  t.equal(fs.realpathSync(path.join(prefix, 'var/www/app')), path.join(current, 'dist/web'), '/var/www/app is the release\'s dist/web');

  const site = fs.readFileSync(path.join(prefix, 'etc/nginx/sites-available/queunir'), 'utf8');
  t.match(site, /server_name crm\.example\.com;/);
  t.match(site, /ssl_certificate\s+\/etc\/wank\/tls\/crm\.example\.com\.crt;/, 'the site names the production path of the cert');
  t.ok(fs.lstatSync(path.join(prefix, 'etc/nginx/sites-enabled/queunir')).isSymbolicLink());
  const key = path.join(prefix, 'etc/wank/tls/crm.example.com.key');
  t.equal(fs.statSync(key).mode & 0o777, 0o600, 'the TLS key is 0600');
  const certText = spawnSync('openssl', ['x509', '-in', path.join(prefix, 'etc/wank/tls/crm.example.com.crt'), '-noout', '-subject', '-ext', 'subjectAltName'], { encoding: 'utf8' }).stdout;
  t.match(certText, /DNS:crm\.example\.com/);
  const unit = fs.readFileSync(path.join(prefix, 'etc/systemd/system/wank-gateway.service'), 'utf8');
  t.match(unit, new RegExp(`^ExecStart=${fs.realpathSync(process.execPath).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} dist/server/gateway\\.mjs$`, 'm'), 'the unit runs this machine\'s node');

  t.ok(fs.existsSync(path.join(ROOT, 'node_modules/vite/package.json')), 'the source\'s node_modules was not pruned');
  const second = runInstall(['--prefix', prefix, '--domain', 'crm.example.com', '--no-start'], {}, srcInstall);
  t.equal(second.status, 0, second.out.slice(-3000));
  t.match(second.out, /the source is unchanged since .*: reusing it/);
  t.match(second.out, /keeping the self-signed certificate/);
  t.equal(fs.readFileSync(gwEnv, 'utf8'), gw1, 'gateway.env is the same (secrets kept)');
  t.equal(fs.readFileSync(svEnv, 'utf8'), sv1, 'supervisor.env is the same');
  t.equal(fs.realpathSync(path.join(prefix, 'opt/queunir/current')), current, 'the same release');
  t.equal(fs.readdirSync(path.join(prefix, 'opt/queunir/releases')).length, 1, 'no second release');
});

t.test('pg_hba: the slice subnet admits slice_N roles only; the lines replace earlier ones', async (t) => {
  const dir = tempDir('pghba');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The cluster version as pg_lsclusters reports it: 16+ gets the role regex, older the named rejects.
  const rendered = (ver: string) => {
    const bin = path.join(dir, `bin${ver}`);
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pg_lsclusters'), `#!/bin/sh\necho "${ver} main 5432 online postgres /x /y"\n`, { mode: 0o755 });
    const r = runInstall(['--dry-run', '--domain', 'crm.example.com'], { PATH: `${bin}:${process.env.PATH}` });
    t.equal(r.status, 0, r.out.slice(-2000));
    const cmd = r.out.split('\n').find((l) => l.includes('pg_hba.conf') && l.startsWith('+ sed'));
    t.ok(cmd, 'the pg_hba step is printed');
    // Run the printed step on a copy that has an earlier version's line.
    const hba = path.join(dir, `pg_hba${ver}.conf`);
    fs.writeFileSync(hba, 'local all all peer\nhost    wank_saas    all    172.30.77.0/24    scram-sha-256    # queunir slices\n');
    const run = spawnSync('bash', ['-c', cmd!.slice(2).replaceAll(`/etc/postgresql/${ver}/main/pg_hba.conf`, hba)], { encoding: 'utf8' });
    t.equal(run.status, 0, run.stderr);
    return fs.readFileSync(hba, 'utf8').trim().split('\n').map((l) => l.replace(/\s+#.*$/, '').split(/\s+/).join(' '));
  };
  t.same(rendered('16'), ['local all all peer', 'host wank_saas /^slice_[0-9]+$ 172.30.77.0/24 scram-sha-256', 'host all all 172.30.77.0/24 reject']);
  // No role regexes before 16: the slice roles by name (MAX_SLICES, 200 by default), still an allowlist.
  const slices = Array.from({ length: 200 }, (_, i) => `slice_${i + 1}`).join(',');
  t.same(rendered('15'), ['local all all peer', `host wank_saas ${slices} 172.30.77.0/24 scram-sha-256`, 'host all all 172.30.77.0/24 reject']);
});
