// The units as systemd itself reads them: `systemd-analyze verify` (Debian's systemd, not running
// as PID 1 here: verify needs no manager) must be clean, must catch a broken copy, and the
// privilege split the design asks for must hold in the files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseUnit, ROOT, tempDir, which } from './helpers.ts';

const analyze = which('systemd-analyze');
const units = ['wank-gateway.service', 'wank-supervisor.service'].map((u) => path.join(ROOT, 'systemd', u));

function verify(files: string[]) {
  const r = spawnSync(analyze, ['verify', ...files], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

t.test('systemd-analyze verify is clean on both units', async (t) => {
  const r = verify(units);
  t.equal(r.output, '', 'no warnings');
  t.equal(r.status, 0);
});

t.test('verify catches a broken unit (the check above can fail)', async (t) => {
  const dir = tempDir('units');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const broken = path.join(dir, 'wank-gateway.service');
  fs.writeFileSync(broken, fs.readFileSync(units[0]!, 'utf8').replace('ExecStart=/usr/bin/node', 'ExecStart=/usr/bin/no-such-node'));
  const r = verify([broken]);
  t.not(r.status, 0);
  t.match(r.output, /no-such-node/);
});

t.test('the gateway: unprivileged, outside the docker group, reaching the socket through wank-sock', async (t) => {
  const u = parseUnit(units[0]!);
  t.equal(u.get('User'), 'wank-gateway');
  t.equal(u.get('Group'), 'wank-gateway');
  t.same(u.all('SupplementaryGroups').join(' ').split(/\s+/), ['wank-sock']);
  t.notMatch(u.all('SupplementaryGroups').join(' '), /docker/);
  t.equal(u.get('EnvironmentFile'), '/etc/wank/gateway.env');
  t.match(u.get('ExecStart'), /^\/usr\/bin\/node dist\/server\/gateway\.mjs$/);
  t.match(u.get('Environment'), /PORT=3000/);
  t.match(u.get('Environment'), /HOST=127\.0\.0\.1/);
  t.equal(u.get('RuntimeDirectory'), undefined, 'the socket directory is the supervisor\'s');
});

t.test('the supervisor: docker and wank-sock, the socket directory made by systemd 0750', async (t) => {
  const u = parseUnit(units[1]!);
  t.equal(u.get('User'), 'wank-supervisor');
  t.equal(u.get('Group'), 'wank-sock', 'the socket and its directory belong to group wank-sock');
  t.same(u.all('SupplementaryGroups').join(' ').split(/\s+/), ['docker']);
  t.equal(u.get('RuntimeDirectory'), 'wank');
  t.equal(u.get('RuntimeDirectoryMode'), '0750');
  t.equal(u.get('UMask'), '0007', 'the socket comes out 0660');
  t.equal(u.get('EnvironmentFile'), '/etc/wank/supervisor.env');
  t.match(u.get('Environment'), /SUPERVISOR_SOCKET=\/run\/wank\/supervisor\.sock/);
  t.match(u.get('Environment'), /RUNTIME=docker/);
});

t.test('both units: restart on failure and the hardening set', async (t) => {
  for (const file of units) {
    const u = parseUnit(file);
    const name = path.basename(file);
    t.equal(u.get('Restart'), 'on-failure', `${name} Restart`);
    for (const [k, v] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      CapabilityBoundingSet: '',
      LockPersonality: 'yes',
      RestrictSUIDSGID: 'yes',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
    })) {
      t.equal(u.get(k), v, `${name} ${k}=${v}`);
    }
    t.equal(u.get('ReadWritePaths'), undefined, `${name}: writes only to its StateDirectory`);
    t.match(u.get('StateDirectory'), /^wank\//);
    // systemd's own score of the sandbox, offline: lower is better, 10 is no sandbox at all.
    const sec = spawnSync(analyze, ['security', '--offline=yes', file], { encoding: 'utf8' });
    const m = /Overall exposure level for \S+: ([\d.]+)/.exec(sec.stdout + sec.stderr);
    t.ok(m, `${name}: systemd-analyze security scored it`);
    const score = Number(m?.[1]);
    t.comment(`${name}: systemd-analyze security exposure ${score}`);
    t.ok(score <= 3, `${name}: exposure ${score} ≤ 3`);
  }
});
