// Accounts, sessions, CSRF, throttling and the admin role, against a real PostgreSQL. No
// supervisor runs here (its socket does not exist): routes that need one answer 503.
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { Browser, build, ORIGIN, startDb } from './helpers.ts';

const db = await startDb(t, 'gateway-accounts');
const app = await build(t, db, { env: { LOGIN_LIMIT_PER_ACCOUNT: '3', LOGIN_LIMIT_PER_ADDRESS: '12' } });

t.test('register answers the body of GET /api/me and signs in', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.1';
  const res = await b.register('Alice@Example.com');
  t.equal(res.statusCode, 200, res.body);
  const me = res.json();
  t.match(me, { user: { email: 'Alice@Example.com', role: 'user' }, slice: null, wa: null, plan: { status: 'active' } });
  t.type(me.csrfToken, 'string');
  t.ok(me.csrfToken.length >= 20);
  const cookie = res.cookies.find((c) => c.name === 'queunir_sid');
  t.ok(cookie, 'a session cookie');
  t.equal(cookie?.httpOnly, true);
  t.equal(cookie?.sameSite, 'Lax');
  t.notOk(cookie?.secure, 'not Secure on plain http');
  const again = await b.request('GET', '/api/me');
  t.equal(again.statusCode, 200);
  t.equal(again.json().user.id, me.user.id);
  const row = await (async () => {
    const admin = createDb<any>(db.adminUrl, { max: 1 });
    try {
      return await admin.selectFrom('gateway.users').select(['password_hash']).where('id', '=', me.user.id).executeTakeFirstOrThrow();
    } finally {
      await admin.destroy();
    }
  })();
  t.match(row.password_hash, /^\$argon2id\$/, 'argon2id hash stored, not the password');
});

t.test('bad input is refused with a clear error', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.2';
  const short = await b.register('bob@example.com', 'short');
  t.equal(short.statusCode, 400);
  t.match(short.json(), { error: { kind: 'InvalidArgument', code: 'INVALID_ARGUMENT', message: /password/ } });
  const noAt = await b.register('not-an-email', 'long enough password');
  t.equal(noAt.statusCode, 400);
  t.match(noAt.json().error.message, /email/);
  const extra = await b.request('POST', '/api/auth/register', { email: 'x@example.com', password: 'long enough password', role: 'admin' });
  t.equal(extra.statusCode, 400, 'unknown fields (role) are refused, not ignored');
});

t.test('the same email twice, in any case, is refused', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.3';
  t.equal((await b.register('carol@example.com')).statusCode, 200);
  const c = new Browser(app);
  c.address = '198.51.100.3';
  const dup = await c.register('CAROL@example.com');
  t.equal(dup.statusCode, 409);
  t.match(dup.json(), { error: { code: 'EMAIL_TAKEN' } });
});

t.test('login, logout, and a replayed cookie after logout', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.4';
  await b.register('dave@example.com');
  const reg = b.cookie;
  const b2 = new Browser(app);
  b2.address = '198.51.100.4';
  const login = await b2.login('DAVE@example.com');
  t.equal(login.statusCode, 200, login.body);
  t.not(b2.cookie, reg, 'a new session id at login');
  const old = b2.cookie!;
  t.equal((await b2.request('POST', '/api/auth/logout')).statusCode, 204);
  const replay = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: old } });
  t.equal(replay.statusCode, 401, 'the cookie is dead after logout');
  t.match(replay.json(), { error: { kind: 'Unauthenticated' } });
  const wrong = await b2.login('dave@example.com', 'wrong password!!');
  t.equal(wrong.statusCode, 401);
  t.match(wrong.json(), { error: { code: 'BAD_CREDENTIALS' } });
  const none = await b2.login('nobody@example.com', 'whatever password');
  t.equal(none.statusCode, 401, 'unknown account: the same answer');
  t.same(none.json(), wrong.json());
});

t.test('login fixation: a session id from before login is not kept', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.5';
  await b.register('erin@example.com');
  const before = b.cookie;
  await b.request('POST', '/api/auth/logout');
  b.cookie = before;
  b.csrfToken = null;
  await b.login('erin@example.com');
  t.not(b.cookie, before);
});

