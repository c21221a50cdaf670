// Debian's nginx with the rendered nginx/queunir.conf (test ports, a self-signed certificate made
// now) in front of the real gateway (real PostgreSQL cluster, no supervisor running): TLS, the
// redirect, the static app and its cache headers, the proxy, the security headers, and SSE
// arriving unbuffered. No test doubles.
import fs from 'node:fs';
import https from 'node:https';
import t, { type Test } from 'tap';
import { startTestCluster } from '../../test-support/pg.ts';
import { fakeWebBuild, freePort, request, startGateway, startNginx, tempDir, type Nginx } from './helpers.ts';

const cluster = await startTestCluster('deploy-nginx');
t.teardown(() => cluster.stop());
const www = tempDir('www');
t.teardown(() => fs.rmSync(www, { recursive: true, force: true }));
const { asset } = fakeWebBuild(www);

// nginx's ports are only known once it runs, and the gateway's PUBLIC_URL must name them: take the
// ports first (nginx), then start the gateway on the port nginx already points at.
const gatewayPort = await freePort();
const nginx = await startNginx({ wwwRoot: www, gatewayPort });
t.teardown(() => nginx.stop());
const origin = `https://localhost:${nginx.httpsPort}`;
// A failed start must not leave nginx running (teardowns do not run after a top-level throw).
const gateway = await startGateway(cluster.adminUrl, { publicUrl: origin, env: { PORT: String(gatewayPort) } }).catch(async (err) => {
  await nginx.stop();
  await cluster.stop();
  throw err;
});
t.teardown(() => gateway.stop());

const get = (p: string, headers: Record<string, string> = {}) => request(`${origin}${p}`, { ca: nginx.cert, headers });

function checkSecurityHeaders(t: Test, headers: Record<string, unknown>, where: string) {
  t.match(headers['strict-transport-security'], /max-age=\d{7,}/, `${where}: HSTS`);
  t.equal(headers['x-content-type-options'], 'nosniff', `${where}: nosniff`);
  t.equal(headers['x-frame-options'], 'DENY', `${where}: X-Frame-Options`);
  t.equal(headers['referrer-policy'], 'strict-origin-when-cross-origin', `${where}: Referrer-Policy`);
  const csp = String(headers['content-security-policy'] ?? '');
  t.match(csp, /default-src 'self'/, `${where}: CSP default-src`);
  t.match(csp, /frame-ancestors 'none'/, `${where}: CSP frame-ancestors`);
  t.notMatch(csp, /script-src[^;]*'unsafe-inline'/, `${where}: no inline scripts allowed`);
  t.match(String(headers['x-request-id'] ?? ''), /^[0-9a-f]{32}$/, `${where}: request id`);
}

t.test('plain HTTP is a 301 to HTTPS, except the ACME challenge', async (t) => {
  const r = await request(`http://127.0.0.1:${nginx.httpPort}/chats/42?x=1`, { headers: { host: 'localhost' } });
  t.equal(r.status, 301);
  t.equal(r.headers.location, `https://localhost:${nginx.httpsPort}/chats/42?x=1`);
  fs.mkdirSync(`${nginx.dir}/acme/.well-known/acme-challenge`, { recursive: true });
  fs.writeFileSync(`${nginx.dir}/acme/.well-known/acme-challenge/tok123`, 'tok123.key');
  const acme = await request(`http://127.0.0.1:${nginx.httpPort}/.well-known/acme-challenge/tok123`, { headers: { host: 'localhost' } });
  t.equal(acme.status, 200, 'the challenge is served over HTTP');
  t.equal(acme.body, 'tok123.key');
});

