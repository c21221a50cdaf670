// The API's OpenAPI document and reference page (issue 18). A gateway built here (real PostgreSQL)
// answers GET /api/openapi.json, its slice part made the way production makes it: slice/openapi.ts
// run as a child process. Promised: the document validates as OpenAPI (@readme/openapi-parser);
// every route either program registers (the gateway's app.auth.routes(), a slice app's
// app.routeRoles(), built here over a real store) is in it, the slice's at the path a client calls
// through the gateway; each operation carries the scope its route declares (x-queunir-scope) and
// the security that follows; GET /api/docs and every file the page loads are the gateway's own
// (it works with no network) and public, and Chromium renders every operation from them alone,
// under the gateway's own CSP.
import t from 'tap';
import { validate, compileErrors } from '@readme/openapi-parser';
import { ROUTE_SCOPES } from '../../lib/api-scopes.ts';
import { build, startDb } from '../../gateway/test/helpers.ts';
import { buildApp as buildSliceTestApp, openStore, sliceDb, WhatsAppStandIn } from '../../slice/test/helpers.ts';
import { launchBrowser } from './system.ts';

t.setTimeout(180_000);

type Operation = { 'x-queunir-scope'?: string; security?: Record<string, string[]>[]; parameters?: { in: string; name: string }[] };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { type: string; scheme?: string; in?: string }> } };
interface Route {
  method: string;
  url: string;
  scope?: string;
}

const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const segmentOf = (url: string) => /^\/api\/([^/:*{}]+)/.exec(url)?.[1] ?? null;

// The slice's routes as the slice declares them, from an app built over a real store.
const sliceRoutes: Route[] = await (async () => {
  const fx = await sliceDb(t, 'e2e-openapi-slice');
  const store = await openStore(t, fx);
  const app = await buildSliceTestApp(t, store, new WhatsAppStandIn());
  return app.routeRoles() as Route[];
})();

const db = await startDb(t, 'e2e-openapi');
const app = await build(t, db);

/**
 * Not operations of the API: the proxy's wildcards (what they forward is listed as the slice's
 * routes) and the reference page's own files (HTML, scripts, styles: they are the page).
 */
const gatewayRoutes: Route[] = (app.auth.routes() as Route[]).filter((r) => !r.url.includes('*') && r.url !== '/api' && r.url !== '/api/' && !r.url.startsWith('/api/docs') && r.method !== 'OPTIONS');
const gatewaySegments = new Set(gatewayRoutes.map((r) => segmentOf(r.url)).filter((s): s is string => s !== null));
/** The slice's routes a client reaches through the gateway: /api/ paths under a segment the gateway does not answer itself. */
const reachable = sliceRoutes.filter((r) => r.url.startsWith('/api/') && !gatewaySegments.has(segmentOf(r.url) ?? ''));

const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
const doc = res.json() as Doc;

t.test('GET /api/openapi.json answers without credentials', async (t) => {
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  t.equal(doc.openapi, '3.1.0');
});

t.test('the document validates as OpenAPI', async (t) => {
  const result = await validate(structuredClone(doc) as never);
  t.ok(result.valid, result.valid ? 'valid' : compileErrors(result));
});

t.test('every route of both programs is in it', async (t) => {
  t.ok(gatewayRoutes.length > 40, `${gatewayRoutes.length} gateway routes`);
  t.ok(reachable.length > 30, `${reachable.length} slice routes reached through the gateway`);
  const missing = [...gatewayRoutes, ...reachable].filter((r) => !doc.paths[openapiPath(r.url)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`);
  t.same(missing, [], 'no route left out');
  const listed = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
  const known = new Set([...gatewayRoutes, ...reachable].map((r) => `${r.method} ${openapiPath(r.url)}`));
  t.same(listed.filter((o) => !known.has(o)), [], 'nothing listed that neither program answers (no /internal, /sim, /health of the slice)');
});

// Fails until every route declares config.scope (the API keys part of issue 18 adds them).
t.test('every operation carries the scope its route declares, and the security that follows', async (t) => {
  const wrong: string[] = [];
  for (const r of [...gatewayRoutes, ...reachable]) {
    const op = doc.paths[openapiPath(r.url)]?.[r.method.toLowerCase()];
    if (!op) continue;
    const scope = op['x-queunir-scope'];
    if (!scope || !(ROUTE_SCOPES as readonly string[]).includes(scope)) wrong.push(`${r.method} ${r.url}: x-queunir-scope ${scope ?? 'missing'}`);
    else if (scope !== r.scope) wrong.push(`${r.method} ${r.url}: x-queunir-scope ${scope}, the route declares ${r.scope ?? 'none'}`);
  }
  t.same(wrong, [], 'every operation names its scope');
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      const scope = op['x-queunir-scope'];
      if (!scope) continue;
      const expected = scope === 'public' ? [] : scope === 'session' ? [{ session: [] }] : [{ session: [] }, { apiKey: [scope] }];
      if (JSON.stringify(op.security) !== JSON.stringify(expected)) t.fail(`${m.toUpperCase()} ${p}: security ${JSON.stringify(op.security)} for scope ${scope}`);
    }
  }
});

t.test('the security schemes, and the sends with their Idempotency-Key', async (t) => {
  const schemes = doc.components.securitySchemes;
  t.same([schemes.session?.type, schemes.session?.in], ['apiKey', 'cookie'], 'the session cookie');
  t.same([schemes.apiKey?.type, schemes.apiKey?.scheme], ['http', 'bearer'], 'the bearer API key');
  const send = doc.paths['/api/messages']?.post;
  t.equal(send?.['x-queunir-scope'], 'send', 'POST /api/messages needs send');
  for (const path of ['/api/messages', '/api/chats/{id}/messages']) {
    t.ok(doc.paths[path]?.post?.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'), `POST ${path} documents Idempotency-Key`);
  }
});

t.test('GET /api/docs: the reference page, public, every file it loads served by the gateway', async (t) => {
  const page = await app.inject({ method: 'GET', url: '/api/docs/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  t.ok(refs.length >= 4, `${refs.length} files`);
  for (const ref of refs) {
    t.notMatch(ref, /^(https?:)?\/\//, `${ref} is not fetched from elsewhere`);
    const url = new URL(ref, 'http://gateway.test/api/docs/').pathname;
    const file = await app.inject({ method: 'GET', url });
    t.equal(file.statusCode, 200, `${url} is served`);
  }
  const init = await app.inject({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' });
  t.match(init.body, /resolveUrl\('\.\/json'\)/, 'the page loads ./json');
  const json = await app.inject({ method: 'GET', url: '/api/docs/json' });
  t.equal(json.statusCode, 200);
  t.same(json.json(), doc, 'the page shows the same document');
  t.match(init.body, /validatorUrl: null/, 'no call to an online validator');
});

t.test('the reference page in Chromium: every operation shown, nothing fetched from elsewhere, no CSP refusal', async (t) => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const outside: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', (route) => {
    if (new URL(route.request().url()).origin === base) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/api/docs/`);
  await page.waitForSelector('.opblock', { timeout: 60_000 });
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  await page.waitForFunction((n) => document.querySelectorAll('.opblock').length >= n, operations, { timeout: 30_000 });
  t.equal(await page.locator('.opblock').count(), operations, `${operations} operations shown`);
  t.ok(await page.locator('.opblock-post [data-path="/api/messages"]').count(), 'POST /api/messages among them');
  t.same(outside, [], 'no request left the gateway');
  t.same(errors, [], 'no script error, no CSP refusal');
});
