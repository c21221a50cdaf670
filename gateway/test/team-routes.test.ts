// Route × role: every route the gateway registers (app.auth.routes()) declares who may call it,
// and that declaration is the one written here (a new route with no line below, or a changed
// access, fails this test). Then each route is called over real HTTP as anonymous, a signed-in
// user in no account, an agent, an admin and an owner of one account, and each gets what its
// access says: 401 UNAUTHENTICATED, 403 ROLE_REQUIRED (403 operators only), or through to the
// route itself (whatever it answers then: 400 for the probe's bad body, 404, 409, 503 …).
import t from 'tap';
import type { RouteAccess } from '../plugins/auth.ts';
import { ORIGIN } from './helpers.ts';
import { joinAs, signUp, startTeamTest, withoutOwnAccount, type Person } from './team-helpers.ts';

t.setTimeout(240_000);
const { admin, app, base: listening } = await startTeamTest(t, 'gateway-team-routes', { LOGIN_LIMIT_PER_ADDRESS: '100000' }, { listen: true });
const base = listening!;

type Who = 'anonymous' | 'non-member' | 'agent' | 'admin' | 'owner';

/** `METHOD url` (or `* url` for every method of a catch-all) → the access it must declare. */
const EXPECTED: Record<string, RouteAccess> = {
  '* /api': 'agent', // the proxy to the slice (non-GET through Fastify)
  '* /api/*': 'agent',
  '* /api/admin/*': 'operator',
  'GET /api/admin/slices': 'operator',
  '* /api/billing/*': 'public', // unknown billing paths: 404
  'GET /api/billing': 'owner',
  'POST /api/billing/checkout': 'owner',
  'POST /api/billing/portal': 'owner',
  'POST /api/billing/webhook': 'public',
  'POST /api/auth/register': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': 'public',
  'GET /api/auth/invitations/preview': 'public',
  'POST /api/auth/invitations/accept': 'public',
  'POST /api/auth/switch-account': 'user',
  'GET /api/me': 'user',
  'POST /api/connect': 'admin',
  'GET /api/events': 'agent',
  'GET /api/team/members': 'agent',
  'PATCH /api/team/members/:id': 'agent',
  'DELETE /api/team/members/:id': 'admin',
  'POST /api/team/leave': 'agent',
  'GET /api/team/invitations': 'admin',
  'POST /api/team/invitations': 'admin',
  'DELETE /api/team/invitations/:id': 'admin',
  'GET /api/team/settings': 'agent',
  'PUT /api/team/settings': 'owner',
  'PATCH /api/account': 'owner',
  'GET /api/account/audit': 'owner',
  'POST /api/auth/password': 'user',
  'POST /api/auth/password-reset': 'public',
  'POST /api/auth/password-reset/confirm': 'public',
  'POST /api/auth/verify-email': 'public',
  'POST /api/auth/verify-email/resend': 'user',
  'POST /api/auth/totp/setup': 'user',
  'POST /api/auth/totp/enable': 'user',
  'DELETE /api/auth/totp': 'user',
  'POST /api/auth/totp/recovery-codes': 'user',
  'GET /api/auth/sessions': 'user',
  'DELETE /api/auth/sessions': 'user',
  'DELETE /api/auth/sessions/:id': 'user',
  'DELETE /api/account': 'owner',
  'POST /api/webhooks': 'admin',
  'GET /api/webhooks': 'admin',
  'PATCH /api/webhooks/:id': 'admin',
  'DELETE /api/webhooks/:id': 'admin',
  'GET /api/webhooks/:id/deliveries': 'admin',
  'POST /api/webhooks/:id/deliveries/:deliveryId/redeliver': 'admin',
  'POST /api/webhooks/:id/test': 'admin',
  'POST /api/keys': 'admin',
  'GET /api/keys': 'admin',
  'DELETE /api/keys/:id': 'admin',
  'GET /healthz': 'public',
  'GET /metrics': 'public',
  // The API's description and its reference page (issue 18)
  'GET /api/openapi.json': 'public',
  'GET /api/docs': 'public',
  'GET /api/docs/json': 'public',
  'GET /api/docs/yaml': 'public',
  'GET /api/docs/static/index.html': 'public',
  'GET /api/docs/static/swagger-initializer.js': 'public',
  'GET /api/docs/static/*': 'public',
};

const owner = await signUp(app, admin, 'owner@routes.example', base);
const teamAccount = owner.ownAccountId;
const callers: Record<Exclude<Who, 'anonymous'>, Person> = {
  owner,
  admin: await joinAs(app, admin, await signUp(app, admin, 'admin@routes.example', base), teamAccount, 'admin'),
  agent: await joinAs(app, admin, await signUp(app, admin, 'agent@routes.example', base), teamAccount, 'agent'),
  'non-member': await withoutOwnAccount(app, admin, await signUp(app, admin, 'nobody@routes.example', base)),
};

