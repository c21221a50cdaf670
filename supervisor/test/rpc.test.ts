// The socket protocol against the real daemon (in-process, process runtime, a PostgreSQL cluster of
// this file's own): every malformed input gets its JSON-RPC error and nobody else is disturbed.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import t from 'tap';
import { createLogger } from '../../lib/logger.ts';
import { createDb } from '../../sql/database.ts';
import { startTestCluster } from '../../test-support/pg.ts';
import { SupervisorClient } from '../client.ts';
import { loadSupervisorConfig } from '../config.ts';
import { startSupervisor } from '../daemon.ts';
import { METHOD_NAMES, MAX_LINE_BYTES } from '../protocol.ts';
import { RawConn, sleep, tempDir } from './helpers.ts';

const cluster = await startTestCluster('supervisor-rpc');
t.teardown(() => cluster.stop());
const dir = tempDir('rpc');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const socketPath = path.join(dir, 'run', 'sub', 'supervisor.sock');

const config = loadSupervisorConfig({
  SUPERVISOR_SOCKET: socketPath,
  STATE_DIR: path.join(dir, 'state'),
  DATABASE_URL: cluster.adminUrl,
  RUNTIME: 'process',
  MAX_SLICES: '50',
  LOG_LEVEL: 'silent',
});
const daemon = await startSupervisor(config, { log: createLogger('supervisor', 'silent') });
t.teardown(() => daemon.close());
const client = new SupervisorClient({ socketPath });
t.teardown(() => client.close());

async function raw(): Promise<RawConn> {
  const c = new RawConn(socketPath);
  await c.ready();
  t.teardown(() => c.close());
  return c;
}

t.test('socket file 0660 in a 0750 directory', async (t) => {
  t.equal(fs.statSync(socketPath).mode & 0o777, 0o660);
  t.equal(fs.statSync(path.dirname(socketPath)).mode & 0o777, 0o750);
});

t.test('system methods', async (t) => {
  t.same(await client.call('system.listMethods', {}), METHOD_NAMES);
  const d = await client.call('system.describe', {});
  t.same(Object.keys(d), METHOD_NAMES);
  t.equal((d['slice.start']!.params as { properties: { id: { type: string } } }).properties.id.type, 'integer', 'params as JSON Schema');
  t.equal((d['slice.remove']!.params as { additionalProperties: boolean }).additionalProperties, false);
  t.match(d['slice.create']!.doc, /token/);
  t.match(await client.call('system.version', {}), { version: /^\d+\.\d+\.\d+/, runtime: 'process' });
});

t.test('malformed JSON → -32700, and the connection carries on', async (t) => {
  const c = await raw();
  c.send('{"jsonrpc":"2.0","id":1,"method":\n');
  t.match(await c.line(), { jsonrpc: '2.0', id: null, error: { code: -32700 } });
  c.send('{"jsonrpc":"2.0","id":2,"method":"system.version"}\n');
  t.match(await c.line(), { id: 2, result: { runtime: 'process' } });
});

t.test('not a request object → -32600', async (t) => {
  const c = await raw();
  for (const bad of ['42', '"hello"', 'null', '{"id":3,"method":"system.version"}', '{"jsonrpc":"2.0","id":4}', '{"jsonrpc":"2.0","id":{},"method":"system.version"}']) {
    c.send(bad + '\n');
    const a = await c.line();
    t.equal(a.error?.code, -32600, `${bad} → -32600 (${a.error?.message})`);
  }
});

t.test('unknown method → -32601', async (t) => {
  const c = await raw();
  c.send('{"jsonrpc":"2.0","id":"a","method":"slice.explode","params":{"id":1}}\n');
  t.match(await c.line(), { id: 'a', error: { code: -32601, message: /slice\.explode/ } });
});

t.test('bad params → -32602 naming the field', async (t) => {
  const c = await raw();
  const cases: Array<[unknown, RegExp]> = [
    [{ id: '1' }, /id/],
    [{ id: 0 }, /id/],
    [{ id: 1.5 }, /id/],
    [{ id: 51 }, /id: must be at most MAX_SLICES \(50\)/],
    [{}, /id/],
    [{ id: 1, image: 'evil:latest' }, /image/],
    [[1], /params must be an object/],
  ];
  let n = 0;
  for (const [params, message] of cases) {
    c.send(JSON.stringify({ jsonrpc: '2.0', id: ++n, method: 'slice.start', params }) + '\n');
    const a = await c.line();
    t.equal(a.error?.code, -32602, `${JSON.stringify(params)} → -32602`);
    t.match(a.error?.message, message, a.error?.message);
  }
  c.send('{"jsonrpc":"2.0","id":99,"method":"slice.tailLog","params":{"id":1,"lines":"many"}}\n');
  t.match(await c.line(), { error: { code: -32602, message: /lines/ } });
  await t.rejects(client.call('slice.getInfo', { id: 'x' } as never), { code: 'INVALID_ARGUMENT' }, 'the client gets an AppError');
});

