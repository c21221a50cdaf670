// The container, network and volume specs, field by field (pure functions, no Docker needed).
import t from 'tap';
import { containerDatabaseUrl, containerSpec, networkSpec, sliceSeccompProfile, volumeName, volumeSpec } from '../runtimes/docker-spec.ts';

const input = {
  id: 7,
  image: 'queunir/slice:test',
  network: 'wank-slices',
  memoryMb: 768,
  pidsLimit: 512,
  shmMb: 512,
  cpus: 1.5,
  env: { DATABASE_URL: 'postgres://slice_7:pw@172.18.0.1:5432/wank_saas', SLICE_ID: '7', SLICE_TOKEN: 'x'.repeat(43), WA_MODE: 'sim' },
  command: null,
};
const spec = containerSpec(input);
const hc = spec.HostConfig;

t.test('name, image, labels', async (t) => {
  t.equal(spec.name, 'wank-slice-7');
  t.equal(spec.Image, 'queunir/slice:test');
  t.same(spec.Labels, { 'com.queunir.managed': 'true', 'com.queunir.slice': '7' });
  t.notOk('Cmd' in spec, "the image's command unless overridden");
  t.same(containerSpec({ ...baseInput(), command: ['node', 'x.ts'] }).Cmd, ['node', 'x.ts']);
});

t.test('port 3000/tcp published on 127.0.0.1:(5000 + 2N - 1) only', async (t) => {
  t.same(spec.ExposedPorts, { '3000/tcp': {} });
  t.same(hc.PortBindings, { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '5013' }] });
});

t.test('environment: in-container port, host and auth dir; the slice env passed through', async (t) => {
  const env = Object.fromEntries(spec.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  t.equal(env.SLICE_PORT, '3000');
  t.equal(env.SLICE_HOST, '0.0.0.0');
  t.equal(env.WA_AUTH_DIR, '/data/auth');
  t.equal(env.SLICE_ID, '7');
  t.equal(env.WA_MODE, 'sim');
  t.match(env.DATABASE_URL, /^postgres:\/\/slice_7:/);
});

t.test('session volume wank-slice-N-auth at the auth dir', async (t) => {
  t.same(hc.Mounts, [{ Type: 'volume', Source: 'wank-slice-7-auth', Target: '/data/auth', ReadOnly: false }]);
  t.equal(volumeName(7), 'wank-slice-7-auth');
  t.same(volumeSpec(7, 'gen-a'), { Name: 'wank-slice-7-auth', Labels: { 'com.queunir.managed': 'true', 'com.queunir.slice': '7', 'com.queunir.generation': 'gen-a' } }, 'labelled with the generation of the slice that owns it');
});

t.test('restart policy no: the supervisor owns restarts', async (t) => {
  t.same(hc.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
});

t.test('limits and privileges', async (t) => {
  t.equal(hc.Memory, 768 * 1024 * 1024);
  t.equal(hc.MemorySwap, 768 * 1024 * 1024, 'no swap beyond the limit');
  t.equal(hc.PidsLimit, 512);
  t.same(hc.CapDrop, ['ALL']);
  t.equal(hc.SecurityOpt[0], 'no-new-privileges');
  t.match(hc.SecurityOpt[1], /^seccomp=\{/, 'our own seccomp profile, sent as JSON');
  const profile = JSON.parse(hc.SecurityOpt[1]!.slice('seccomp='.length));
  t.same(profile, sliceSeccompProfile());
  const denied: string[] = profile.syscalls.flatMap((r: { names: string[]; action: string }) => (r.action === 'SCMP_ACT_ERRNO' ? r.names : []));
  for (const call of ['mount', 'keyctl', 'bpf', 'kexec_load', 'init_module']) t.ok(denied.includes(call), `${call} is refused`);
  for (const call of ['unshare', 'clone', 'clone3', 'setns', 'chroot']) t.notOk(denied.includes(call), `${call} is allowed: Chromium's sandbox makes its namespaces with it`);
  t.ok(spec.Env.includes('CHROMIUM_SANDBOX=true'), "the slice runs Chromium with its own sandbox");
  const off = containerSpec({ ...input, env: { ...input.env, CHROMIUM_SANDBOX: 'false' } });
  t.ok(off.Env.includes('CHROMIUM_SANDBOX=false') && !off.Env.includes('CHROMIUM_SANDBOX=true'), 'unless the operator turned it off (SLICE_CHROMIUM_SANDBOX=false)');
  t.equal(hc.ReadonlyRootfs, true);
  t.same(Object.keys(hc.Tmpfs), ['/tmp']);
  const tmpOpts = hc.Tmpfs['/tmp'].split(',');
  t.ok(tmpOpts.includes('noexec'), '/tmp is noexec: nothing written there runs');
  t.ok(tmpOpts.includes('nosuid'), '/tmp is nosuid');
  t.ok(tmpOpts.includes('nodev'), '/tmp is nodev');
  t.ok(hc.ShmSize >= 256 * 1024 * 1024, 'shm Chromium can live with');
  t.equal(hc.Init, true, 'an init reaps zombies');
  t.equal(hc.NetworkMode, 'wank-slices');
});

t.test('CPU limit from SLICE_CPUS as NanoCpus', async (t) => {
  t.equal(hc.NanoCpus, 1_500_000_000);
  t.equal(containerSpec({ ...baseInput(), cpus: 1 }).HostConfig.NanoCpus, 1_000_000_000);
  t.equal(containerSpec({ ...baseInput(), cpus: 0.1 }).HostConfig.NanoCpus, 100_000_000, 'an integer the Engine API accepts');
});

t.test("the container user is set in the spec, not left to the image: the image's slice uid:gid", async (t) => {
  t.equal(spec.User, '10001:10001');
  t.notOk(spec.User.startsWith('0'), 'never root');
});

t.test('network: labelled bridge with inter-container traffic off', async (t) => {
  t.same(networkSpec('wank-slices'), {
    Name: 'wank-slices',
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: { 'com.queunir.managed': 'true' },
    Options: { 'com.docker.network.bridge.enable_icc': 'false' },
  });
});

t.test('database URL rewritten to the host as containers see it', async (t) => {
  t.equal(containerDatabaseUrl('postgres://slice_7:p%40ss@127.0.0.1:54320/wank_saas', '172.18.0.1'), 'postgres://slice_7:p%40ss@172.18.0.1:54320/wank_saas');
});

function baseInput() {
  return { id: 1, image: 'i', network: 'n', memoryMb: 256, pidsLimit: 100, shmMb: 256, cpus: 1, env: {}, command: null };
}