t.test('TLS 1.2 and 1.3 only, with the installed certificate', async (t) => {
  const tryVersion = (v: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3') =>
    new Promise<string>((resolve) => {
      const req = https.get(`${origin}/`, { ca: nginx.cert, minVersion: v, maxVersion: v, agent: false }, (res) => {
        res.resume();
        resolve(`ok ${(res.socket as import('node:tls').TLSSocket).getProtocol()}`);
      });
      req.on('error', (err) => resolve(`error ${err.message}`));
    });
  t.equal(await tryVersion('TLSv1.3'), 'ok TLSv1.3');
  t.equal(await tryVersion('TLSv1.2'), 'ok TLSv1.2');
  t.match(await tryVersion('TLSv1.1'), /^error/, 'TLS 1.1 refused');
});

t.test('the app over HTTPS: index.html not cached, hashed assets cached for a year, SPA fallback', async (t) => {
  const index = await get('/');
  t.equal(index.status, 200);
  t.match(index.body, /<div id="root">/);
  t.equal(index.headers['cache-control'], 'no-cache');
  checkSecurityHeaders(t, index.headers, 'index.html');

  const deep = await get('/chats/123');
  t.equal(deep.status, 200, 'a client-side route');
  t.match(deep.body, /<div id="root">/, 'is the app page');
  t.equal(deep.headers['cache-control'], 'no-cache');

  const js = await get(asset);
  t.equal(js.status, 200);
  t.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.match(js.headers['content-type'], /javascript/);
  checkSecurityHeaders(t, js.headers, 'asset');

  const missing = await get('/assets/index-missing.js');
  t.equal(missing.status, 404, 'a missing asset is a 404, not the page');
  t.not(missing.headers['cache-control'], 'public, max-age=31536000, immutable', 'and is not cached for a year');
});

let cookie = '';
t.test('/api/me through the proxy: 401 JSON logged out, then the user after registering', async (t) => {
  const me = await get('/api/me');
  t.equal(me.status, 401);
  t.match(me.headers['content-type'], /application\/json/);
  t.equal(JSON.parse(me.body).error.kind, 'Unauthenticated');
  checkSecurityHeaders(t, me.headers, '/api/me');
  t.equal(me.headers['cache-control'] === 'no-cache' || me.headers['cache-control'] === undefined || /no-store|private/.test(String(me.headers['cache-control'])), true, 'the API is never marked cacheable by nginx');
  t.equal(me.headers['x-powered-by'], undefined);

  const reg = await request(`${origin}/api/auth/register`, {
    method: 'POST',
    ca: nginx.cert,
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email: 'ops@example.com', password: 'correct horse battery' }),
  });
  t.equal(reg.status, 200, reg.body);
  const setCookie = reg.headers['set-cookie'] ?? [];
  t.ok(setCookie.length > 0, 'a session cookie');
  t.match(setCookie.join(';'), /Secure/i, 'Secure: the gateway knows it is served over https');
  cookie = setCookie.map((c) => c.split(';')[0]).join('; ');
  const me2 = await get('/api/me', { cookie });
  t.equal(me2.status, 200);
  t.equal(JSON.parse(me2.body).user.email, 'ops@example.com');
});

t.test('a body over client_max_body_size is refused by nginx (413)', async (t) => {
  const big = await request(`${origin}/api/auth/login`, {
    method: 'POST',
    ca: nginx.cert,
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email: 'x@example.com', password: 'y'.repeat(11 * 1024 * 1024) }),
  });
  t.equal(big.status, 413, 'client_max_body_size');
});

t.test('/api/auth/ is rate-limited per address (429 past the burst)', async (t) => {
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await request(`${origin}/api/auth/login`, {
      method: 'POST',
      ca: nginx.cert,
      headers: { 'content-type': 'application/json', origin },
      body: '{}',
    });
    statuses.push(r.status);
  }
  t.ok(statuses.includes(429), `some answers are 429: ${statuses.join(',')}`);
  t.ok(statuses.slice(0, 5).every((s) => s !== 429), 'the first few pass');
  const me = await get('/api/me', { cookie });
  t.equal(me.status, 200, 'other API routes are not limited by the auth zone');
});

/** Opens /api/events and resolves with ms from the request to the first `event:` chunk (or null after waitMs). */
function firstEventDelay(n: Nginx, waitMs: number): Promise<{ ms: number | null; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    let headers: Record<string, unknown> = {};
    let done = false;
    const finish = (ms: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ms, headers, text });
    };
    const timer = setTimeout(() => finish(null), waitMs);
    const req = https.get(`https://localhost:${n.httpsPort}/api/events`, { ca: n.cert, headers: { cookie, accept: 'text/event-stream' }, agent: false }, (res) => {
      headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (/\nevent: /.test('\n' + text)) finish(Date.now() - started);
      });
    });
    req.on('error', (err) => (done ? undefined : reject(err)));
  });
}

t.test('an event through /api/events arrives unbuffered, within 1 s of being sent', async (t) => {
  const r = await firstEventDelay(nginx, 5_000);
  t.match(r.headers['content-type'], /text\/event-stream/);
  t.not(r.ms, null, `an event arrived (got: ${JSON.stringify(r.text)})`);
  t.ok(r.ms !== null && r.ms < 1_000, `within 1 s: ${r.ms} ms`);
  t.match(r.text, /event: slice\.state\ndata: \{/, 'the gateway-own slice.state event');
});

t.test('control: the same stream with proxy buffering on is held back by nginx', async (t) => {
  // Shows the assertion above can fail: only the location's "proxy_buffering off" lets it through.
  const buffered = await startNginx({
    wwwRoot: www,
    gatewayPort,
    config: (site) => {
      const changed = site.replace(/(location = \/api\/events \{[^}]*?)proxy_buffering off;/s, '$1proxy_buffering on;');
      t.not(changed, site, 'the template has proxy_buffering off in /api/events');
      return changed;
    },
  });
  t.teardown(() => buffered.stop());
  // The gateway checks Origin only on state-changing requests; a GET stream works from this port too.
  const r = await firstEventDelay(buffered, 2_000);
  t.equal(r.ms, null, 'no event within 2 s when buffered');
});