t.test('an id beyond MAX_SLICES → -32602 for every method that takes one, and nothing is made', async (t) => {
  const c = await raw();
  const calls: Array<[string, Record<string, unknown>]> = [
    ['slice.create', { id: 51 }],
    ['slice.start', { id: 51 }],
    ['slice.stop', { id: 51 }],
    ['slice.restart', { id: 51 }],
    ['slice.remove', { id: 51, purgeData: true }],
    ['slice.getInfo', { id: 51 }],
    ['slice.health', { id: 51 }],
    ['slice.tailLog', { id: 51, lines: 5 }],
    ['slice.findRemnants', { id: 51 }],
  ];
  let n = 0;
  for (const [method, params] of calls) {
    c.send(JSON.stringify({ jsonrpc: '2.0', id: ++n, method, params }) + '\n');
    t.match(
      await c.line(),
      { id: n, error: { code: -32602, message: `invalid params for ${method}: id: must be at most MAX_SLICES (50), got 51`, data: { kind: 'InvalidArgument', code: 'INVALID_ARGUMENT', field: 'id' } } },
      method,
    );
  }
  await t.rejects(client.call('slice.create', { id: 51 }), { code: 'INVALID_ARGUMENT', kind: 'InvalidArgument' }, 'the client gets an AppError');
  const admin = createDb<any>(cluster.adminUrl, { max: 1 });
  t.teardown(() => admin.destroy());
  const roles = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = 'slice_51'`.execute(admin);
  t.equal(roles.rows[0]!.n, 0, 'no role slice_51 was provisioned');
  t.notOk((await client.call('slice.list', {})).some((s) => s.id === 51), 'and no slice 51 is known');
});

t.test('application errors carry kind and code', async (t) => {
  const c = await raw();
  c.send('{"jsonrpc":"2.0","id":1,"method":"slice.getInfo","params":{"id":44}}\n');
  t.match(await c.line(), { id: 1, error: { code: -32001, data: { kind: 'NotFound', code: 'SLICE_NOT_FOUND' } } });
  await t.rejects(client.call('slice.start', { id: 44 }), { code: 'SLICE_NOT_FOUND', kind: 'NotFound' });
});

t.test('notifications get no answer; batches per the spec', async (t) => {
  const c = await raw();
  c.send('{"jsonrpc":"2.0","method":"system.version"}\n');
  c.send('[]\n');
  t.match(await c.line(), { id: null, error: { code: -32600 } }, 'empty batch → -32600, and the notification before it got nothing');
  c.send('[{"jsonrpc":"2.0","id":1,"method":"system.version"},{"jsonrpc":"2.0","method":"system.version"},{"jsonrpc":"2.0","id":2,"method":"nope"},5]\n');
  const batch = await c.line();
  t.ok(Array.isArray(batch));
  t.equal(batch.length, 3, 'one answer per request with an id, and one for the invalid member');
  t.match(batch[0], { id: 1, result: { runtime: 'process' } });
  t.match(batch[1], { id: 2, error: { code: -32601 } });
  t.match(batch[2], { id: null, error: { code: -32600 } });
  c.send('[{"jsonrpc":"2.0","method":"system.version"}]\n');
  c.send('{"jsonrpc":"2.0","id":7,"method":"system.version"}\n');
  t.match(await c.line(), { id: 7 }, 'an all-notification batch gets no answer');
});

t.test('a line over 1 MiB → an error, then that connection is closed; others carry on', async (t) => {
  const other = await raw();
  const c = await raw();
  const big = Buffer.alloc(MAX_LINE_BYTES + 10, 'a');
  c.send(big);
  const a = await c.line();
  t.match(a, { id: null, error: { code: -32600, message: /longer than/ } });
  t.ok(await c.waitClosed(), 'closed');
  other.send('{"jsonrpc":"2.0","id":1,"method":"system.version"}\n');
  t.match(await other.line(), { id: 1, result: {} }, 'another client is unaffected');
  // exactly 1 MiB of JSON is still accepted
  const pad = ' '.repeat(MAX_LINE_BYTES - 60);
  const c2 = await raw();
  const req = `{"jsonrpc":"2.0","id":5,"method":"system.version"${pad}}`;
  t.ok(Buffer.byteLength(req) <= MAX_LINE_BYTES);
  c2.send(req + '\n');
  t.match(await c2.line(), { id: 5, result: {} });
});

t.test('a client that hangs up mid-line leaves the daemon fine', async (t) => {
  const before = daemon.server.connectionCount;
  for (let i = 0; i < 20; i++) {
    const c = await raw();
    c.send('{"jsonrpc":"2.0","id":1,"meth');
    c.close();
  }
  await sleep(100);
  t.match(await client.call('system.version', {}), { runtime: 'process' });
  t.equal(daemon.server.connectionCount, before, 'their connections are cleaned up');
});

t.test('50 concurrent clients × 20 calls: every one answered', async (t) => {
  await client.call('slice.create', { id: 45 });
  const clients = Array.from({ length: 50 }, () => new SupervisorClient({ socketPath }));
  let answered = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      for (let k = 0; k < 20; k++) {
        const r = k % 2 === 0 ? await c.call('slice.getInfo', { id: 45 }) : await c.call('slice.list', {});
        if (k % 2 === 0 ? (r as { id: number }).id === 45 : Array.isArray(r)) answered++;
      }
      await c.close();
      return i;
    }),
  );
  t.equal(answered, 1000);
});

t.test('events.subscribe delivers slice.stateChanged', async (t) => {
  const seen: string[] = [];
  const sub = await client.subscribe((e) => seen.push(`${e.id}:${e.from}->${e.to}`));
  const other = new SupervisorClient({ socketPath });
  await other.call('slice.create', { id: 46 });
  await sleep(100);
  sub.close();
  await other.close();
  t.ok(seen.includes('46:UNKNOWN->STOPPED'), seen.join(', '));
});

t.test('the client: missing socket → SUPERVISOR_UNAVAILABLE', async (t) => {
  const c = new SupervisorClient({ socketPath: path.join(dir, 'nope.sock') });
  await t.rejects(c.call('system.version', {}), { code: 'SUPERVISOR_UNAVAILABLE', message: /not running/ });
});

t.test('a second daemon on the same socket is refused', async (t) => {
  await t.rejects(startSupervisor(config, { log: createLogger('supervisor', 'silent') }), { message: /already listens/ });
  t.match(await client.call('system.version', {}), { runtime: 'process' }, 'the first one still answers');
});
