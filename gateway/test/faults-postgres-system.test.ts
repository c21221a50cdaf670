// PostgreSQL restarted under the whole running system: the gateway (this process), the REAL
// supervisor (a child process, process runtime) and a real slice (Chromium on the WhatsApp
// simulator page: the simulator stands in for WhatsApp's servers only). The cluster is stopped,
// kept down while messages arrive and users act, and started again on the same port. No program is
// restarted (same pids); every message that arrived during the outage is stored after it; what
// users asked during it got a clear 503 naming the database, or succeeded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startEmbeddedPostgres } from '../../sql/embedded.ts';
import { startTestCluster, stopPostgres } from '../../test-support/pg.ts';
import { provisionGatewayUrl } from '../support/database-url.ts';
import { SupervisorClient } from '../../supervisor/client.ts';
import { Browser, build } from './helpers.ts';
import { assertChromium, reserveSliceIds, sleep, sliceRow, Supervisor, tempDir, waitUntil } from './system.ts';

t.setTimeout(300_000);
assertChromium();

const SLICE = 67; // this file's slice (port 5133): clear of the other test files' slices
const cluster = await startTestCluster('gateway-faults-pg-system');
t.teardown(() => cluster.stop());
const dir = tempDir('faults-pg-system');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const gatewayUrl = await provisionGatewayUrl(cluster.adminUrl, dir);
const db = { adminUrl: cluster.adminUrl, gatewayUrl, dataDir: dir };
await reserveSliceIds(cluster.adminUrl, SLICE);
const supervisor = new Supervisor(path.join(dir, 'sup'), cluster.adminUrl);
fs.mkdirSync(supervisor.dir, { recursive: true });
await supervisor.start();
t.teardown(() => supervisor.stop());
const app = await build(t, db, { env: { SUPERVISOR_SOCKET: supervisor.socket, MONITOR_INTERVAL_MS: '1000', MONITOR_UNHEALTHY_CHECKS: '2' }, monitor: true });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
let restarted: { stop(): Promise<void> } | null = null;
t.teardown(() => restarted?.stop());

/** An incoming message from the simulated phone (the slice's own sim route, behind its token). */
async function incoming(port: number, token: string, chatWaId: string, body: string): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/sim/incoming`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ chatWaId, body }),
  });
  return r.status;
}

t.test('PostgreSQL down for seconds under traffic: no program restarts, no message lost, clear 503s', async (t) => {
  const a = new Browser(app, base);
  t.equal((await a.register('owner@pg-system.example')).statusCode, 200);
  t.equal((await a.request('POST', '/api/connect')).statusCode, 202);
  await waitUntil('slice RUNNING and WhatsApp READY', 180_000, async () => {
    const me = (await a.request('GET', '/api/me')).json();
    return me.slice?.state === 'RUNNING' && me.wa?.state === 'READY';
  });
  const chat = await waitUntil('the initial sync', 60_000, async () => {
    const r = await a.request('GET', '/api/chats');
    return r.statusCode === 200 && r.json().items.length === 3 ? (r.json().items[0] as { id: number; waId: string }) : null;
  });
  await sleep(3_000); // live messages are observed once the initial sync has ended
  const row = await sliceRow(cluster.adminUrl, SLICE);
  const before = await incoming(row.port, row.token, chat.waId, `before-${crypto.randomUUID()}`);
  t.equal(before, 200);

  const supervisorPid = supervisor.proc!.pid;
  const slicePid = supervisor.slicePid(SLICE);
  t.ok(slicePid, 'the slice runs');

  await stopPostgres(cluster.dataDir);
  const down = Date.now();
  const tag = crypto.randomUUID();
  const during = Array.from({ length: 5 }, (_, i) => `during-${tag}-${i}`);
  for (const body of during) t.equal(await incoming(row.port, row.token, chat.waId, body), 200, 'the phone delivers (the simulator needs no database)');

  const login = await new Browser(app, base).login('owner@pg-system.example');
  t.equal(login.statusCode, 503, `login during the outage: ${login.body}`);
  t.equal(login.json().error?.code, 'DB_UNREACHABLE');
  // A CRM write reaches the slice's database through the proxy: a clear error, or it is stored.
  const label = await a.request('POST', '/api/labels', { name: `outage-${tag.slice(0, 8)}` });
  t.ok(label.statusCode === 201 || (label.statusCode === 503 && label.json().error?.code === 'DB_UNREACHABLE'), `a label created during the outage: ${label.statusCode} ${label.body}`);
  t.notMatch(label.body, /internal error|ECONNREFUSED|127\.0\.0\.1/, 'no internals in the answer');
  await sleep(Math.max(0, 4_000 - (Date.now() - down)));

  restarted = await startEmbeddedPostgres({ dataDir: cluster.dataDir, port: cluster.port });
  const up = Date.now();
  t.comment(`PostgreSQL down for ${up - down} ms`);
  for (const body of during) {
    await waitUntil(`"${body}" stored`, 60_000, async () => {
      const s = await a.request('GET', `/api/search?q=${encodeURIComponent(body)}`);
      return s.statusCode === 200 && s.json().items.length === 1;
    }).catch(async (err: Error) => {
      const logs = new SupervisorClient({ socketPath: supervisor.socket, timeoutMs: 30_000 });
      const { lines } = await logs.call('slice.tailLog', { id: SLICE, lines: 80 });
      await logs.close();
      throw new Error(`${err.message}\n${lines.join('\n')}`);
    });
  }
  t.comment(`all messages of the outage stored ${Date.now() - up} ms after PostgreSQL came back`);
  t.pass('every message that arrived during the outage is stored once');
  const labels = (await a.request('GET', '/api/labels')).json().items as { name: string }[];
  t.equal(labels.filter((l) => l.name === `outage-${tag.slice(0, 8)}`).length, label.statusCode === 201 ? 1 : 0, 'the label exists exactly when it was answered 201');
  t.equal((await new Browser(app, base).login('owner@pg-system.example')).statusCode, 200, 'login works again');

  t.equal(supervisor.proc!.pid, supervisorPid, 'the supervisor was not restarted');
  t.equal(supervisor.proc!.exitCode, null, 'the supervisor runs');
  t.equal(supervisor.slicePid(SLICE), slicePid, 'the slice was not restarted');
  const client = new SupervisorClient({ socketPath: supervisor.socket, timeoutMs: 30_000 });
  const listed = await client.call('slice.list', {});
  t.equal(listed.find((s) => s.id === SLICE)?.state, 'RUNNING', 'the supervisor still runs the slice');
  await waitUntil('the gateway sees the slice RUNNING again', 30_000, async () => (await a.request('GET', '/api/me')).json().slice?.state === 'RUNNING');
});
