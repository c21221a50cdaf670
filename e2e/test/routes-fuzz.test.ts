// Bad input on every HTTP route, through the gateway (issue 17): the gateway's own routes and the
// slice's as a client reaches them (proxied to a real slice: the supervisor as a child process, the
// process runtime, real Chromium on the WhatsApp simulator page — the simulator stands in for
// WhatsApp's servers). fast-check throws bodies (any JSON, strings, huge strings, deep objects,
// broken JSON), odd path parameters and odd queries at each, signed in as the account's owner with
// a CSRF token. Promised: never a 5xx; every 4xx in the error shape {error: {kind, code, message}}
// with a known kind; the same bad GET answered with the same code twice.
import fs from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { ERROR_KINDS } from '../../lib/errors.ts';
import { fuzzRuns } from '../../test-support/fuzz.ts';
import { build, ORIGIN, startDb } from '../../gateway/test/helpers.ts';
import { assertChromium, reserveSliceIds, sleep, Supervisor, tempDir, waitUntil } from '../../gateway/test/system.ts';
import { signUp } from '../../gateway/test/team-helpers.ts';
import { createDb } from '../../sql/database.ts';
import { buildApp as buildSliceTestApp, openStore, sliceDb, WhatsAppStandIn } from '../../slice/test/helpers.ts';

t.setTimeout(600_000);
assertChromium();

const SLICE = 97; // this file's slice (port 5193)

// The slice's routes as the slice itself declares them (app.routeRoles()), from an app built here.
const sliceRoutes = await (async () => {
  const fx = await sliceDb(t, 'e2e-routes-fuzz-list');
  const store = await openStore(t, fx);
  const app = await buildSliceTestApp(t, store, new WhatsAppStandIn());
  return app.routeRoles().filter((r) => r.url.startsWith('/api/') && r.minRole !== 'system');
})();

const db = await startDb(t, 'e2e-routes-fuzz');
await reserveSliceIds(db.adminUrl, SLICE);
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());
const dir = tempDir('routes-fuzz');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const supervisor = new Supervisor(dir, db.adminUrl);
await supervisor.start();
t.teardown(() => supervisor.stop());
const app = await build(t, db, { env: { SUPERVISOR_SOCKET: supervisor.socket, LOGIN_LIMIT_PER_ADDRESS: '100000', LOGIN_LIMIT_PER_ACCOUNT: '100000' }, monitor: true });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const owner = await signUp(app, admin, 'owner@fuzz.example', base);

/**
 * Left out, each for a reason: they end the very session the run uses or unlink WhatsApp (logout,
 * sessions, account deletion, leaving the team, WhatsApp logout / a new QR), or are not a client's
 * (Stripe's webhook: its signature check is tested in billing.test.ts; the event stream: a long poll).
 */
const LEFT_OUT = new Set([
  'POST /api/auth/logout',
  'DELETE /api/auth/sessions',
  'DELETE /api/auth/sessions/:id',
  'POST /api/auth/switch-account',
  'DELETE /api/account',
  'POST /api/account/delete',
  'POST /api/team/leave',
  'POST /api/wa/logout',
  'POST /api/wa/reload-qr',
  'POST /api/billing/webhook',
  'GET /api/events',
  'POST /api/auth/password',
  'DELETE /api/auth/totp',
]);

interface Route {
  method: string;
  url: string;
}
const gatewayRoutes: Route[] = app.auth
  .routes()
  .filter((r) => r.url.startsWith('/api/') && !r.url.includes('*') && r.method !== 'HEAD' && r.method !== 'OPTIONS' && r.access !== 'operator');
const routes: Route[] = [...gatewayRoutes, ...sliceRoutes].filter((r) => !LEFT_OUT.has(`${r.method} ${r.url}`));

