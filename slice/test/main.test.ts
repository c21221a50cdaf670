// The slice program's start-up contract with its supervisor: configuration and database problems
// end the process (it exits by itself, it does not wait for a retry), non-zero, with one line
// naming the cause.
import t from 'tap';
import { createDb, urlForRole } from '../../sql/database.ts';
import { provisionSlice } from '../../sql/provision.ts';
import { freePort, startTestCluster } from '../../test-support/pg.ts';
import { startSliceProcess } from './slice-process.ts';
import { TOKEN } from './helpers.ts';

t.test('start-up failures: one line, non-zero exit', async (t) => {
  const cluster = await startTestCluster('slice-main');
  t.teardown(() => cluster.stop());
  const admin = createDb<any>(cluster.adminUrl, { max: 1 });
  t.teardown(() => admin.destroy());
  const p = await provisionSlice(admin, 1);
  await provisionSlice(admin, 2).then(() => admin.schema.dropSchema('slice_2').cascade().execute());
  const p2url = urlForRole(cluster.adminUrl, 'slice_2', (await provisionSlice(admin, 2, { rotatePassword: true })).password!);
  await admin.schema.dropSchema('slice_2').cascade().execute();

  const cases: [string, Record<string, string>, RegExp][] = [
    ['a role that cannot log in', { DATABASE_URL: urlForRole(cluster.adminUrl, 'slice_1', 'wrong-password'), SLICE_ID: '1' }, /refused the login of role "slice_1"/],
    ['no database server', { DATABASE_URL: urlForRole(cluster.adminUrl.replace(/:\d+\//, `:${await freePort()}/`), 'slice_1', p.password!), SLICE_ID: '1' }, /unreachable/],
    ['a schema that was never migrated', { DATABASE_URL: p2url, SLICE_ID: '2' }, /schema slice_2 is missing or not migrated/],
    ['a short token', { DATABASE_URL: urlForRole(cluster.adminUrl, 'slice_1', p.password!), SLICE_ID: '1', SLICE_TOKEN: 'short' }, /SLICE_TOKEN/],
  ];
  for (const [name, env, pattern] of cases) {
    const proc = startSliceProcess({ SLICE_TOKEN: TOKEN, WA_MODE: 'sim', LOG_LEVEL: 'warn', ...env }, await freePort());
    const { code } = await proc.exited;
    const lines = proc.output().trim().split('\n');
    t.not(code, 0, `${name}: exit code ${code}`);
    t.equal(lines.length, 1, `${name}: one line`);
    t.match(lines[0], pattern, `${name}: ${lines[0]}`);
    t.notMatch(proc.output(), /wrong-password|at .*\.ts:\d+/, `${name}: no secret, no stack`);
  }
});
