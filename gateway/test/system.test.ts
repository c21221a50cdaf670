// The gateway with the REAL supervisor (process runtime, a child process) and real slices in sim
// mode (real Chromium on the WhatsApp simulator page; the simulator stands in for WhatsApp's
// servers only). Two tenants, A and B: isolation by every route, the live event relay, a slice
// killed, the supervisor stopped and started again, all without restarting the gateway.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { Browser, build, ORIGIN, startDb } from './helpers.ts';
import { assertChromium, EventStream, reserveSliceIds, sleep, sliceRow, Supervisor, tempDir, waitUntil } from './system.ts';

t.setTimeout(900_000);
assertChromium();

const db = await startDb(t, 'gateway-system');
await reserveSliceIds(db.adminUrl, 51); // this file's slices are 51 and 52 (ports 5101, 5103)
const dir = tempDir('system');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const supervisor = new Supervisor(dir, db.adminUrl);
await supervisor.start();
t.teardown(() => supervisor.stop());

const app = await build(t, db, {
  env: { SUPERVISOR_SOCKET: supervisor.socket, MONITOR_INTERVAL_MS: '1000', MONITOR_UNHEALTHY_CHECKS: '2', MONITOR_SLOW_CHECKS: '4' },
  monitor: true,
});
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

// Real HTTP on loopback, as a browser behind nginx: the proxy's fast path answers what it can.
const A = new Browser(app, base);
A.address = '203.0.113.1';
const B = new Browser(app, base);
B.address = '203.0.113.2';
let sliceA = 0;
let sliceB = 0;

function stream(b: Browser, lastEventId?: string): EventStream {
  return new EventStream(`${base}/api/events`, { cookie: b.cookie!, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) });
}

