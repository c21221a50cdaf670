// API keys on the gateway, over real HTTP on loopback (the proxy's fast path is live) with the real
// PostgreSQL, and recording stand-ins for the slices (loopback HTTP servers: what a slice receives
// is the point here, not what it does): who may make keys, the key shown once and stored hashed,
// list and revoke (401 at once), cookies ignored and no CSRF for a key, the rate limit, last use,
// accounts kept apart, and every gateway route × scope.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { ACTING_MEMBER_HEADER, verifyActingMember } from '../../lib/acting-member.ts';
import authPlugin from '../plugins/auth.ts';
import { build, ORIGIN } from './helpers.ts';
import { joinAs, signUp, standInSliceFor, startTeamTest, type Person } from './team-helpers.ts';

t.setTimeout(180_000);

/** A slice stand-in that keeps every request it gets and answers 200 with a small JSON body. */
class RecordingSlice {
  readonly seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'slice=1' }).end(JSON.stringify({ items: [], nextCursor: null, from: this.name }));
    });
  });
  constructor(readonly name: string, readonly token: string) {}
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const { admin, app, base: listening, db } = await startTeamTest(t, 'gateway-api-keys', { LOGIN_LIMIT_PER_ADDRESS: '100000' }, { listen: true });
const base = listening!;

const owner = await signUp(app, admin, 'owner@keys-a.example', base);
const accountA = owner.ownAccountId;
const adminA = await joinAs(app, admin, await signUp(app, admin, 'admin@keys-a.example', base), accountA, 'admin');
const agentA = await joinAs(app, admin, await signUp(app, admin, 'agent@keys-a.example', base), accountA, 'agent');
const ownerB = await signUp(app, admin, 'owner@keys-b.example', base);
const accountB = ownerB.ownAccountId;

const sliceA = new RecordingSlice('A', 'token-of-slice-a');
const sliceB = new RecordingSlice('B', 'token-of-slice-b');
t.teardown(() => sliceA.close());
t.teardown(() => sliceB.close());
await standInSliceFor(app, admin, accountA, await sliceA.listen(), sliceA.token);
await standInSliceFor(app, admin, accountB, await sliceB.listen(), sliceB.token);

interface Answer {
  status: number;
  headers: Headers;
  body: string;
  json(): any;
}