t.test('a forged cookie is not a session', async (t) => {
  const forged = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: 'queunir_sid=abc.def' } });
  t.equal(forged.statusCode, 401);
  const b = new Browser(app);
  b.address = '198.51.100.6';
  await b.register('frank@example.com');
  // The signed id with one character changed.
  const value = b.cookie!.split('=')[1]!;
  const tampered = value.slice(0, 5) + (value[5] === 'a' ? 'b' : 'a') + value.slice(6);
  const res = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: `queunir_sid=${tampered}` } });
  t.equal(res.statusCode, 401);
});

t.test('revoking every session of a user (sessions_valid_after)', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.7';
  const me = (await b.register('grace@example.com')).json();
  t.equal((await b.request('GET', '/api/me')).statusCode, 200);
  await app.auth.revokeSessions(me.user.id);
  t.equal((await b.request('GET', '/api/me')).statusCode, 401, 'revoked at once');
  await b.login('grace@example.com');
  t.equal((await b.request('GET', '/api/me')).statusCode, 200, 'a new login works');
});

t.test('CSRF: wrong Origin, missing token, wrong token', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.8';
  await b.register('heidi@example.com');
  const evil = await b.request('POST', '/api/connect', {}, { origin: 'https://evil.example' });
  t.equal(evil.statusCode, 403);
  t.match(evil.json(), { error: { code: 'CSRF_REJECTED', message: /Origin/ } });
  const noToken = await b.request('POST', '/api/connect', {}, { 'x-csrf-token': '' });
  t.equal(noToken.statusCode, 403);
  t.match(noToken.json(), { error: { code: 'CSRF_REJECTED', message: /x-csrf-token/ } });
  const wrongToken = await b.request('POST', '/api/connect', {}, { 'x-csrf-token': 'A'.repeat(32) });
  t.equal(wrongToken.statusCode, 403);
  const noOrigin = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: b.cookie!, 'x-csrf-token': b.csrfToken! } });
  t.equal(noOrigin.statusCode, 403, 'no Origin and no Sec-Fetch-Site');
  const fetchSite = await app.inject({
    method: 'POST',
    url: '/api/chats/1/messages',
    headers: { cookie: b.cookie!, 'x-csrf-token': b.csrfToken!, 'sec-fetch-site': 'cross-site' },
    payload: { body: 'hi' },
  });
  t.equal(fetchSite.statusCode, 403, 'a proxied route is guarded too');
  const loginCrossSite = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    headers: { origin: 'https://evil.example' },
    payload: { email: 'heidi@example.com', password: 'correct horse battery' },
  });
  t.equal(loginCrossSite.statusCode, 403, 'login needs our Origin');
  t.equal((await b.request('GET', '/api/me')).statusCode, 200, 'still signed in');
});

t.test('a proxied route before connect: 409 SLICE_NOT_CONNECTED; without login: 401', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.9';
  t.equal((await b.request('GET', '/api/chats')).statusCode, 401);
  await b.register('ivan@example.com');
  const res = await b.request('GET', '/api/chats');
  t.equal(res.statusCode, 409);
  t.match(res.json(), { error: { kind: 'FailedPrecondition', code: 'SLICE_NOT_CONNECTED' } });
});

t.test('connect with no supervisor running: 503 saying so', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.10';
  await b.register('judy@example.com');
  const res = await b.request('POST', '/api/connect');
  t.equal(res.statusCode, 503);
  t.match(res.json(), { error: { kind: 'Unavailable', code: 'SUPERVISOR_UNAVAILABLE', message: /supervisor is not running/ } });
});

t.test('connect is rate-limited per user (each call may start a slice)', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.43';
  await b.register('connect-flood@example.com');
  const limit = app.config.CONNECT_LIMIT_PER_MINUTE;
  t.equal(limit, 30, 'the default');
  const codes: number[] = [];
  for (let i = 0; i < limit; i++) codes.push((await b.request('POST', '/api/connect')).statusCode);
  t.same(codes, Array(limit).fill(503), 'the first 30 reach the (absent) supervisor');
  const limited = await b.request('POST', '/api/connect');
  t.equal(limited.statusCode, 429);
  t.match(limited.json(), { error: { kind: 'ResourceExhausted', code: 'RATE_LIMITED', message: /connect/ } });
  t.ok(Number(limited.headers['retry-after']) > 0, 'retry-after says when');
  const other = new Browser(app);
  other.address = '198.51.100.43';
  await other.register('connect-calm@example.com');
  t.equal((await other.request('POST', '/api/connect')).statusCode, 503, 'another user from the same address is not limited');
});

