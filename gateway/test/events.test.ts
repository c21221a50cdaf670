// The event relay's limits, against a real PostgreSQL and real HTTP on loopback, with a stand-in
// slice (stand-in-slice.ts) behind it: a stream lives no longer than its session (logout,
// revocation, expiry, another process's logout), streams are capped per user and per gateway,
// and one user's streams share one upstream whatever Last-Event-ID they bring.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { createDb } from '../../sql/database.ts';
import { Browser, build, startDb } from './helpers.ts';
import { EventStream, sleep, waitUntil } from './system.ts';
import { StandInSlice } from './stand-in-slice.ts';

t.setTimeout(300_000);
const db = await startDb(t, 'gateway-events');
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());

async function listening(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

const app = await build(t, db, { env: { EVENTS_SESSION_CHECK_MS: '300', LOGIN_LIMIT_PER_ADDRESS: '1000' } });
const base = await listening(app);

let nextSliceId = 180;
/** A user with a slice row that points at a stand-in slice. */
async function userWithStandIn(t: Tap, email: string, standIn: StandInSlice): Promise<{ browser: Browser; userId: string; accountId: string }> {
  const port = await standIn.listen();
  t.teardown(() => standIn.close());
  const browser = new Browser(app, base);
  const res = await browser.register(email);
  t.equal(res.statusCode, 200, 'registered');
  const userId = res.json().user.id as string;
  const accountId = res.json().account.id as string;
  await admin
    .insertInto('gateway.slices')
    .values({ id: nextSliceId++, account_id: accountId, port, token: 'stand-in-token', desired_state: 'running', observed_state: 'RUNNING' })
    .execute();
  app.slices.invalidate(accountId); // register cached "no slice"
  return { browser, userId, accountId };
}
type Tap = { teardown(fn: () => unknown): void; equal: (...a: any[]) => unknown };

function stream(b: Browser, headers: Record<string, string> = {}, at = base): EventStream {
  return new EventStream(`${at}/api/events`, { cookie: b.cookie!, ...headers });
}

/** Two signed-in sessions of one user (a slice behind a stand-in), each with an open stream. */
async function twoSessions(t: Tap, email: string, standIn: StandInSlice) {
  const { browser: one, userId, accountId } = await userWithStandIn(t, email, standIn);
  const two = new Browser(app, base);
  t.equal((await two.login(email)).statusCode, 200, 'a second session of the same user');
  const streams = [stream(one), stream(two)] as const;
  t.teardown(() => streams.forEach((s) => s.close()));
  for (const s of streams) await s.waitFor((e) => e.event === 'slice.state', 5_000);
  return { one, two, userId, accountId, streams };
}

t.test('logout ends that session’s streams at once, revokeSessions all of the user’s (stand-in slice)', async (t) => {
  const standIn = new StandInSlice();
  const {
    one,
    userId,
    accountId,
    streams: [s1, s2],
  } = await twoSessions(t, 'logout@events.example', standIn);
  await waitUntil('the upstream', 5_000, () => standIn.open.size === 1);

  t.equal((await one.request('POST', '/api/auth/logout')).statusCode, 204);
  const seenAtLogout = s1.events.length;
  await waitUntil('the logged-out stream closed', 2_000, () => s1.ended).catch(() => {});
  t.ok(s1.ended, 'the stream of the logged-out session is closed at once');
  app.events.publish(accountId, 'slice.state', { id: 1, state: 'RUNNING', reason: 'after-logout' });
  standIn.send('7', 'message.created', { after: 'logout' });
  await s2.waitFor((e) => e.data.includes('"after":"logout"'), 5_000);
  t.equal(s1.events.length, seenAtLogout, 'nothing reached it after the logout');
  t.notOk(s2.ended, 'the other session’s stream stays open');
  t.ok(s2.events.some((e) => e.data.includes('after-logout')), 'and gets the gateway’s events');

  await app.auth.revokeSessions(userId);
  await waitUntil('the revoked stream closed', 2_000, () => s2.ended).catch(() => {});
  t.ok(s2.ended, 'revokeSessions ends every stream of the user at once');
});

t.test('a session ended elsewhere or expired: its streams end at the next check (stand-in slice)', async (t) => {
  const standIn = new StandInSlice();
  const {
    one: browser,
    two: other,
    streams: [gone, expiring],
  } = await twoSessions(t, 'expiry@events.example', standIn);
  const sidOf = (b: Browser) => decodeURIComponent(b.cookie!.split('=')[1]!).split('.')[0]!;
  // What another gateway process's logout leaves behind: the row is gone, this process was not told.
  await admin.deleteFrom('gateway.sessions').where('sid', '=', sidOf(browser)).execute();
  await waitUntil('the stream of the deleted session closed', 3_000, () => gone.ended).catch(() => {});
  t.ok(gone.ended, 'a session deleted by another process ends its streams');
  await admin.updateTable('gateway.sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('sid', '=', sidOf(other)).execute();
  await waitUntil('the stream of the expired session closed', 3_000, () => expiring.ended).catch(() => {});
  t.ok(expiring.ended, 'an expired session ends its streams');
});

t.test('200 streams with Last-Event-ID: 1: the cap, one upstream, a reset instead of a retry loop (stand-in slice refusing id 1)', async (t) => {
  const standIn = new StandInSlice((id) => id === '1');
  const { browser } = await userWithStandIn(t, 'many@events.example', standIn);
  const streams = Array.from({ length: 200 }, () => stream(browser, { 'last-event-id': '1' }));
  t.teardown(() => streams.forEach((s) => s.close()));
  await waitUntil('every stream answered', 20_000, () => streams.every((s) => s.status !== 0));
  const accepted = streams.filter((s) => s.status === 200);
  t.equal(accepted.length, 20, 'EVENTS_MAX_STREAMS_PER_USER (default 20) streams accepted');
  t.equal(streams.filter((s) => s.status === 429).length, 180, 'the others: 429');
  await sleep(4_000);
  t.ok(standIn.maxOpen <= 1, `the stand-in saw at most one open upstream (saw ${standIn.maxOpen})`);
  t.ok(standIn.requests.length <= 2, `one refused resume and one live connection at most (saw ${standIn.requests.length})`);
  t.ok(standIn.requests.filter((id) => id === '1').length <= 1, 'the refused id is asked for once, not again and again');
  const refused = await fetch(`${base}/api/events`, { headers: { cookie: browser.cookie!, 'last-event-id': '1' }, signal: AbortSignal.timeout(3_000) });
  t.equal(refused.status, 429);
  t.match(await refused.json(), { error: { kind: 'ResourceExhausted', code: 'TOO_MANY_STREAMS' } });
  t.match(refused.headers.get('retry-after'), /^\d+$/, 'with retry-after');
  for (const s of accepted) await s.waitFor((e) => e.event === 'reset', 1_000);
  t.pass('every accepted stream was told to reset (its position is gone)');
  standIn.send('9', 'message.created', { shared: true });
  for (const s of accepted) await s.waitFor((e) => e.id === '9', 5_000);
  t.pass('all of them follow the one shared upstream');
});

t.test('the gateway-wide cap (EVENTS_MAX_STREAMS) holds across users', async (t) => {
  const small = await build(t, db, { env: { EVENTS_MAX_STREAMS: '3', EVENTS_MAX_STREAMS_PER_USER: '2', LOGIN_LIMIT_PER_ADDRESS: '1000' } });
  const at = await listening(small);
  const u1 = new Browser(small, at);
  const u2 = new Browser(small, at);
  t.equal((await u1.register('cap1@events.example')).statusCode, 200);
  t.equal((await u2.register('cap2@events.example')).statusCode, 200);
  const opened: EventStream[] = [];
  t.teardown(() => opened.forEach((s) => s.close()));
  const open = async (b: Browser) => {
    const s = stream(b, {}, at);
    opened.push(s);
    await waitUntil('an answer', 5_000, () => s.status !== 0);
    return s.status;
  };
  t.same([await open(u1), await open(u1), await open(u1)], [200, 200, 429], 'per user: 2');
  t.same([await open(u2), await open(u2)], [200, 429], 'per gateway: 3');
  opened[0]!.close();
  await waitUntil('a slot freed', 5_000, async () => (await open(u2)) === 200);
  t.pass('a closed stream frees its slot');
});

t.test('a Last-Event-ID that is not one of ours is refused by name', async (t) => {
  const b = new Browser(app, base);
  t.equal((await b.register('badid@events.example')).statusCode, 200);
  const r = await fetch(`${base}/api/events`, { headers: { cookie: b.cookie!, 'last-event-id': 'x'.repeat(40) }, signal: AbortSignal.timeout(3_000) });
  t.equal(r.status, 400);
  t.match(await r.json(), { error: { code: 'INVALID_ARGUMENT', message: /last-event-id/i } });
});