/** A request with an API key over real HTTP: no Origin, no CSRF token, no cookie unless given. */
async function withKey(key: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}, to = base): Promise<Answer> {
  const h: Record<string, string> = { authorization: `Bearer ${key}`, ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(`${to}${url}`, { method, headers: h, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text, json: () => JSON.parse(text) };
}

async function makeKey(by: Person, name: string, scopes: string[]): Promise<{ id: string; key: string; prefix: string; scopes: string[] }> {
  const res = await by.browser.request('POST', '/api/keys', { name, scopes });
  if (res.statusCode !== 201) throw new Error(`POST /api/keys: ${res.statusCode} ${res.body}`);
  return res.json();
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

t.test('create: owners and admins, not agents; the key shown once and stored only as its hash', async (t) => {
  const made = await owner.browser.request('POST', '/api/keys', { name: ' order system ', scopes: ['send', 'read'] });
  t.equal(made.statusCode, 201, 'POST /api/keys: 201');
  const k = made.json();
  t.match(k.key, /^qk_[A-Za-z0-9_-]{43}$/, 'qk_ + base64url of 32 bytes');
  t.equal(k.key.length, 46);
  t.equal(k.prefix, k.key.slice(0, 11));
  t.same(k.scopes, ['read', 'send'], 'scopes in their own order');
  t.equal(k.name, 'order system', 'the name trimmed');
  t.equal((await adminA.browser.request('POST', '/api/keys', { name: 'by an admin', scopes: ['read'] })).statusCode, 201, 'an admin may');
  const byAgent = await agentA.browser.request('POST', '/api/keys', { name: 'by an agent', scopes: ['read'] });
  t.equal(byAgent.statusCode, 403, 'an agent may not');
  t.equal(byAgent.json().error.code, 'ROLE_REQUIRED');
  t.equal((await agentA.browser.request('GET', '/api/keys')).statusCode, 403, 'nor list them');

  for (const [body, field] of [
    [{ name: 'x', scopes: [] }, 'scopes'],
    [{ name: 'x', scopes: ['write'] }, 'scopes'],
    [{ name: 'x', scopes: ['read', 'read'] }, 'scopes'],
    [{ name: '', scopes: ['read'] }, 'name'],
    [{ name: 'x'.repeat(101), scopes: ['read'] }, 'name'],
    [{ name: '   ', scopes: ['read'] }, 'name'],
    [{ name: 'nul\u0000inside', scopes: ['read'] }, 'name'],
    [{ name: 'two\nlines', scopes: ['read'] }, 'name'],
  ] as const) {
    const bad = await owner.browser.request('POST', '/api/keys', body);
    t.equal(bad.statusCode, 400, `${JSON.stringify(body)}: 400`);
    t.match(bad.json().error.message, field, `the message names ${field}`);
  }

  const rows = await admin.selectFrom('gateway.api_keys').selectAll().where('account_id', '=', accountA).orderBy('id').execute();
  t.equal(rows.length, 2);
  t.equal(rows[0]!.key_hash, sha256(k.key), 'the SHA-256 of the whole key');
  t.equal(rows[0]!.prefix, k.prefix);
  const everything = JSON.stringify(await admin.selectFrom('gateway.api_keys').selectAll().execute());
  t.notOk(everything.includes(k.key.slice(11)), 'no column holds the key or its secret part');
  t.notOk(JSON.stringify(await admin.selectFrom('gateway.audit_log').selectAll().execute()).includes(k.key.slice(11)), 'nor the audit trail');

  const list = await owner.browser.request('GET', '/api/keys');
  t.equal(list.statusCode, 200);
  const items = list.json().items;
  t.same(items.map((i: { name: string }) => i.name), ['by an admin', 'order system'], 'newest first');
  t.notOk(list.body.includes(k.key.slice(11)), 'the list never shows the key');
  t.match(items[1], { id: k.id, prefix: k.prefix, scopes: ['read', 'send'], createdBy: { memberId: owner.memberId, name: 'owner' }, lastUsedAt: null, lastUsedAddress: null, revokedAt: null });
  t.notOk('key' in items[1]);
  const audit = await admin.selectFrom('gateway.audit_log').selectAll().where('action', '=', 'api_key.created').where('account_id', '=', accountA).execute();
  t.equal(audit.length, 2);
  t.match(audit.find((a) => a.details.keyId === k.id), { actor: `user:${owner.userId}`, details: { name: 'order system', scopes: ['read', 'send'], prefix: k.prefix } });
});

t.test('a key on the proxied routes: no CSRF, no cookie, the slice gets the key acting member and never the key', async (t) => {
  const k = await makeKey(owner, 'sender', ['send', 'read']);
  const before = sliceA.seen.length;
  const sent = await withKey(k.key, 'POST', '/api/chats/1/messages', { body: 'hello from a key' });
  t.equal(sent.status, 200, `no Origin and no x-csrf-token needed: ${sent.body}`);
  t.equal(sent.json().from, 'A', "answered by the key's account's slice");
  t.equal(sent.headers.get('set-cookie'), null, 'no cookie set on a key answer');
  const got = sliceA.seen.slice(before);
  t.equal(got.length, 1);
  t.equal(got[0]!.body, JSON.stringify({ body: 'hello from a key' }));
  t.equal(got[0]!.headers.authorization, `Bearer ${sliceA.token}`, "the slice's own token, not the key");
  t.notOk(JSON.stringify(got[0]!.headers).includes('qk_'), 'no header the slice got holds the key');
  const acting = verifyActingMember(String(got[0]!.headers[ACTING_MEMBER_HEADER]), sliceA.token);
  t.same(acting, { id: owner.memberId, role: 'admin', name: 'API key sender', accountId: accountA, apiKey: { id: k.id, scopes: ['read', 'send'] } }, 'the acting member carries the key id and scopes');

  // The same write with a session and no CSRF token is refused: the key is what lets it through.
  const session = await owner.browser.request('POST', '/api/chats/1/messages', { body: 'x' }, { 'x-csrf-token': 'wrong' });
  t.equal(session.statusCode, 403);
  t.equal(session.json().error.code, 'CSRF_REJECTED');
});

t.test("cookies are ignored on a key request: never the session's user, never its account, no cookie set", async (t) => {
  const k = await makeKey(owner, 'reader', ['read']);
  const me = await withKey(k.key, 'GET', '/api/me', undefined, { cookie: owner.browser.cookie! });
  t.equal(me.status, 403, "a valid session cookie beside the key does not make /api/me the owner's");
  t.equal(me.json().error.code, 'SESSION_REQUIRED');
  t.match(me.json().error.message, /GET \/api\/me .*this key has read/);

  // B's session is warm in this process (the fast path would answer it from memory): with A's key
  // beside it, the request is A's key's and goes to A's slice.
  t.equal((await ownerB.browser.request('GET', '/api/chats')).json().from, 'B');
  const beforeB = sliceB.seen.length;
  const chats = await withKey(k.key, 'GET', '/api/chats', undefined, { cookie: ownerB.browser.cookie! });
  t.equal(chats.status, 200);
  t.equal(chats.json().from, 'A', "the key's account, not the cookie's");
  t.equal(sliceB.seen.length, beforeB, "B's slice got nothing");
  t.equal(chats.headers.get('set-cookie'), null);

  // A key signs nobody in: login (and register, accepting an invitation) refuse it, store no session, set no cookie.
  const sessions = async () => (await admin.selectFrom('gateway.sessions').select('sid').execute()).length;
  const count = await sessions();
  const login = await withKey(k.key, 'POST', '/api/auth/login', { email: 'owner@keys-b.example', password: 'correct horse battery' }, { origin: ORIGIN });
  t.equal(login.status, 403);
  t.equal(login.json().error.code, 'SESSION_REQUIRED');
  t.equal(login.headers.get('set-cookie'), null, 'no cookie on a key answer');
  t.equal(await sessions(), count, 'and no session stored');
  // Nor on a public route that answers (a cookie it set would be dropped: none is).
  const health = await withKey(k.key, 'GET', '/healthz', undefined, { cookie: owner.browser.cookie! });
  t.equal(health.status, 200);
  t.equal(health.headers.get('set-cookie'), null);
});

t.test('revoke: 401 at once, even beside a valid session cookie; malformed and unknown keys get the same 401', async (t) => {
  const k = await makeKey(owner, 'to revoke', ['read']);
  t.equal((await withKey(k.key, 'GET', '/api/chats')).status, 200, 'works (and is now cached)');
  const revoke = await owner.browser.request('DELETE', `/api/keys/${k.id}`);
  t.equal(revoke.statusCode, 204);
  const after = await withKey(k.key, 'GET', '/api/chats');
  t.equal(after.status, 401, 'refused on the very next request');
  t.equal(after.json().error.code, 'API_KEY_INVALID');
  const withCookie = await withKey(k.key, 'GET', '/api/chats', undefined, { cookie: owner.browser.cookie! });
  t.equal(withCookie.status, 401, 'a revoked key with a valid session cookie is still 401, not the session');
  t.equal(withCookie.json().error.code, 'API_KEY_INVALID');

  const malformed = await withKey('qk_short', 'GET', '/api/chats');
  const unknown = await withKey(`qk_${crypto.randomBytes(32).toString('base64url')}`, 'GET', '/api/chats');
  for (const r of [malformed, unknown]) {
    t.equal(r.status, 401);
    t.equal(r.json().error.code, 'API_KEY_INVALID');
  }
  t.equal(malformed.json().error.message, after.json().error.message, 'one message: it never says which');
  t.equal(unknown.json().error.message, after.json().error.message);

  t.equal((await owner.browser.request('DELETE', `/api/keys/${k.id}`)).statusCode, 204, 'revoking again is no error');
  const audit = await admin.selectFrom('gateway.audit_log').selectAll().where('action', '=', 'api_key.revoked').execute();
  t.equal(audit.length, 1, 'one audit row for one revocation');
  t.match(audit[0], { actor: `user:${owner.userId}`, account_id: accountA, details: { keyId: k.id, name: 'to revoke' } });
  const missing = await owner.browser.request('DELETE', '/api/keys/999999999');
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error.code, 'API_KEY_NOT_FOUND');
  const listed = (await owner.browser.request('GET', '/api/keys')).json().items.find((i: { id: string }) => i.id === k.id);
  t.ok(listed.revokedAt, 'listed with its revocation time');
  t.equal((await withKey(k.key, 'DELETE', `/api/keys/${k.id}`)).status, 401, 'a key cannot call the key routes either way');
});

t.test('rate limit per key: 429 RATE_LIMITED with retry-after, other keys unaffected', async (t) => {
  // Another gateway process on the same database with a small limit.
  const limited = await build(t, db, { env: { API_KEY_RATE_PER_MINUTE: '3' } });
  const k1 = await makeKey(owner, 'busy', ['read']);
  const k2 = await makeKey(owner, 'quiet', ['read']);
  const call = (key: string) => limited.inject({ method: 'GET', url: '/api/chats', headers: { authorization: `Bearer ${key}` } });
  for (let i = 0; i < 3; i++) t.equal((await call(k1.key)).statusCode, 200, `request ${i + 1} of 3`);
  const over = await call(k1.key);
  t.equal(over.statusCode, 429);
  t.equal(over.json().error.code, 'RATE_LIMITED');
  const wait = Number(over.headers['retry-after']);
  t.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `retry-after ${over.headers['retry-after']} s`);
  t.equal((await call(k2.key)).statusCode, 200, 'another key of the same account is not limited');
});

t.test('last use: time and client address recorded, at most once a minute', async (t) => {
  const k = await makeKey(owner, 'tracked', ['read']);
  const row = () => admin.selectFrom('gateway.api_keys').select(['last_used_at', 'last_used_address']).where('id', '=', k.id).executeTakeFirstOrThrow();
  t.same(await row(), { last_used_at: null, last_used_address: null });
  t.equal((await withKey(k.key, 'GET', '/api/chats', undefined, { 'x-forwarded-for': '203.0.113.77' })).status, 200);
  const first = await row();
  t.ok(first.last_used_at instanceof Date, 'the time is recorded');
  t.equal(first.last_used_address, '203.0.113.77', "the client's address (nginx's X-Forwarded-For from loopback)");
  t.equal((await withKey(k.key, 'GET', '/api/chats', undefined, { 'x-forwarded-for': '203.0.113.78' })).status, 200);
  t.same(await row(), first, 'a second use within the minute writes nothing');
  const listed = (await owner.browser.request('GET', '/api/keys')).json().items.find((i: { id: string }) => i.id === k.id);
  t.equal(listed.lastUsedAddress, '203.0.113.77');
  t.equal(listed.lastUsedAt, first.last_used_at!.toISOString());
});

t.test("a key of account A never sees account B's data or keys", async (t) => {
  const kA = await makeKey(owner, 'a only', ['read', 'send', 'manage']);
  const kB = await makeKey(ownerB, 'b only', ['read']);
  const beforeB = sliceB.seen.length;
  for (const url of ['/api/chats', `/api/chats/1/messages`, '/api/contacts', '/api/search?q=x']) {
    const r = await withKey(kA.key, 'GET', url);
    t.equal(r.json().from, 'A', `${url}: A's slice`);
  }
  const last = sliceA.seen.at(-1)!;
  t.equal(verifyActingMember(String(last.headers[ACTING_MEMBER_HEADER]), sliceA.token)?.accountId, accountA);
  t.equal(sliceB.seen.length, beforeB, "nothing reached B's slice");
  t.notOk((await owner.browser.request('GET', '/api/keys')).body.includes('"name":"b only"'), "A's list does not hold B's keys");
  const del = await owner.browser.request('DELETE', `/api/keys/${kB.id}`);
  t.equal(del.statusCode, 404, "A's owner cannot revoke B's key");
  t.equal((await withKey(kB.key, 'GET', '/api/chats')).json().from, 'B', "B's key still works, on B's slice");

  // An account being deleted: its keys stop (a key not cached yet).
  const kGone = await makeKey(ownerB, 'gone', ['read']);
  await admin.updateTable('gateway.accounts').set({ deleting_since: new Date() }).where('id', '=', accountB).execute();
  t.teardown(() => admin.updateTable('gateway.accounts').set({ deleting_since: null }).where('id', '=', accountB).execute());
  t.equal((await withKey(kGone.key, 'GET', '/api/chats')).status, 401, 'a key of an account being deleted is refused');
});

t.test('every gateway route × scope: a key lacking the declared scope is refused, one holding it is not', async (t) => {
  const declared = app.auth.routes();
  t.ok(declared.length > 40, `${declared.length} routes`);
  for (const r of declared) {
    // People, money and operators are never a key's.
    if (['user', 'owner', 'operator'].includes(r.access)) t.equal(r.scope, 'session', `${r.method} ${r.url} (${r.access}) is session-only`);
  }
  for (const url of ['/api/keys', '/api/keys/:id']) t.ok(declared.filter((r) => r.url === url).every((r) => r.scope === 'session'), `${url}: session`);
  const all = await makeKey(owner, 'all', ['read', 'send', 'manage']);
  const without = {
    read: await makeKey(owner, 'no read', ['send', 'manage']),
    send: await makeKey(owner, 'no send', ['read', 'manage']),
    manage: await makeKey(owner, 'no manage', ['read', 'send']),
  };
  let checked = 0;
  for (const r of declared) {
    // Catch-alls: one read and one write stand for every method.
    if (r.url.endsWith('*') && !['GET', 'POST'].includes(r.method)) continue;
    const url = r.url.replace(/:id\b/g, '999999999').replace(/\*$/, 'probe-route');
    const body = ['GET', 'DELETE'].includes(r.method) ? undefined : { probe: true };
    const code = async (key: string) => {
      const res = await withKey(key, r.method, url, body);
      try {
        return { status: res.status, code: res.json().error?.code as string | undefined };
      } catch {
        return { status: res.status, code: undefined };
      }
    };
    const label = `${r.method} ${r.url} (${r.scope})`;
    if (r.scope === 'session') {
      t.same(await code(all.key), { status: 403, code: 'SESSION_REQUIRED' }, `${label}: no key, whatever its scopes`);
    } else {
      if (r.scope !== 'public') t.same(await code(without[r.scope].key), { status: 403, code: 'SCOPE_REQUIRED' }, `${label}: refused without ${r.scope}`);
      const allowed = await code(all.key);
      t.notOk(allowed.code === 'SCOPE_REQUIRED' || allowed.code === 'SESSION_REQUIRED' || allowed.status === 401, `${label}: a key holding it gets through (${allowed.status} ${allowed.code ?? ''})`);
    }
    checked += 1;
  }
  t.ok(checked > 40, `${checked} routes probed`);
});

t.test('a route under /api/ that declares no scope is refused when registered', async (t) => {
  const bare = Fastify({ logger: false });
  for (const name of ['db', 'session', 'api-keys']) await bare.register(fp(async () => {}, { name }));
  await bare.register(authPlugin);
  t.throws(() => bare.get('/api/undeclared', async () => 'x'), /declares no config\.scope/);
  t.doesNotThrow(() => bare.get('/api/declared', { config: { scope: 'read' } }, async () => 'x'));
  t.doesNotThrow(() => bare.get('/some-file.js', async () => 'x'), 'outside /api/ (the web app) is public');
  await bare.close();
});
