// The registry's GET /health client against a real HTTP server on loopback (a stand-in for the
// slice's /health, answering as told): each answer it can get, and the token it sends.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { freePort } from '../../test-support/pg.ts';
import { fetchSliceHealth } from '../slices/health-client.ts';

let reply: { status: number; body: string } = { status: 200, body: '{"ok":true}' };
const seen: Array<string | undefined> = [];
const server = http.createServer((req, res) => {
  seen.push(req.headers.authorization);
  if (req.url !== '/health') return void res.writeHead(404).end();
  res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

t.test('200 with JSON: ok, with the body, the token as a bearer', async (t) => {
  reply = { status: 200, body: '{"ok":true,"wa":{"state":"READY"}}' };
  t.same(await fetchSliceHealth(base, 'tok-1', 2000), { ok: true, body: { ok: true, wa: { state: 'READY' } }, detail: 'ok' });
  t.equal(seen.at(-1), 'Bearer tok-1');
});

t.test('another status with JSON: not ok, the body kept, the status named', async (t) => {
  reply = { status: 503, body: '{"ok":false}' };
  t.same(await fetchSliceHealth(base, 'tok-1', 2000), { ok: false, body: { ok: false }, detail: '/health answered 503' });
});

t.test('a body that is not JSON: not ok, no body', async (t) => {
  reply = { status: 200, body: 'hello' };
  t.same(await fetchSliceHealth(base, 'tok-1', 2000), { ok: false, body: null, detail: '/health answered 200 without JSON' });
});

t.test('nobody listening: unreachable, with the cause', async (t) => {
  const port = await freePort();
  t.same(await fetchSliceHealth(`http://127.0.0.1:${port}`, 'tok-1', 2000), { ok: false, body: null, detail: '/health unreachable (ECONNREFUSED)' });
});

t.test('a connection taken and never answered: not ok, timedOut (slow or hung, not refused)', async (t) => {
  const silent = net.createServer(() => {}); // accepts, says nothing
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    silent.close();
  });
  const port = (silent.address() as AddressInfo).port;
  const answer = await fetchSliceHealth(`http://127.0.0.1:${port}`, 'tok-1', 300);
  t.same(answer, { ok: false, body: null, detail: '/health did not answer in 300 ms', timedOut: true });
});