t.test('login throttling per account and per address', async (t) => {
  const b = new Browser(app);
  b.address = '198.51.100.11';
  await b.register('mallory-target@example.com');
  const attacker = new Browser(app);
  for (let i = 0; i < 3; i++) {
    attacker.address = `192.0.2.${i + 1}`; // a different address each time: the account limit still holds
    t.equal((await attacker.login('mallory-target@example.com', 'guess number ' + i)).statusCode, 401);
  }
  attacker.address = '192.0.2.99';
  const limited = await attacker.login('mallory-target@example.com', 'correct horse battery');
  t.equal(limited.statusCode, 429, 'even the right password waits once the account is throttled');
  t.match(limited.json(), { error: { kind: 'ResourceExhausted', code: 'RATE_LIMITED' } });
  t.ok(Number(limited.headers['retry-after']) > 0);

  const flood = new Browser(app);
  flood.address = '192.0.2.200';
  const codes: number[] = [];
  for (let i = 0; i < 14; i++) codes.push((await flood.login(`nobody${i}@example.com`, 'some password')).statusCode);
  t.same(codes.slice(0, 12), Array(12).fill(401));
  t.same(codes.slice(12), [429, 429], 'the address is throttled after 12 attempts');
  const other = new Browser(app);
  other.address = '192.0.2.201';
  t.equal((await other.login('nobody@example.com', 'some password')).statusCode, 401, 'other addresses are not');
});

t.test('parallel guesses from many addresses: the account limit still holds (counted before the password is checked)', async (t) => {
  const owner = new Browser(app);
  owner.address = '198.51.100.40';
  await owner.register('parallel-target@example.com');
  const guesses = await Promise.all(
    Array.from({ length: 20 }, (_, i) => {
      const b = new Browser(app);
      b.address = `203.0.113.${100 + i}`;
      return b.login('parallel-target@example.com', `parallel guess ${i}`);
    }),
  );
  const codes = guesses.map((r) => r.statusCode);
  t.equal(codes.filter((c) => c === 401).length, 3, 'exactly the limit (3) get to try a password');
  t.equal(codes.filter((c) => c === 429).length, 17, 'the rest are throttled');
  t.ok(guesses.filter((r) => r.statusCode === 401).every((r) => r.json().error.code === 'BAD_CREDENTIALS'));
});

t.test('a lock-out from elsewhere does not lock the owner out of a browser they signed in with before', async (t) => {
  const owner = new Browser(app);
  owner.address = '198.51.100.41';
  await owner.register('lockout-target@example.com');
  t.ok(owner.deviceCookie, 'signing in leaves a known-device cookie');
  t.equal((await owner.request('POST', '/api/auth/logout')).statusCode, 204);
  const stranger = new Browser(app);
  for (let i = 0; i < 5; i++) {
    stranger.address = `192.0.2.${50 + i}`;
    await stranger.login('lockout-target@example.com', `wrong password ${i}`);
  }
  stranger.address = '192.0.2.60';
  t.equal((await stranger.login('lockout-target@example.com')).statusCode, 429, 'strangers are locked out, even with the right password');
  const back = await owner.login('lockout-target@example.com');
  t.equal(back.statusCode, 200, 'the owner, on a known browser, signs in');
  const forged = new Browser(app);
  forged.address = '192.0.2.61';
  forged.deviceCookie = 'queunir_device=forged.value';
  t.equal((await forged.login('lockout-target@example.com')).statusCode, 429, 'a forged device cookie counts as a stranger');
  const otherAccount = new Browser(app);
  otherAccount.address = '198.51.100.42';
  await otherAccount.register('someone-else@example.com');
  otherAccount.address = '192.0.2.62';
  t.equal((await otherAccount.login('lockout-target@example.com')).statusCode, 429, "another account's device cookie counts as a stranger");
  // The known browser has a limit of its own: it is not a way around guessing.
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) codes.push((await owner.login('lockout-target@example.com', `owner typo ${i}`)).statusCode);
  t.same(codes, [401, 401, 401, 429]);
});

t.test('IPv6 clients are throttled per /64', async (t) => {
  const codes: number[] = [];
  for (let i = 0; i < 13; i++) {
    const b = new Browser(app);
    b.address = `2001:db8:77:1:${(i + 1).toString(16)}::${i + 7}`; // a new address each time, one /64
    codes.push((await b.login(`v6-nobody${i}@example.com`, 'some password')).statusCode);
  }
  t.same(codes.slice(0, 12), Array(12).fill(401));
  t.equal(codes[12], 429, 'the 13th attempt from the same /64 is throttled');
  const next = new Browser(app);
  next.address = '2001:db8:77:2::1';
  t.equal((await next.login('v6-nobody@example.com', 'some password')).statusCode, 401, 'the next /64 is not');
});

