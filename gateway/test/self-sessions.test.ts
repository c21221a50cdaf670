// One's sessions, against a real PostgreSQL and real HTTP on loopback, with a stand-in slice
// (stand-in-slice.ts) behind the event streams: the list shows each session's device, address,
// creation and last use (written at most once a minute) with an opaque id; logging out one
// session, or every other one, ends their event streams at once and leaves this one working.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { createDb } from '../../sql/database.ts';
import { deviceName } from '../support/user-agent.ts';
import { Browser, build, startDb } from './helpers.ts';
import { StandInSlice } from './stand-in-slice.ts';
import { EventStream, sleep, waitUntil } from './system.ts';

t.setTimeout(120_000);
const db = await startDb(t, 'gateway-self-sessions');
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());

async function listening(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}
const app = await build(t, db, { env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
const base = await listening(app);

const UA = {
  linuxChrome: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  windowsFirefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  iphoneSafari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
};
const EMAIL = 'sessions@self.example';
const PASSWORD = 'correct horse battery';

function signIn(b: Browser, how: 'register' | 'login', ua: string) {
  return b.request('POST', `/api/auth/${how}`, { email: EMAIL, password: PASSWORD }, { 'user-agent': ua });
}
const sidOf = (b: Browser) => decodeURIComponent(b.cookie!.split('=')[1]!).split('.')[0]!;

const standIn = new StandInSlice();
const port = await standIn.listen();
t.teardown(() => standIn.close());
const here = new Browser(app, base);
here.address = '203.0.113.1';
const registered = await signIn(here, 'register', UA.linuxChrome);
const accountId = registered.json().account.id as string;
await admin.insertInto('gateway.slices').values({ id: 190, account_id: accountId, port, token: 'stand-in-token', desired_state: 'running', observed_state: 'RUNNING' }).execute();
app.slices.invalidate(accountId);
const laptop = new Browser(app, base);
laptop.address = '203.0.113.2';
await signIn(laptop, 'login', UA.windowsFirefox);
const phone = new Browser(app, base);
phone.address = '2001:db8::7';
await signIn(phone, 'login', UA.iphoneSafari);

t.test('device names, written by hand', async (t) => {
  t.equal(deviceName(UA.linuxChrome), 'Chrome on Linux');
  t.equal(deviceName(UA.windowsFirefox), 'Firefox on Windows');
  t.equal(deviceName(UA.iphoneSafari), 'Safari on iOS');
  t.equal(deviceName('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'), 'Edge on macOS');
  t.equal(deviceName('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'), 'Chrome on Android');
  t.equal(deviceName(''), 'Unknown device');
  t.equal(deviceName('something else'), 'Unknown browser');
});

t.test('the list: device, address, created, last use; current marked; ids never the sid', async (t) => {
  const res = await here.request('GET', '/api/auth/sessions');
  t.equal(res.statusCode, 200, res.body);
  const { items, nextCursor } = res.json();
  t.equal(nextCursor, null);
  t.equal(items.length, 3);
  const byDevice = Object.fromEntries(items.map((i: { device: string }) => [i.device, i]));
  t.match(byDevice['Chrome on Linux'], { ip: '203.0.113.1', current: true });
  t.match(byDevice['Firefox on Windows'], { ip: '203.0.113.2', current: false });
  t.match(byDevice['Safari on iOS'], { ip: '2001:db8::7', current: false });
  for (const i of items) {
    t.match(i.id, /^[A-Za-z0-9_-]{22}$/);
    t.ok(!Number.isNaN(Date.parse(i.createdAt)) && !Number.isNaN(Date.parse(i.lastUsedAt)), "times in ISO 8601");
  }
  for (const b of [here, laptop, phone]) t.notOk(res.body.includes(sidOf(b)), 'no session id in the answer');
  const row = await admin.selectFrom('gateway.sessions').select(['user_agent', 'ip']).where('sid', '=', sidOf(laptop)).executeTakeFirstOrThrow();
  t.same(row, { user_agent: UA.windowsFirefox, ip: '203.0.113.2' }, 'the store wrote the device columns');
  const other = new Browser(app, base);
  other.address = '203.0.113.9';
  await other.request('POST', '/api/auth/register', { email: 'someone-else@self.example', password: PASSWORD });
  t.equal((await other.request('GET', '/api/auth/sessions')).json().items.length, 1, 'only one’s own sessions');
});

t.test('last use: written on use, at most once a minute per session', async (t) => {
  const seen = () => admin.selectFrom('gateway.sessions').select('last_seen_at').where('sid', '=', sidOf(phone)).executeTakeFirstOrThrow().then((r: { last_seen_at: Date | null }) => r.last_seen_at);
  t.equal((await phone.request('GET', '/api/me')).statusCode, 200);
  const first = await waitUntil('last_seen_at written', 5_000, seen);
  t.ok(Date.now() - first.getTime() < 10_000, 'just now');
  for (let i = 0; i < 5; i++) await phone.request('GET', '/api/me');
  await sleep(300);
  t.equal((await seen())!.getTime(), first.getTime(), 'five more requests within the minute: not written again');
  const listed = (await here.request('GET', '/api/auth/sessions')).json().items.find((i: { device: string }) => i.device === 'Safari on iOS');
  t.equal(listed.lastUsedAt, first.toISOString(), 'the list shows it');
});

t.test('log out one session: its stream ends at once; log out everywhere else: theirs too, this one stays', async (t) => {
  const stream = (b: Browser) => new EventStream(`${base}/api/events`, { cookie: b.cookie! });
  const streams = { here: stream(here), laptop: stream(laptop), phone: stream(phone) };
  t.teardown(() => Object.values(streams).forEach((s) => s.close()));
  for (const s of Object.values(streams)) await s.waitFor((e) => e.event === 'slice.state', 5_000);

  const items = (await here.request('GET', '/api/auth/sessions')).json().items as { id: string; device: string }[];
  const phoneId = items.find((i) => i.device === 'Safari on iOS')!.id;
  t.equal((await here.request('DELETE', `/api/auth/sessions/${phoneId}`)).statusCode, 204);
  await waitUntil('the phone stream closed', 2_000, () => streams.phone.ended).catch(() => {});
  t.ok(streams.phone.ended, 'its stream ended at once');
  t.equal((await phone.request('GET', '/api/me')).statusCode, 401, 'the phone is signed out');
  t.notOk(streams.laptop.ended, 'the laptop stream stays');
  t.equal((await here.request('DELETE', `/api/auth/sessions/${phoneId}`)).statusCode, 404, 'gone: 404');
  t.equal((await here.request('DELETE', '/api/auth/sessions/not-an-id')).statusCode, 400, 'a malformed id: 400');

  t.equal((await here.request('DELETE', '/api/auth/sessions')).statusCode, 204);
  await waitUntil('the laptop stream closed', 2_000, () => streams.laptop.ended).catch(() => {});
  t.ok(streams.laptop.ended, 'every other stream ended at once');
  t.equal((await laptop.request('GET', '/api/me')).statusCode, 401, 'the laptop is signed out');
  t.equal((await here.request('GET', '/api/me')).statusCode, 200, 'this session stays');
  app.events.publish(accountId, 'slice.state', { id: 190, state: 'RUNNING', reason: 'after-logout-others' });
  await streams.here.waitFor((e) => e.data.includes('after-logout-others'), 5_000);
  t.notOk(streams.here.ended, 'and its stream stays open');
  await sleep(5_500);
  t.equal((await here.request('GET', '/api/me')).statusCode, 200, 'still signed in once every cache expired');
  const left = (await here.request('GET', '/api/auth/sessions')).json().items;
  t.equal(left.length, 1);
  t.equal(left[0].current, true);

  // Logging out the current session through the list signs this browser out.
  t.equal((await here.request('DELETE', `/api/auth/sessions/${left[0].id}`)).statusCode, 204);
  t.equal((await here.request('GET', '/api/me')).statusCode, 401);
});