async function sim(sliceId: number, route: string, body: unknown): Promise<Response> {
  const row = await sliceRow(db.adminUrl, sliceId);
  return fetch(`http://127.0.0.1:${row.port}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${row.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function ready(b: Browser): Promise<void> {
  await waitUntil('slice RUNNING and WhatsApp READY', 180_000, async () => {
    const me = (await b.request('GET', '/api/me')).json();
    return me.slice?.state === 'RUNNING' && me.wa?.state === 'READY';
  });
  // The slice observes live messages once its initial sync has read the three chats of the scenario.
  await waitUntil('the initial sync', 60_000, async () => {
    const r = await b.request('GET', '/api/chats');
    return r.statusCode === 200 && r.json().items.length === 3;
  });
  await sleep(3_000);
}

async function firstChat(b: Browser): Promise<{ id: number; waId: string }> {
  return waitUntil('a chat', 60_000, async () => {
    const r = await b.request('GET', '/api/chats');
    return r.statusCode === 200 && r.json().items.length > 0 ? (r.json().items[0] as { id: number; waId: string }) : null;
  });
}

t.test('connect: ten concurrent calls make one slice; each user gets their own', async (t) => {
  t.equal((await A.register('a@tenant.example')).statusCode, 200);
  t.equal((await B.register('b@tenant.example')).statusCode, 200);
  const results = await Promise.all(Array.from({ length: 10 }, () => A.request('POST', '/api/connect')));
  t.same(results.map((r) => r.statusCode), Array(10).fill(202), results.find((r) => r.statusCode !== 202)?.body ?? '');
  const ids = new Set(results.map((r) => r.json().slice.id));
  t.equal(ids.size, 1, 'one slice');
  sliceA = [...ids][0];
  t.equal(sliceA, 51, 'the lowest free id');
  const rb = await B.request('POST', '/api/connect');
  t.equal(rb.statusCode, 202, rb.body);
  sliceB = rb.json().slice.id;
  t.equal(sliceB, 52);
  const again = await A.request('POST', '/api/connect');
  t.equal(again.json().slice.id, sliceA, 'idempotent');
  const rowA = await sliceRow(db.adminUrl, sliceA);
  t.equal(rowA.port, 5101);
  t.ok(rowA.token.length >= 32, 'the token the supervisor returned is kept');
  await Promise.all([ready(A), ready(B)]);
});

t.test('A can never reach B', async (t) => {
  const chatB = await firstChat(B);
  const secret = `secret-of-B-${crypto.randomUUID()}`;
  const r = await sim(sliceB, '/sim/incoming', { chatWaId: chatB.waId, body: secret });
  t.equal(r.status, 200, await r.clone().text());
  await waitUntil("B's message stored", 60_000, async () => {
    const s = await B.request('GET', `/api/search?q=${encodeURIComponent(secret)}`);
    return s.statusCode === 200 && s.json().items.length === 1;
  });
  const search = await A.request('GET', `/api/search?q=${encodeURIComponent(secret)}`);
  t.equal(search.statusCode, 200);
  t.same(search.json().items, [], "A's search does not see B's message");

  const rowB = await sliceRow(db.adminUrl, sliceB);
  const swapped = await A.request('GET', `/api/search?q=${encodeURIComponent(secret)}`, undefined, {
    authorization: `Bearer ${rowB.token}`,
    'x-slice-id': String(sliceB),
    'x-forwarded-host': '127.0.0.1:5103',
  });
  t.same(swapped.json().items, [], "B's token and id sent by A change nothing: the gateway picks the slice");
  const msgs = await A.request('GET', `/api/chats/${chatB.id}/messages?limit=200`);
  t.notMatch(msgs.body, secret, "B's chat id on A's session reads A's own chat");
  // A writes through the proxy (a body, the CSRF header): it lands in A's slice, never in B's.
  const chatA = await firstChat(A);
  const mine = `written-by-A-${crypto.randomUUID()}`;
  const sent = await A.request('POST', `/api/chats/${chatA.id}/messages`, { body: mine });
  t.equal(sent.statusCode, 202, sent.body);
  await waitUntil("A's message stored", 60_000, async () => (await A.request('GET', `/api/search?q=${mine}`)).json().items.length === 1);
  t.same((await B.request('GET', `/api/search?q=${mine}`)).json().items, [], "B never sees A's message");
  const abs = await A.request('GET', `/api/../../127.0.0.1:5103/api/chats`);
  t.not(abs.statusCode, 200, 'no path trick leaves A\'s slice');
  // fetch() normalises paths; a raw request line reaches the fast path as sent.
  const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get(`${base}/api/../../127.0.0.1:5103/api/chats`, { headers: { cookie: A.cookie! } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
  t.notMatch(raw.body, secret, 'nor does a raw ../ path: the request stays on A\'s slice');
  t.not(raw.status, 200);

  // B's session cookie forged from its unsigned id, and A's cookie replayed after logout.
  const sid = decodeURIComponent(B.cookie!.split('=')[1]!).split('.')[0];
  const forged = await app.inject({ method: 'GET', url: '/api/chats', headers: { cookie: `queunir_sid=${sid}.forgedsignature` } });
  t.equal(forged.statusCode, 401);
  const forgedHttp = await fetch(`${base}/api/chats`, { headers: { cookie: `queunir_sid=${sid}.forgedsignature` } });
  t.equal(forgedHttp.status, 401, 'a forged cookie over HTTP too');
  const A2 = new Browser(app, base);
  A2.address = A.address;
  await A2.login('a@tenant.example');
  const stolen = A2.cookie!;
  t.equal((await A2.request('GET', '/api/chats')).statusCode, 200, 'the new session reads A\'s chats');
  t.equal((await A2.request('GET', '/api/chats')).statusCode, 200);
  t.equal((await A2.request('POST', '/api/auth/logout')).statusCode, 204);
  const replay = await app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent(secret)}`, headers: { cookie: stolen } });
  t.equal(replay.statusCode, 401, 'a replayed cookie after logout is refused');
  const replayHttp = await fetch(`${base}/api/search?q=${encodeURIComponent(secret)}`, { headers: { cookie: stolen } });
  t.equal(replayHttp.status, 401, 'over HTTP too, right after a request on it was answered from memory');
  const write = await app.inject({
    method: 'POST',
    url: `/api/chats/${chatB.id}/messages`,
    headers: { cookie: stolen, origin: ORIGIN, 'x-csrf-token': A2.csrfToken! },
    payload: { body: 'should never be sent' },
  });
  // Refused before anything else: the dead session has no CSRF token any more (403), or no user (401).
  t.ok([401, 403].includes(write.statusCode), `nor can it write (${write.statusCode})`);
  t.notMatch((await A.request('GET', `/api/chats/${chatB.id}/messages?limit=200`)).body, 'should never be sent');

  // The slice ports themselves: no token, or another slice's token → 401.
  const rowA = await sliceRow(db.adminUrl, sliceA);
  const bare = await fetch(`http://127.0.0.1:${rowB.port}/api/chats`);
  t.equal(bare.status, 401, 'a slice port without its token');
  const wrong = await fetch(`http://127.0.0.1:${rowB.port}/api/chats`, { headers: { authorization: `Bearer ${rowA.token}` } });
  t.equal(wrong.status, 401, "A's token on B's slice");
  const ev = await fetch(`http://127.0.0.1:${rowB.port}/events`, { headers: { authorization: `Bearer ${rowA.token}` } });
  t.equal(ev.status, 401, "A's token on B's event stream");
});

