// The lifecycle suite against the process runtime: each slice a child of the daemon.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startTestCluster } from '../../test-support/pg.ts';
import { tempDir } from './helpers.ts';
import { lifecycleSuite } from './lifecycle.ts';

t.setTimeout(15 * 60_000); // Chromium starts several times on 2 shared cores
const cluster = await startTestCluster('supervisor-process');
t.teardown(() => cluster.stop());
const dir = tempDir('process');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function pidOf(id: number): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, 'state', 'run', `slice-${id}.pid`), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

await lifecycleSuite(t, {
  runtime: 'process',
  ids: [11, 12],
  adminUrl: cluster.adminUrl,
  stateDir: dir,
  killFromOutside: (id) => process.kill(pidOf(id)!, 'SIGKILL'),
  instanceId: (id) => {
    const pid = pidOf(id);
    return pid === null ? null : String(pid);
  },
  authStoreExists: (id) => fs.existsSync(path.join(dir, 'state', 'auth', `slice-${id}`)),
  writeToStore: (id, name, text) => fs.writeFileSync(path.join(dir, 'state', 'auth', `slice-${id}`, name), text),
  readFromStore: (id, name) => {
    try {
      return fs.readFileSync(path.join(dir, 'state', 'auth', `slice-${id}`, name), 'utf8');
    } catch {
      return null;
    }
  },
  secretsOutOfEnviron: true,
});
