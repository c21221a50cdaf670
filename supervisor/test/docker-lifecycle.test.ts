// The lifecycle suite against a real Docker engine (started by scripts/ensure-docker.sh when none
// runs; the test fails if it cannot) with the real slice image (built by
// scripts/build-slice-image.sh; a no-op when up to date), plus: a container without the managed
// label is never touched.
import fs from 'node:fs';
import t from 'tap';
import { docker, sliceNetworkCluster, tempDir } from './helpers.ts';
import { lifecycleSuite } from './lifecycle.ts';

const IMAGE = process.env.SLICE_IMAGE ?? 'queunir/slice:latest';
// Each container start compiles the slice (tsx) and launches Chromium: on 2 shared cores the whole
// file takes minutes, beyond tap's default per-file timeout.
t.setTimeout(20 * 60_000);
const { cluster } = await sliceNetworkCluster('supervisor-docker', IMAGE);
t.teardown(() => cluster.stop());
const dir = tempDir('docker');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const IDS: [number, number] = [21, 22];
const UNLABELLED = 'queunir-test-unlabelled';

function containerId(id: number): string | null {
  try {
    const out = docker('inspect', '-f', '{{.Id}} {{.State.Running}}', `wank-slice-${id}`);
    const [cid, running] = out.split(' ');
    return running === 'true' ? cid! : null;
  } catch {
    return null;
  }
}
function volumeExists(id: number): boolean {
  try {
    docker('volume', 'inspect', `wank-slice-${id}-auth`);
    return true;
  } catch {
    return false;
  }
}

// Leftovers of an earlier run of this file (our own labels only), and a container of someone
// else's: no label, running, which nothing here may touch.
for (const id of IDS) {
  try {
    if (docker('inspect', '-f', '{{index .Config.Labels "com.queunir.managed"}}', `wank-slice-${id}`) === 'true') docker('rm', '-f', `wank-slice-${id}`);
  } catch {}
}
try {
  docker('rm', '-f', UNLABELLED);
} catch {}
const unlabelledId = docker('run', '-d', '--name', UNLABELLED, '--entrypoint', 'sleep', IMAGE, '3600');
t.teardown(() => {
  try {
    docker('rm', '-f', UNLABELLED);
  } catch {}
});

await lifecycleSuite(t, {
  runtime: 'docker',
  ids: IDS,
  adminUrl: cluster.adminUrl,
  stateDir: dir,
  extraEnv: { SLICE_IMAGE: IMAGE, SLICE_MEMORY_MB: '1024' },
  killFromOutside: (id) => void docker('kill', `wank-slice-${id}`),
  instanceId: containerId,
  endedAt: (id, since) => {
    const out = docker('events', '--since', String(Math.floor(since / 1000)), '--until', String(Math.ceil(Date.now() / 1000) + 1),
      '--filter', `container=wank-slice-${id}`, '--filter', 'event=die', '--format', '{{.TimeNano}}');
    const first = out.split('\n').map(Number).find((n) => n / 1e6 >= since - 1000);
    return first ? Math.round(first / 1e6) : since;
  },
  authStoreExists: volumeExists,
  // docker top: the container's processes as the host sees them, one command line a row.
  browserArgs: (id) => docker('top', `wank-slice-${id}`, '-eo', 'pid,args').split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(1)),
  expectBrowserSandbox: true,
  writeToStore: (id, name, text) =>
    void docker('run', '--rm', '--network', 'none', '--user', '0', '--entrypoint', 'sh', '-v', `wank-slice-${id}-auth:/v`, IMAGE, '-c', 'printf %s "$1" > "/v/$2"', 'sh', text, name),
  readFromStore: (id, name) => {
    if (!volumeExists(id)) return null;
    const out = docker('run', '--rm', '--network', 'none', '--user', '0', '--entrypoint', 'sh', '-v', `wank-slice-${id}-auth:/v:ro`, IMAGE, '-c', 'cat "/v/$1" 2>/dev/null || printf "<none>"', 'sh', name);
    return out === '<none>' ? null : out;
  },
});

t.test('a container without the managed label is never touched', async (t) => {
  const after = docker('inspect', '-f', '{{.Id}} {{.State.Running}} {{.RestartCount}}', UNLABELLED);
  t.equal(after, `${unlabelledId} true 0`, 'still running, same id, never restarted');
});

t.teardown(() => {
  for (const id of IDS) {
    try {
      if (docker('inspect', '-f', '{{index .Config.Labels "com.queunir.managed"}}', `wank-slice-${id}`) === 'true') docker('rm', '-f', `wank-slice-${id}`);
    } catch {}
  }
});
