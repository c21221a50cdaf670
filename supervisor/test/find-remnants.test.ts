// slice.findRemnants in both runtimes: it names each thing of a slice that exists (schema, role,
// session store, container, the daemon's record) and nothing once the slice is removed with its
// data. The docker half runs a real engine (scripts/ensure-docker.sh; fails when none can run)
// and plants a container with the project's labels (from the slice image, which must exist) to be
// found and removed; no slice is started.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { startTestCluster } from '../../test-support/pg.ts';
import { SupervisorClient } from '../client.ts';
import { docker, sliceNetworkCluster, startDaemon, tempDir } from './helpers.ts';

t.setTimeout(10 * 60_000);
const IMAGE = process.env.SLICE_IMAGE ?? 'queunir/slice:latest';

async function daemonFor(t: Test, runtime: 'process' | 'docker', adminUrl: string, extraEnv: Record<string, string> = {}) {
  const dir = tempDir(`remnants-${runtime}`);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const socketPath = path.join(dir, 'run', 'supervisor.sock');
  const daemon = await startDaemon({ SUPERVISOR_SOCKET: socketPath, STATE_DIR: path.join(dir, 'state'), DATABASE_URL: adminUrl, RUNTIME: runtime, WA_MODE: 'sim', MAX_SLICES: '50', ...extraEnv });
  const client = new SupervisorClient({ socketPath, timeoutMs: 120_000 });
  t.teardown(async () => {
    await client.close();
    await daemon.stop('SIGTERM');
  });
  return { client, stateDir: path.join(dir, 'state') };
}

async function inDatabase(adminUrl: string, id: number): Promise<{ s: number; r: number }> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const r = await admin.query(`select (select count(*) from pg_namespace where nspname = 'slice_${id}')::int as s, (select count(*) from pg_roles where rolname = 'slice_${id}')::int as r`);
  await admin.end();
  return r.rows[0];
}

t.test('process runtime', async (t) => {
  const cluster = await startTestCluster('supervisor-remnants-process');
  t.teardown(() => cluster.stop());
  const ID = 31;
  const { client, stateDir } = await daemonFor(t, 'process', cluster.adminUrl);
  const authDir = path.join(stateDir, 'auth', `slice-${ID}`);
  t.same(await client.call('slice.findRemnants', { id: ID }), { remnants: [] }, 'a slice never made: nothing');
  await client.call('slice.create', { id: ID });
  fs.mkdirSync(path.join(authDir, 'media'), { recursive: true });
  fs.writeFileSync(path.join(authDir, 'media', 'photo.jpg'), 'bytes');
  t.same((await client.call('slice.findRemnants', { id: ID })).remnants, [`schema slice_${ID}`, `role slice_${ID}`, `directory ${authDir}`, `supervisor record of slice ${ID}`]);
  await client.call('slice.remove', { id: ID });
  t.same((await client.call('slice.findRemnants', { id: ID })).remnants, [`schema slice_${ID}`, `role slice_${ID}`, `directory ${authDir}`, `supervisor tombstone of slice ${ID} (its store was kept)`], 'removed without purge: the data is still named');
  await client.call('slice.remove', { id: ID, purgeData: true });
  t.same(await client.call('slice.findRemnants', { id: ID }), { remnants: [] }, 'purged: nothing left');
  t.same(await inDatabase(cluster.adminUrl, ID), { s: 0, r: 0 }, 'the database agrees');
  t.notOk(fs.existsSync(authDir), 'the directory agrees');
  await t.rejects(client.call('slice.findRemnants', { id: 51 }), { code: 'INVALID_ARGUMENT' }, 'beyond MAX_SLICES: refused');
});

t.test('docker runtime', async (t) => {
  const { cluster } = await sliceNetworkCluster('supervisor-remnants-docker', IMAGE, { buildImage: false });
  t.teardown(() => cluster.stop());
  const ID = 32;
  const name = `wank-slice-${ID}`;
  const cleanup = () => {
    for (const args of [['rm', '-f', name], ['volume', 'rm', '-f', `${name}-auth`]]) {
      try {
        docker(...args);
      } catch {}
    }
  };
  cleanup();
  t.teardown(cleanup);
  const { client } = await daemonFor(t, 'docker', cluster.adminUrl, { SLICE_IMAGE: IMAGE });
  t.same(await client.call('slice.findRemnants', { id: ID }), { remnants: [] }, 'a slice never made: nothing');
  await client.call('slice.create', { id: ID });
  // A container of this slice as the runtime labels its own (created, not started).
  docker('create', '--name', name, '--label', 'com.queunir.managed=true', '--label', `com.queunir.slice=${ID}`, '--entrypoint', 'sleep', IMAGE, '3600');
  t.same((await client.call('slice.findRemnants', { id: ID })).remnants, [`schema slice_${ID}`, `role slice_${ID}`, `container ${name}`, `volume ${name}-auth`, `supervisor record of slice ${ID}`]);
  await client.call('slice.remove', { id: ID, purgeData: true });
  t.same(await client.call('slice.findRemnants', { id: ID }), { remnants: [] }, 'purged: nothing left');
  t.same(await inDatabase(cluster.adminUrl, ID), { s: 0, r: 0 }, 'the database agrees');
  t.throws(() => docker('volume', 'inspect', `${name}-auth`), 'the engine agrees: no volume');
  t.throws(() => docker('inspect', name), 'no container');
});