t.test('proxied GETs answered from memory (the fast path) match those answered by Fastify', async (t) => {
  const metric = async () => {
    const m = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    const count = (way: string) => Number(new RegExp(`gateway_proxied_requests_total\\{way="${way}"\\} (\\d+)`).exec(m.body)?.[1] ?? 0);
    return { fast: count('fast'), fastify: count('fastify') };
  };
  await A.request('GET', '/api/chats'); // the session, user and slice now in this process's memory
  const before = await metric();
  const viaHttp = await A.request('GET', '/api/chats?limit=5');
  const viaFastify = await app.inject({ method: 'GET', url: '/api/chats?limit=5', headers: { cookie: A.cookie! } });
  const after = await metric();
  t.equal(after.fast - before.fast, 1, 'the HTTP request took the fast path');
  t.equal(after.fastify - before.fastify, 1, 'the injected one went through Fastify');
  t.equal(viaHttp.statusCode, 200);
  t.same(viaHttp.json(), viaFastify.json(), 'the same answer');
  for (const r of [viaHttp, viaFastify]) {
    t.equal(r.headers['x-content-type-options'], 'nosniff');
    t.match(r.headers['content-security-policy'], /default-src 'self'/);
    t.equal(r.headers['set-cookie'], undefined, 'no cookie from a proxied answer');
    t.match(r.headers['content-type'], /application\/json/);
  }
  // The fast path answers only from fresh caches (session and user 5 s, slice 10 s); on a loaded
  // machine the steps above can outlast them. /api/me (Fastify's, not counted as fast) refreshes all three.
  await A.request('GET', '/api/me');
  const head = await fetch(`${base}/api/chats`, { method: 'HEAD', headers: { cookie: A.cookie! } });
  t.equal(head.status, 200, 'HEAD too');
  t.equal(await head.text(), '');
  // What the fast path leaves to Fastify: the gateway's own routes, writes, no session.
  const me = await A.request('GET', '/api/me');
  t.equal(me.json().user.email, 'a@tenant.example', "/api/me is the gateway's, not a slice's");
  t.equal((await fetch(`${base}/api/chats`)).status, 401, 'no cookie: 401 from Fastify');
  t.equal((await metric()).fast - after.fast, 1, 'only the HEAD went the fast way');
});

t.test("an incoming message reaches A's /api/events and never B's", async (t) => {
  const sa = stream(A);
  const sb = stream(B);
  t.teardown(() => {
    sa.close();
    sb.close();
  });
  // An HTTP/1.0 client too (no chunked encoding): the relay writes the same event unframed.
  const old = net.connect((app.server.address() as { port: number }).port, '127.0.0.1');
  let oldText = '';
  old.setEncoding('utf8');
  old.on('data', (c: string) => (oldText += c));
  old.write(`GET /api/events HTTP/1.0\r\ncookie: ${A.cookie}\r\naccept: text/event-stream\r\n\r\n`);
  t.teardown(() => old.destroy());
  await sa.waitFor((e) => e.event === 'slice.state', 10_000);
  await sb.waitFor((e) => e.event === 'slice.state', 10_000);
  t.equal(sa.status, 200);
  const chatA = await firstChat(A);
  const text = `for-A-only-${crypto.randomUUID()}`;
  t.equal((await sim(sliceA, '/sim/incoming', { chatWaId: chatA.waId, body: text })).status, 200);
  const got = await sa.waitFor((e) => e.event === 'message.created' && e.data.includes(text), 60_000);
  t.ok(got.id, 'slice events carry an id');
  await waitUntil('the event on the HTTP/1.0 stream', 10_000, () => oldText.includes(text));
  t.match(oldText, /^HTTP\/1\.1 200 OK\r\n/);
  t.notMatch(oldText.toLowerCase(), /transfer-encoding: chunked/, 'not chunked for HTTP/1.0');
  t.match(oldText, new RegExp(`\nevent: message\\.created\ndata: [^\n]*${text}[^\n]*\n\n`), 'the event, unframed');
  await sleep(2_000);
  t.notOk(sb.events.some((e) => e.data.includes(text)), "B's stream never saw it");

  // Resume: a stream opened with A's last id gets what came after it, from the gateway's buffer.
  const text2 = `after-resume-${crypto.randomUUID()}`;
  const lastId = sa.events.at(-1)!.id!;
  sa.close();
  t.equal((await sim(sliceA, '/sim/incoming', { chatWaId: chatA.waId, body: text2 })).status, 200);
  await waitUntil('stored', 60_000, async () => (await A.request('GET', `/api/search?q=${text2}`)).json().items.length === 1);
  const resumed = stream(A, lastId);
  t.teardown(() => resumed.close());
  await resumed.waitFor((e) => e.event === 'message.created' && e.data.includes(text2), 10_000);
  t.pass('missed event replayed on resume');
});

