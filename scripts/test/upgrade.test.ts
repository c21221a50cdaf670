// scripts/upgrade on an installation made by scripts/install --prefix, with the real gateway
// running from /opt/queunir/current against a real PostgreSQL: a good upgrade switches and stays;
// a release whose gateway cannot start is rolled back to the old link and the old gateway
// answers again. The restart command plays systemd's part (same env file, same ExecStart).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startTestCluster } from '../../test-support/pg.ts';
import { bash, freePort, request, ROOT, tempDir } from './helpers.ts';

t.setTimeout(900_000);

function snapshotSource(): string {
  const src = tempDir('source');
  bash(`source scripts/lib-ops.sh; source scripts/lib-release.sh; release_files "$PWD" | tar -C "$PWD" --no-recursion -cf - -T - | tar -C "$SRC" -xf -`, { SRC: src });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));
  return src;
}
function copySource(from: string): string {
  const to = tempDir('source');
  bash(`tar -C "$A" --exclude=./node_modules -cf - . | tar -C "$B" -xf -`, { A: from, B: to });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'));
  return to;
}
const run = (script: string, args: string[]) => {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: 400_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

const prefix = tempDir('upgrade');
const sources: string[] = [];
t.teardown(() => {
  for (const d of [prefix, ...sources]) fs.rmSync(d, { recursive: true, force: true });
});
const cluster = await startTestCluster('deploy-upgrade');
t.teardown(() => cluster.stop());

const src1 = snapshotSource();
sources.push(src1);
const installed = run(path.join(src1, 'scripts/install'), ['--prefix', prefix, '--domain', 'crm.example.com', '--no-start']);
// Set-up failures throw (top-level assertions would end tap's root test early).
if (installed.status !== 0) throw new Error(`install failed: ${installed.out.slice(-2000)}`);

// Point the installed env files at this test's PostgreSQL and port.
const port = await freePort();
const gwEnvFile = path.join(prefix, 'etc/wank/gateway.env');
const svEnvFile = path.join(prefix, 'etc/wank/supervisor.env');
const gwPassword = /postgres:\/\/wank_gateway:([^@]+)@/.exec(fs.readFileSync(gwEnvFile, 'utf8'))![1]!;
const gwUrl = new URL(cluster.adminUrl);
gwUrl.username = 'wank_gateway';
gwUrl.password = gwPassword;
bash(`source scripts/lib-ops.sh
  env_set "$GW" DATABASE_URL "$GWURL"; env_set "$GW" PUBLIC_URL http://127.0.0.1:${port}; env_set "$GW" PORT ${port}
  env_set "$SV" DATABASE_URL "$ADMIN"`, { GW: gwEnvFile, SV: svEnvFile, GWURL: gwUrl.toString(), ADMIN: cluster.adminUrl });
const migrate = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts', '--admin-env', svEnvFile, '--gateway-env', gwEnvFile], { cwd: path.join(prefix, 'opt/queunir/current'), encoding: 'utf8' });
if (migrate.status !== 0) throw new Error(`db-migrate failed: ${migrate.stderr}`);

// What wank-gateway.service does, by hand: the env file, then ExecStart in WorkingDirectory.
const restart = path.join(prefix, 'restart-gateway.sh');
fs.writeFileSync(
  restart,
  `#!/usr/bin/env bash
set -euo pipefail
P=${prefix}
if [ -f "$P/gateway.pid" ]; then
  pid=$(cat "$P/gateway.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
cd "$P/opt/queunir/current"
set -a; . "$P/etc/wank/gateway.env"; set +a
export NODE_ENV=production HOST=127.0.0.1 SUPERVISOR_SOCKET=$P/no-supervisor.sock LOG_LEVEL=warn
# The unit's own ExecStart arguments, from the release being started.
args=$(sed -n 's|^ExecStart=[^ ]*node ||p' systemd/wank-gateway.service)
setsid ${process.execPath} $args >>"$P/gateway.log" 2>&1 </dev/null &
echo $! >"$P/gateway.pid"
`,
  { mode: 0o755 },
);
t.teardown(() => {
  const pidFile = path.join(prefix, 'gateway.pid');
  if (fs.existsSync(pidFile)) spawnSync('kill', [fs.readFileSync(pidFile, 'utf8').trim()]);
});
const health = `http://127.0.0.1:${port}/healthz`;
const upgradeArgs = ['--prefix', prefix, '--restart-cmd', `bash ${restart}`, '--health-url', health, '--health-timeout', '60'];
bash(`bash ${restart}`);
const currentLink = path.join(prefix, 'opt/queunir/current');
const first = fs.realpathSync(currentLink);

async function healthy(): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await request(health)).status === 200) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
if (!(await healthy())) throw new Error(`the installed release does not answer: ${fs.readFileSync(path.join(prefix, 'gateway.log'), 'utf8')}`);

let second = '';
t.test('a good upgrade: new release beside the old, migrated, switched, healthy', async (t) => {
  const src2 = copySource(src1);
  sources.push(src2);
  fs.writeFileSync(path.join(src2, 'UPGRADE-MARKER'), 'release two\n');
  const r = run(path.join(src2, 'scripts/upgrade'), upgradeArgs);
  t.equal(r.status, 0, r.out.slice(-3000));
  t.match(r.out, /upgraded: \S+ -> \S+/);
  t.match(r.out, /db-migrate: .*role wank_gateway ready/);
  second = fs.realpathSync(currentLink);
  t.not(second, first, 'current moved');
  t.ok(fs.existsSync(path.join(second, 'UPGRADE-MARKER')), 'to the new source');
  t.ok(fs.existsSync(first), 'the old release is kept beside it');
  t.equal(fs.realpathSync(path.join(prefix, 'var/www/app')), path.join(second, 'dist/web'), 'the web root follows');
  t.ok(await healthy());
  const again = run(path.join(src2, 'scripts/upgrade'), upgradeArgs);
  t.equal(again.status, 0);
  t.match(again.out, /already up to date/);
});

t.test('a release whose gateway does not start is rolled back', async (t) => {
  const src3 = copySource(sources.at(-1)!);
  sources.push(src3);
  fs.writeFileSync(path.join(src3, 'gateway/main.ts'), "// a broken release\nprocess.stderr.write('gateway: broken on purpose\\n');\nprocess.exit(3);\n");
  const r = run(path.join(src3, 'scripts/upgrade'), [...upgradeArgs.slice(0, -1), '15']);
  t.equal(r.status, 1, r.out.slice(-3000));
  t.match(r.out, /not healthy within 15 s: rolling back/);
  t.match(r.out, /rolled back: \S+ runs and is healthy/);
  t.equal(fs.realpathSync(currentLink), second, 'current points at the previous release again');
  t.equal(fs.realpathSync(path.join(prefix, 'var/www/app')), path.join(second, 'dist/web'));
  t.match(fs.readFileSync(path.join(prefix, 'gateway.log'), 'utf8'), /broken on purpose/, 'the broken release did run');
  t.ok(await healthy(), 'the old gateway answers again');
});