const oddSegment = fc.oneof(
  fc.constantFrom('0', '-1', '1e99', '99999999999999999999', 'null', 'undefined', '..', '%00', '%2e%2e', '%F0%9F%98%80', '%ZZ', 'x'.repeat(600), ' ', '1;drop', '<script>'),
  fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  fc.integer().map(String),
);
const oddQuery = fc.dictionary(
  fc.constantFrom('cursor', 'limit', 'q', 'label', 'stage', 'unread', 'before', 'assignee', 'token', 'x'),
  fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('-1', '0', '1e309', 'NaN', 'true', '[]', '{}', 'x'.repeat(3000))),
);
const oddBody = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 4 },
  { arbitrary: fc.dictionary(fc.constantFrom('email', 'password', 'body', 'name', 'role', 'id', 'chatId', 'emoji', 'color', 'position', 'ids', 'token', 'code', 'phoneNumber', 'value', 'stageId', 'assigneeMemberId'), fc.jsonValue({ maxDepth: 2 })).map((v) => JSON.stringify(v)), weight: 4 },
  { arbitrary: fc.constantFrom('{', '{"a":', 'null', '[]', '""', '\u0000', '{"__proto__":{"x":1}}', JSON.stringify({ body: 'x'.repeat(300_000) }), '['.repeat(5000)), weight: 2 },
  { arbitrary: fc.string({ maxLength: 50 }), weight: 1 },
);

function pathFor(url: string, segments: string[]): string {
  let i = 0;
  return url.replace(/:[A-Za-z]+/g, () => segments[i++ % segments.length] ?? 'x');
}

async function call(method: string, url: string, body: string | undefined): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { cookie: owner.browser.cookie!, 'x-forwarded-for': '198.18.9.9' };
  if (method !== 'GET') {
    headers.origin = ORIGIN;
    headers['x-csrf-token'] = owner.browser.csrfToken!;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${base}${url}`, { method, headers, redirect: 'manual', ...(body !== undefined && method !== 'GET' ? { body } : {}) });
  return { status: r.status, text: await r.text() };
}

function errorShapeProblem(status: number, text: string): string | null {
  if (status >= 500) return `a ${status}: ${text.slice(0, 300)}`;
  if (status < 400) return null;
  let parsed: { error?: { kind?: unknown; code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(text);
  } catch {
    return `a ${status} whose body is not JSON: ${text.slice(0, 200)}`;
  }
  const e = parsed.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || !(ERROR_KINDS as readonly unknown[]).includes(e.kind)) return `a ${status} without the error shape: ${text.slice(0, 200)}`;
  return null;
}

t.test('linked: the account has a READY slice to proxy to', async (t) => {
  t.equal((await owner.browser.request('POST', '/api/connect')).statusCode, 202);
  await waitUntil('READY', 180_000, async () => (await owner.browser.request('GET', '/api/wa')).json().state === 'READY');
  await sleep(2_000);
  t.ok(sliceRoutes.length > 30, `${sliceRoutes.length} slice routes`);
  t.ok(gatewayRoutes.length > 25, `${gatewayRoutes.length} gateway routes`);
});

t.test('every route, fuzzed: never a 5xx, 4xx always in the error shape, the same bad GET the same code', async (t) => {
  const runs = fuzzRuns(6);
  const statuses = new Map<number, number>();
  for (const route of routes) {
    await fc.assert(
      fc.asyncProperty(fc.array(oddSegment, { minLength: 1, maxLength: 3 }), oddQuery, oddBody, async (segments, query, body) => {
        const qs = new URLSearchParams(query).toString();
        const url = `${pathFor(route.url, segments)}${qs ? `?${qs}` : ''}`;
        const first = await call(route.method, url, route.method === 'GET' ? undefined : body);
        statuses.set(first.status, (statuses.get(first.status) ?? 0) + 1);
        const problem = errorShapeProblem(first.status, first.text);
        if (problem) throw new Error(`${route.method} ${url}: ${problem}`);
        if (route.method === 'GET' && first.status >= 400) {
          const again = await call(route.method, url, undefined);
          const code = (s: string) => (JSON.parse(s) as { error: { code: string } }).error.code;
          if (again.status !== first.status || code(again.text) !== code(first.text)) throw new Error(`${route.method} ${url}: ${first.status} ${code(first.text)}, then ${again.status} ${again.text.slice(0, 100)}`);
        }
      }),
      // A segment that is no valid percent-encoding on every route: Fastify's router refuses it
      // before any handler, which once answered in Fastify's own shape.
      { numRuns: runs, examples: [[['%ZZ'], { q: '%ZZ' }, '{']] },
    );
  }
  const me = await owner.browser.request('GET', '/api/me');
  t.equal(me.statusCode, 200, 'the owner is still signed in after it all');
  t.pass(`${routes.length} routes × ${runs} cases; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
});
