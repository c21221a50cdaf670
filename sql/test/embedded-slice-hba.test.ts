// The embedded cluster the supervisor starts for docker slices: its pg_hba.conf carries the slice
// subnet's block (slice_N roles only) from the first start on, once, in a form PostgreSQL parses.
// That containers on the subnet get exactly this is supervisor/test/docker-pg-hba.test.ts's part.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { freePort, TEST_DATA } from '../../test-support/pg.ts';
import { startEmbeddedPostgres } from '../embedded.ts';
import { sliceHbaLines } from '../slice-hba.ts';

const SUBNET = '10.213.0.0/24';
const work = path.join(TEST_DATA, `embedded-slice-hba-${process.pid}`);
fs.mkdirSync(work, { recursive: true });
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
const dataDir = path.join(work, 'pg');

function blockCount(): number {
  const lines = fs.readFileSync(path.join(dataDir, 'pg_hba.conf'), 'utf8').split('\n').map((l) => l.trim());
  return sliceHbaLines(SUBNET).map((want) => lines.filter((l) => l === want).length).reduce((a, b) => Math.max(a, b), 0);
}

/** The subnet's rules as PostgreSQL parses the file now. */
async function subnetRules(url: string): Promise<Array<{ user_name: string[]; auth_method: string; error: string | null }>> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    const r = await c.query(`select user_name, auth_method, error from pg_hba_file_rules where address = '10.213.0.0' order by line_number`);
    return r.rows;
  } finally {
    await c.end();
  }
}

t.test('a first start (initdb) writes the block before the server starts', async (t) => {
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), sliceSubnet: SUBNET });
  t.teardown(() => server.stop());
  t.equal(blockCount(), 1, 'the block is in pg_hba.conf once');
  const rules = await subnetRules(server.url);
  t.same(rules.map((r) => [r.user_name, r.auth_method, r.error]), [[['/^slice_[0-9]+$'], 'scram-sha-256', null], [['all'], 'reject', null]], 'slice roles only, then reject');
});

t.test('later starts, and a start that finds the server running, keep one block', async (t) => {
  const first = await startEmbeddedPostgres({ dataDir, port: await freePort(), sliceSubnet: SUBNET });
  const again = await startEmbeddedPostgres({ dataDir, port: await freePort(), sliceSubnet: SUBNET });
  t.equal(again.reused, true);
  await first.stop();
  t.equal(blockCount(), 1);
});
