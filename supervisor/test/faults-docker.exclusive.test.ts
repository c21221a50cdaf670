// Faults that disturb every Docker user of the machine, so scripts/test.sh runs this file alone
// after the main run (package.json's tap.exclude keeps it out of that run): the Docker daemon
// restarted under a linked slice, and a slice killed by the kernel's OOM killer at its memory
// limit. Real Docker, real slice image, real Chromium and PostgreSQL; only WhatsApp's servers are
// the simulator (WA_MODE=sim).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import t from 'tap';
import { deliverStream, faultRig, someChat, waitFor } from './faults-docker-setup.ts';
import { docker, ensureDocker, sleep, waitForState } from './helpers.ts';

t.setTimeout(15 * 60_000);
const ID = 43;
// /dev/shm larger than the memory limit: filling it takes the cgroup over its limit (a slice uses
// ~200 MB, so the default 512 MB of /dev/shm under 768 MB would fill without an OOM).
const rig = await faultRig(t, 'faults-docker-exclusive', ID, { SLICE_MEMORY_MB: '768', SLICE_SHM_MB: '1024' });
const chat = await someChat(rig);

async function storedCount(waIds: string[]): Promise<number> {
  return (await rig.query(`select count(distinct wa_id)::int as n from ${rig.schema}.messages where wa_id = any($1)`, [waIds]))[0].n;
}

t.test('the Docker daemon restarted (SIGTERM, then scripts/ensure-docker.sh): the supervisor reconnects by itself, the slice comes back READY without a new QR, nothing lost', async (t) => {
  const before = await deliverStream(rig, chat.wa_id, 'before-engine-restart', 5);
  await waitFor('the first messages stored', async () => (await storedCount(before)) === before.length, 60_000);
  const old = rig.container()!;
  const pid = Number(fs.readFileSync('/var/run/docker.pid', 'utf8'));
  const stoppedAt = Date.now();
  process.kill(pid, 'SIGTERM');
  await waitFor('dockerd to exit', () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 60_000, 200);
  t.comment(`dockerd stopped in ${Date.now() - stoppedAt} ms`);
  await sleep(3000); // the supervisor sees the engine gone for a while (its event stream ends, calls fail)
  ensureDocker();
  const upAt = Date.now();
  t.comment(`dockerd answering again ${upAt - stoppedAt} ms after the SIGTERM`);
  // Without live-restore dockerd stops the containers with it; the supervisor must learn of it on
  // its own (nothing here tells it) and start the slice again.
  const info = await waitForState(rig.client, ID, 'RUNNING', 240_000, () => {
    const c = rig.container();
    return !!c && c.running && c.id !== old.id;
  });
  t.ok(info.restarts >= 1, `restarted by the supervisor (restarts ${info.restarts})`);
  const seen = await rig.untilWa('READY again', (s) => s === 'READY', 180_000);
  t.comment(`READY again ${Date.now() - upAt} ms after dockerd answered (${Date.now() - stoppedAt} ms after the SIGTERM)`);
  t.notOk(seen.includes('QR'), `READY without a new QR (${seen.join(' → ')})`);
  const after = await deliverStream(rig, chat.wa_id, 'after-engine-restart', 5);
  await waitFor('everything stored', async () => (await storedCount([...before, ...after])) === before.length + after.length, 60_000).catch(() => {});
  t.equal(await storedCount([...before, ...after]), before.length + after.length, 'the messages before and after are all stored');
  // The event stream is back too: a crash now is noticed (not only found by a later poll).
  const c = rig.container()!;
  const restarts = info.restarts;
  docker('kill', '-s', 'KILL', `wank-slice-${ID}`);
  await waitForState(rig.client, ID, 'RUNNING', 180_000, (i) => i.restarts === restarts + 1);
  t.not(rig.container()!.id, c.id, 'a kill after the engine restart is seen and the slice restarted (the event stream reconnected)');
  await rig.untilWa('READY', (s) => s === 'READY', 180_000);
});

t.test('a slice at its memory limit is killed by the kernel (cgroup OOM): it comes back READY without a new QR, and the supervisor says out of memory', async (t) => {
  const old = rig.container()!;
  t.ok(old.slicePid, `the slice's node process (pid ${old.slicePid})`);
  const restarts = (await rig.client.call('slice.getInfo', { id: ID })).restarts;
  // What a leak in the slice itself looks like to the kernel: its node process is the one it picks
  // (Chromium's renderers volunteer first otherwise), and /dev/shm, charged to the container's
  // memory cgroup and unswappable, fills until the cgroup is over its limit.
  fs.writeFileSync(`/proc/${old.slicePid}/oom_score_adj`, '1000');
  const filledAt = Date.now();
  try {
    execFileSync('docker', ['exec', `wank-slice-${ID}`, 'dd', 'if=/dev/zero', 'of=/dev/shm/fill', 'bs=1M', 'count=2048'], { stdio: 'ignore', timeout: 120_000 });
  } catch {
    // dd ends when /dev/shm is full, or with the container
  }
  await waitFor('the container to die', () => !(rig.container()?.running && rig.container()?.id === old.id), 60_000, 200).catch(() => {});
  // Docker's own word, from its event log: the container may already be removed and recreated by
  // the supervisor, so `docker inspect` of the old one can answer "No such object".
  const since = Math.floor(filledAt / 1000) - 1;
  const ooms = docker('events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', `container=${old.id}`, '--filter', 'event=oom', '--format', '{{.Action}}');
  t.match(ooms, /\boom\b/, "Docker's event log: an oom event for the old container");
  const info = await waitForState(rig.client, ID, 'RUNNING', 180_000, (i) => i.restarts === restarts + 1);
  t.match(info.lastError ?? '', /out of memory/, `the supervisor's lastError names it (${info.lastError})`);
  const exit = rig.events.find((e) => e.id === ID && e.to === 'EXITED' && Date.parse(e.at) >= filledAt - 1000);
  t.match(exit?.reason ?? '', /out of memory/, `the EXITED event's reason names it (${exit?.reason})`);
  const seen = await rig.untilWa('READY again', (s) => s === 'READY', 180_000);
  t.comment(`READY again ${Date.now() - filledAt} ms after the memory filled`);
  t.notOk(seen.includes('QR'), `READY without a new QR (${seen.join(' → ')})`);
});