t.test('admin: 403 for users, every slice for admins', async (t) => {
  const user = new Browser(app);
  user.address = '198.51.100.12';
  const u = (await user.register('user-k@example.com')).json();
  const res = await user.request('GET', '/api/admin/slices');
  t.equal(res.statusCode, 403);
  t.match(res.json(), { error: { kind: 'PermissionDenied' } });
  t.equal((await user.request('GET', '/api/admin/anything')).statusCode, 403, 'nothing under /api/admin/ reaches a slice');

  const op = new Browser(app);
  op.address = '198.51.100.13';
  const o = (await op.register('operator@example.com')).json();
  const admin = createDb<any>(db.adminUrl, { max: 1 });
  t.teardown(() => admin.destroy());
  await admin.updateTable('gateway.users').set({ role: 'admin' }).where('id', '=', o.user.id).execute();
  // A slice row as the connect flow would leave it (the supervisor is not needed to list).
  await admin
    .insertInto('gateway.slices')
    .values({ id: 7, account_id: u.account.id, port: 5013, token: 't'.repeat(40), observed_state: 'RUNNING', health: JSON.stringify({ ok: true, rssBytes: 123456 }) })
    .execute();
  app.auth.forget(o.user.id);
  const list = await op.request('GET', '/api/admin/slices');
  t.equal(list.statusCode, 200, list.body);
  const items = list.json().items as { id: number }[];
  t.match(items.find((i) => i.id === 7), { id: 7, port: 5013, owner: { email: 'user-k@example.com' }, state: 'RUNNING', healthy: true, memoryBytes: 123456 });
  t.match(items.find((i) => i.id === 1), { owner: { email: 'judy@example.com' } }, "judy's slice, allocated when the supervisor was down");
  t.notMatch(list.body, /tttttttt/, 'slice tokens are never listed');
});

t.test('healthz, metrics only on loopback, unknown routes, helmet headers', async (t) => {
  const h = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(h.statusCode, 200);
  t.match(h.json(), { status: 'ok', database: 'ok' });
  t.equal(h.headers['x-content-type-options'], 'nosniff');
  t.ok(h.headers['content-security-policy']);
  const m = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
  t.equal(m.statusCode, 200);
  t.match(m.body, /gateway_http_request_duration_seconds_bucket\{[^}]*route="\/api\/auth\/register"/);
  t.match(m.body, /gateway_event_streams_open 0/);
  t.match(m.body, /gateway_slices\{state="RUNNING"\} 1/);
  const far = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
  t.equal(far.statusCode, 403);
  const viaNginx = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5' } });
  t.equal(viaNginx.statusCode, 403);
  // Billing is off here (no STRIPE_SECRET_KEY): its routes say so, and never reach a slice.
  const billing = await app.inject({ method: 'POST', url: '/api/billing/webhook', headers: { origin: ORIGIN, 'content-type': 'application/json', 'stripe-signature': 't=1,v1=x' }, payload: '{}' });
  t.equal(billing.statusCode, 404);
  t.match(billing.json(), { error: { code: 'BILLING_DISABLED', message: /billing is not enabled/ } });
  const nothing = await app.inject({ method: 'GET', url: '/nothing-here' });
  t.equal(nothing.statusCode, 404);
  t.match(nothing.json(), { error: { kind: 'NotFound' } });
});

t.test('behind TLS (PUBLIC_URL https, nginx on loopback): the cookie is Secure', async (t) => {
  const tls = await build(t, db, { env: { PUBLIC_URL: 'https://app.example' } });
  const res = await tls.inject({
    method: 'POST',
    url: '/api/auth/register',
    remoteAddress: '127.0.0.1',
    headers: { origin: 'https://app.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.77' },
    payload: { email: 'tls@example.com', password: 'correct horse battery' },
  });
  t.equal(res.statusCode, 200, res.body);
  const cookie = res.cookies.find((c) => c.name === 'queunir_sid');
  t.equal(cookie?.secure, true);
  t.equal(cookie?.httpOnly, true);
  t.ok(res.headers['strict-transport-security'], 'HSTS behind TLS');
});
