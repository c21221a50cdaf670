// pg_hba for the slice network, from a real container on it: the subnet admits the slice_N roles
// only. A gateway or admin login from a slice container fails on pg_hba even with the right
// password, so a compromised slice that learns another password still cannot use it.
import { sql } from 'kysely';
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { provisionGateway, provisionSlice } from '../../sql/provision.ts';
import { containerDatabaseUrl } from '../runtimes/docker-spec.ts';
import { docker, sliceNetworkCluster } from './helpers.ts';

const IMAGE = process.env.SLICE_IMAGE ?? 'queunir/slice:latest';
t.setTimeout(5 * 60_000);
const { net, cluster } = await sliceNetworkCluster('supervisor-pg-hba', IMAGE);
t.teardown(() => cluster.stop());
const admin = createDb<any>(cluster.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());
const gateway = await provisionGateway(admin, { password: 'gateway-' + 'p'.repeat(30) });
const slice = await provisionSlice(admin, 31);

/** Logs in from a throwaway container of the slice image on the slice network; 'ok' or the error. */
function loginFromSliceNetwork(url: string): string {
  const script = `const { Client } = require('pg'); const c = new Client({ connectionString: process.env.URL });
c.connect().then(() => c.query('select current_user')).then((r) => { console.log('ok ' + r.rows[0].current_user); return c.end(); })
  .catch((e) => { console.log('error ' + e.message); process.exit(0); });`;
  return docker('run', '--rm', '--network', 'wank-slices', '--workdir', '/app', '--entrypoint', 'node', '-e', `URL=${containerDatabaseUrl(url, net.gateway)}`, IMAGE, '-e', script);
}

function roleUrl(role: string, password: string): string {
  const u = new URL(cluster.adminUrl);
  u.username = role;
  u.password = password;
  return u.toString();
}

t.test('a slice role logs in from the slice network with its password', async (t) => {
  t.equal(loginFromSliceNetwork(roleUrl(slice.role, slice.password!)), 'ok slice_31');
});

t.test('the gateway role is refused by pg_hba from the slice network, right password or not', async (t) => {
  t.equal(gateway.password, 'gateway-' + 'p'.repeat(30));
  const out = loginFromSliceNetwork(roleUrl('wank_gateway', gateway.password!));
  t.match(out, /^error /);
  t.match(out, /pg_hba\.conf rejects connection|no pg_hba\.conf entry/, `refused by pg_hba, not by the password: ${out}`);
  t.notMatch(out, /password authentication failed/);
});

t.test('the admin (superuser) role is refused by pg_hba from the slice network', async (t) => {
  const out = loginFromSliceNetwork(cluster.adminUrl);
  t.match(out, /pg_hba\.conf rejects connection|no pg_hba\.conf entry/, out);
});

t.test('a role that only looks like a slice role is refused too', async (t) => {
  await sql`create role slice_31x login password 'lookalike-password'`.execute(admin);
  const out = loginFromSliceNetwork(roleUrl('slice_31x', 'lookalike-password'));
  t.match(out, /pg_hba\.conf rejects connection|no pg_hba\.conf entry/, out);
});