const declared = app.auth.routes();
const expectedFor = (method: string, url: string) => EXPECTED[`${method} ${url}`] ?? EXPECTED[`* ${url}`];

t.test('every route declares the access this table expects, and the table names no route that is gone', async (t) => {
  for (const r of declared) t.equal(r.access, expectedFor(r.method, r.url), `${r.method} ${r.url}`);
  for (const key of Object.keys(EXPECTED)) {
    const [method, url] = key.split(' ') as [string, string];
    t.ok(declared.some((r) => r.url === url && (method === '*' || r.method === method)), `${key} is registered`);
  }
});

type Outcome = 'unauthenticated' | 'role' | 'operator' | 'csrf' | 'through';
const RANK: Record<string, number> = { agent: 1, admin: 2, owner: 3 };

/** What the access rule lets this caller do. */
function allowed(access: RouteAccess, who: Who, method: string): Outcome[] {
  // Without a session there is no CSRF token: a state-changing call is refused by the CSRF check
  // (before the route is known to need a login) unless the route is origin-only or exempt.
  if (who === 'anonymous') return access === 'public' ? ['through', 'csrf'] : method === 'GET' ? ['unauthenticated'] : ['unauthenticated', 'csrf'];
  if (access === 'public' || access === 'user') return ['through'];
  if (access === 'operator') return ['operator'];
  if (who === 'non-member') return ['role'];
  return RANK[who]! >= RANK[access]! ? ['through'] : ['role'];
}

async function call(who: Who, method: string, url: string): Promise<{ status: number; code?: string; message?: string }> {
  const person = who === 'anonymous' ? null : callers[who];
  const headers: Record<string, string> = {};
  if (person) headers.cookie = person.browser.cookie!;
  if (method !== 'GET') {
    headers.origin = ORIGIN;
    if (person) headers['x-csrf-token'] = person.browser.csrfToken!;
  }
  const sendsBody = !['GET', 'DELETE', 'OPTIONS', 'TRACE'].includes(method);
  if (sendsBody) headers['content-type'] = 'application/json';
  const controller = new AbortController();
  const res = await fetch(`${base}${url}`, { method, headers, signal: controller.signal, ...(sendsBody ? { body: JSON.stringify({ probe: true }) } : {}) });
  if (res.headers.get('content-type')?.includes('text/event-stream')) {
    controller.abort();
    return { status: res.status };
  }
  const text = await res.text();
  try {
    const error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    return { status: res.status, code: error?.code, message: error?.message };
  } catch {
    return { status: res.status };
  }
}

function outcomeOf(r: { status: number; code?: string; message?: string }): Outcome {
  if (r.status === 401 && r.code === 'UNAUTHENTICATED') return 'unauthenticated';
  if (r.status === 403 && r.code === 'ROLE_REQUIRED') return 'role';
  if (r.status === 403 && r.code === 'PERMISSION_DENIED' && r.message === 'operators only') return 'operator';
  if (r.status === 403 && r.code === 'CSRF_REJECTED') return 'csrf';
  return 'through';
}

/** Puts the member back after a probe of POST /api/team/leave let them leave. */
async function rejoin(who: Who, memberId: string, role: 'agent' | 'admin'): Promise<void> {
  const person = callers[who as 'agent' | 'admin'];
  await admin.insertInto('gateway.members').values({ id: memberId, account_id: teamAccount, user_id: person.userId, role }).execute();
  app.auth.forget(person.userId);
  const res = await person.browser.request('POST', '/api/auth/switch-account', { accountId: teamAccount });
  if (res.statusCode !== 200) throw new Error(`switch back: ${res.body}`);
}

t.test('each route × each caller: 401, 403 or through, as declared', async (t) => {
  const probes: { method: string; url: string; access: RouteAccess }[] = [];
  for (const r of declared) {
    // Catch-alls: one read and one write stand for every method.
    if (r.url.endsWith('*') && !['GET', 'POST'].includes(r.method)) continue;
    probes.push(r);
  }
  // Logout last: it ends the session it is called with.
  probes.sort((a, b) => Number(a.url === '/api/auth/logout') - Number(b.url === '/api/auth/logout'));
  const whos: Who[] = ['anonymous', 'non-member', 'agent', 'admin', 'owner'];
  let checked = 0;
  for (const probe of probes) {
    const url = probe.url.replace(/:id\b/g, '999999999').replace(/\*$/, 'probe-route');
    for (const who of whos) {
      const r = await call(who, probe.method, url);
      const outcome = outcomeOf(r);
      const want = allowed(probe.access, who, probe.method);
      t.ok(want.includes(outcome), `${probe.method} ${probe.url} as ${who} (${probe.access}): ${outcome} (${r.status} ${r.code ?? ''}), want ${want.join(' or ')}`);
      checked += 1;
      if (probe.url === '/api/team/leave' && r.status === 204 && (who === 'agent' || who === 'admin')) await rejoin(who, callers[who].memberId, who);
    }
  }
  t.ok(checked >= 5 * 30, `${checked} route × caller pairs`);
});
