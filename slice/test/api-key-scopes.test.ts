// API keys on the slice, over app.inject() with the real PostgreSQL (WhatsApp stand-in, no browser):
// every route declares a scope, the one the rule of thumb gives it (reads read; messages,
// reactions and marking read send; other writes manage; the phone link, the simulator and
// /internal are a person's or the system's), and a signed acting-member header that says a key
// acts is held to it on every route; a session's header is not. The header's key fields are
// checked: half of them, or a scope this code does not know, is refused as a forgery.
import t from 'tap';
import { ACTING_MEMBER_HEADER, signActingMember, verifyActingMember } from '../../lib/acting-member.ts';
import type { ApiScope, RouteScope } from '../../lib/api-scopes.ts';
import { auth, buildApp, chat, message, openStore, sliceDb, TOKEN, WhatsAppStandIn } from './helpers.ts';
import crypto from 'node:crypto';

/** What each slice route must declare: the contract's rule of thumb, with the sends named. */
const SENDS = new Set(['POST /api/chats', 'POST /api/chats/:id/messages', 'POST /api/chats/:id/read', 'PUT /api/messages/:id/reaction', 'POST /api/messages']);
const PERSON_OR_SYSTEM = /^(\/sim\/|\/internal\/|\/api\/wa\/(logout|reload-qr|pairing-code)$)/;
function expectedScope(method: string, url: string): RouteScope {
  if (url === '/health') return 'public';
  if (PERSON_OR_SYSTEM.test(url)) return 'session';
  if (method === 'GET') return 'read';
  return SENDS.has(`${method} ${url}`) ? 'send' : 'manage';
}

const asKey = (scopes: ApiScope[]) => ({
  ...auth,
  [ACTING_MEMBER_HEADER]: signActingMember({ id: '10', role: 'admin', name: 'API key test', accountId: '1', apiKey: { id: '7', scopes } }, TOKEN),
});
const allScopes: ApiScope[] = ['read', 'send', 'manage'];

t.test('the acting-member header: a key id and scopes round-trip; a half or an unknown scope does not verify', async (t) => {
  const withKey = verifyActingMember(asKey(['send', 'read'])[ACTING_MEMBER_HEADER], TOKEN);
  t.same(withKey, { id: '10', role: 'admin', name: 'API key test', accountId: '1', apiKey: { id: '7', scopes: ['send', 'read'] } });
  t.same(verifyActingMember(signActingMember({ id: '10', role: 'agent', name: 'Ana', accountId: '1' }, TOKEN), TOKEN), { id: '10', role: 'agent', name: 'Ana', accountId: '1' }, "a session's header has no apiKey");
  // Headers signed with the right token whose key part is wrong: made by hand, as only a bug could.
  const signed = (payload: object) => {
    const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `v1.${p}.${crypto.createHmac('sha256', TOKEN).update(`v1.${p}`).digest('base64url')}`;
  };
  const base = { m: '10', r: 'admin', n: 'x', a: '1' };
  t.ok(verifyActingMember(signed({ ...base, k: '7', s: ['read'] }), TOKEN), 'the hand-made form verifies when whole');
  t.equal(verifyActingMember(signed({ ...base, k: '7' }), TOKEN), null, 'k without s');
  t.equal(verifyActingMember(signed({ ...base, s: ['read'] }), TOKEN), null, 's without k');
  t.equal(verifyActingMember(signed({ ...base, k: '7', s: ['read', 'admin'] }), TOKEN), null, 'an unknown scope');
  t.equal(verifyActingMember(signed({ ...base, k: '7', s: [] }), TOKEN), null, 'no scopes');
  t.equal(verifyActingMember(signed({ ...base, k: 'seven', s: ['read'] }), TOKEN), null, 'a key id that is not digits');
});

t.test('every slice route × scope (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-key-scopes');
  const store = await openStore(t, fx);
  const wa = new WhatsAppStandIn();
  const app = await buildApp(t, store, wa, { waMode: 'sim' });
  await store.sink.chats([chat(1)]);
  await store.sink.messages([message(1, 1)]);
  await store.flush();
  const req = (method: string, url: string, body: unknown, headers: Record<string, string>) =>
    app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as object }) });

  const routes = app.routeRoles();
  t.ok(routes.length > 30, `${routes.length} routes`);
  for (const r of routes) t.equal(r.scope, expectedScope(r.method, r.url), `${r.method} ${r.url} declares ${expectedScope(r.method, r.url)}`);

  for (const r of routes) {
    const url = r.url.replace(/:(id|labelId)/g, '999999').replace('/*', '/some/app/route');
    const body = ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined;
    const label = `${r.method} ${r.url} (${r.scope})`;
    const codeOf = async (headers: Record<string, string>) => {
      const res = await req(r.method, url, body, headers);
      return { status: res.statusCode, code: res.json()?.error?.code as string | undefined, message: res.json()?.error?.message as string | undefined };
    };
    if (r.scope === 'session') {
      const res = await codeOf(asKey(allScopes));
      t.same({ status: res.status, code: res.code }, { status: 403, code: 'SESSION_REQUIRED' }, `${label}: never a key's`);
      continue;
    }
    if (r.scope !== 'public') {
      const lacking = await codeOf(asKey(allScopes.filter((s) => s !== r.scope)));
      t.same({ status: lacking.status, code: lacking.code }, { status: 403, code: 'SCOPE_REQUIRED' }, `${label}: refused without ${r.scope}`);
      t.match(lacking.message, new RegExp(`needs an API key with the ${r.scope} scope`), 'the message names the scope needed');
    }
    // An admitted stream never ends: its refusal above is what is checked.
    if (r.url === '/events') continue;
    const holding = await codeOf(asKey(r.scope === 'public' ? ['read'] : [r.scope as ApiScope]));
    t.notOk(holding.code === 'SCOPE_REQUIRED' || holding.code === 'SESSION_REQUIRED', `${label}: a key holding it gets through (${holding.status} ${holding.code ?? ''})`);
    // A session's header (same member, no key) is not held to scopes at all.
    const session = await codeOf({ ...auth, [ACTING_MEMBER_HEADER]: signActingMember({ id: '10', role: 'admin', name: 'Ada', accountId: '1' }, TOKEN) });
    t.notOk(session.code === 'SCOPE_REQUIRED' || session.code === 'SESSION_REQUIRED', `${label}: a session is not scoped`);
  }
  t.equal(wa.sent.length, 0, 'no probe sent anything');
});