t.test('a slice slow to answer (its process paused with SIGSTOP) is not restarted at once; one that stays silent past MONITOR_SLOW_CHECKS is restarted as hung', async (t) => {
  const pid = supervisor.slicePid(sliceA)!;
  t.ok(pid, 'the slice runs as a process');
  const slowChecks = async () => {
    const row = await sliceRow(db.adminUrl, sliceA);
    return /did not answer/.test(JSON.stringify(row.health ?? '')) ? row : null;
  };
  // Paused for about two checks (each waits 3 s for /health): slow, under the limit of 4.
  process.kill(pid, 'SIGSTOP');
  await waitUntil('a check that found it slow', 30_000, slowChecks).catch((err) => {
    process.kill(pid, 'SIGCONT');
    throw err;
  });
  await sleep(3000);
  process.kill(pid, 'SIGCONT');
  await ready(A);
  t.equal(supervisor.slicePid(sliceA), pid, 'the same process: a slow slice is not restarted');
  // Paused for good: past the limit it is taken for hung and restarted.
  process.kill(pid, 'SIGSTOP');
  await waitUntil('a new slice process', 90_000, async () => {
    const now = supervisor.slicePid(sliceA);
    return now && now !== pid ? now : null;
  }).finally(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone with the restart */
    }
  });
  t.pass('a slice silent past MONITOR_SLOW_CHECKS was restarted');
  await ready(A);
});

t.test('a slice killed: the monitor notices, it comes back, chats intact, events flow again', async (t) => {
  const before = (await A.request('GET', '/api/chats?limit=100')).json().items.map((c: { id: number; name: string }) => [c.id, c.name]);
  t.ok(before.length > 0);
  const sa = stream(A);
  t.teardown(() => sa.close());
  await sa.waitFor((e) => e.event === 'slice.state', 10_000);
  const pid = supervisor.slicePid(sliceA);
  t.ok(pid, 'the slice runs as a process');
  process.kill(pid!, 'SIGKILL');
  const down = await sa.waitFor((e) => e.event === 'slice.state' && !/"state":"RUNNING"/.test(e.data) && !/"reason":"current"/.test(e.data), 30_000);
  t.match(down.data, /"state":"(EXITED|BACKOFF|STARTING|STOPPED|UNKNOWN)"/, 'A was told the slice went down');
  const seen = await waitUntil('state recorded', 10_000, async () => {
    const row = await sliceRow(db.adminUrl, sliceA);
    return row.observed_state !== 'RUNNING' ? row.observed_state : null;
  }).catch(() => 'RUNNING-already');
  t.ok(seen, `gateway.slices recorded ${seen}`);
  await sa.waitFor((e) => e.event === 'slice.state' && /"state":"RUNNING"/.test(e.data) && !/"reason":"current"/.test(e.data), 120_000);
  await ready(A);
  const after = (await A.request('GET', '/api/chats?limit=100')).json().items.map((c: { id: number; name: string }) => [c.id, c.name]);
  t.same(after, before, "A's chats are intact");
  const chatA = await firstChat(A);
  const text = `after-restart-${crypto.randomUUID()}`;
  t.equal((await sim(sliceA, '/sim/incoming', { chatWaId: chatA.waId, body: text })).status, 200);
  await sa.waitFor((e) => e.event === 'message.created' && e.data.includes(text), 60_000);
  t.pass('the same browser stream carries events from the restarted slice');
});

t.test('the supervisor stopped: 503 with a clear body; started again: recovery without a gateway restart', async (t) => {
  await supervisor.stop();
  const chats = await waitUntil('503 from the proxy', 30_000, async () => {
    const r = await A.request('GET', '/api/chats');
    return r.statusCode === 503 ? r : null;
  });
  t.match(chats.json(), { error: { kind: 'Unavailable', code: 'SLICE_UNAVAILABLE', message: /not answering/ } });
  t.equal(chats.headers['retry-after'], '5');
  const injected = await app.inject({ method: 'GET', url: '/api/chats', headers: { cookie: A.cookie! } });
  t.equal(injected.statusCode, 503, 'through Fastify too');
  t.match(injected.json(), { error: { code: 'SLICE_UNAVAILABLE', message: /not answering/ } }, 'the same error both ways');
  const C = new Browser(app, base);
  C.address = '203.0.113.3';
  await C.register('c@tenant.example');
  const connect = await C.request('POST', '/api/connect');
  t.equal(connect.statusCode, 503);
  t.match(connect.json(), { error: { code: 'SUPERVISOR_UNAVAILABLE', message: /supervisor is not running/ } });
  const health = (await app.inject({ method: 'GET', url: '/healthz' })).json();
  t.equal(health.supervisor, 'unavailable');

  await supervisor.start();
  await waitUntil("A's slice back", 180_000, async () => (await A.request('GET', '/api/chats')).statusCode === 200);
  await ready(B);
  const again = await C.request('POST', '/api/connect');
  t.equal(again.statusCode, 202, again.body);
  t.equal(again.json().slice.id, 53);
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).json().supervisor, 'ok');
});
