// The slice serving the self-hosted web build (WEB_DIR): files and the app's routes without a token,
// the API still behind it, and /events taking the token as ?token= for EventSource.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildSliceApp } from '../app.ts';
import { auth, openStore, sliceDb, TOKEN, WhatsAppStandIn } from './helpers.ts';

const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-selfhosted-'));
fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Queunir</title><div id="root"></div>');
fs.mkdirSync(path.join(webDir, 'assets'));
fs.writeFileSync(path.join(webDir, 'assets', 'app-1a2b.js'), 'console.log("app")');
t.teardown(() => fs.rmSync(webDir, { recursive: true, force: true }));

const fx = await sliceDb(t, 'web-app');
const store = await openStore(t, fx);
const app = await buildSliceApp({ store, session: new WhatsAppStandIn(), token: TOKEN, waMode: 'wwebjs', webDir });
t.teardown(() => app.close());
let listening: Promise<string> | null = null;
const address = () => (listening ??= app.listen({ port: 0, host: '127.0.0.1' }));

/** A GET over real HTTP with the path sent exactly as written (fetch and inject normalise it). */
async function rawGet(pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string }> {
  const url = new URL(await address());
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'GET', path: pathAndQuery, headers }, (res) => {
      const isStream = /event-stream/.test(res.headers['content-type'] ?? '');
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        if (isStream) req.destroy(); // an event stream never ends: its first frame is enough
      });
      const done = () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

t.test('the web app is served without a token, its routes fall back to index.html', async (t) => {
  const index = await app.inject({ method: 'GET', url: '/' });
  t.equal(index.statusCode, 200);
  t.match(index.body, /<div id="root">/);
  const asset = await app.inject({ method: 'GET', url: '/assets/app-1a2b.js' });
  t.equal(asset.statusCode, 200);
  t.match(asset.body, /console\.log/);
  const route = await app.inject({ method: 'GET', url: '/inbox/12' });
  t.equal(route.statusCode, 200, 'an app route reloads into the app');
  t.match(route.body, /<div id="root">/);
  t.equal(route.headers['cache-control'], 'no-cache');
  const missing = await app.inject({ method: 'GET', url: '/assets/gone-0000.js' });
  t.equal(missing.statusCode, 404, 'a missing file is a 404, not the app');
});

t.test('the API and events still need the token', async (t) => {
  t.equal((await app.inject({ method: 'GET', url: '/api/chats' })).statusCode, 401);
  t.equal((await app.inject({ method: 'GET', url: '/api/chats', headers: auth })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/api/nothing-here', headers: auth })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 401);
  t.equal((await app.inject({ method: 'POST', url: '/api/labels', payload: { name: 'x' } })).statusCode, 401);
  t.equal((await app.inject({ method: 'GET', url: '/events?token=wrong' })).statusCode, 401);
  t.equal((await app.inject({ method: 'GET', url: '/api/chats?token=' + TOKEN })).statusCode, 401, 'the query token is for /events only');
});

t.test('EventSource: /events accepts the token in its query', async (t) => {
  const controller = new AbortController();
  const res = await fetch(`${await address()}/events?token=${encodeURIComponent(TOKEN)}`, { signal: controller.signal });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  controller.abort();
});

t.test('percent-encoded paths reach no handler without the token (real HTTP)', async (t) => {
  const q = encodeURIComponent('hello');
  for (const p of ['/%61pi/chats', `/%61pi/search?q=${q}`, '/%65vents', '/%68ealth', '/%61%70%69/chats', '/api%2Fchats']) {
    const res = await rawGet(p);
    t.equal(res.status, 401, `${p} → 401`);
    t.notMatch(res.body, /"items"|"wa"|event-stream|retry:/, `${p} leaks nothing`);
  }
  // Decoded once by the router, this is the path "/%61pi/chats": an app route, never the API.
  const twice = await rawGet('/%2561pi/chats');
  t.notMatch(twice.body, /"items"|"nextCursor"/, 'a double-encoded path reaches no API handler');
  t.equal((await rawGet('/%61pi/chats', auth)).status, 200, 'with the token the encoded path is just the route');
  const unknown = await rawGet('/%61pi/nothing-here');
  t.equal(unknown.status, 401, 'an unknown API path without a token is 401, not the app');
  t.notMatch(unknown.body, /<div id="root">/);
  t.equal((await rawGet('/%61pi/nothing-here', auth)).status, 404, 'and 404 with one');
  t.equal((await rawGet('/nowhere.js')).status, 404, 'an unknown file is a 404');
});

t.test('the ?token= fallback is for the /events route only, however the path is spelt (real HTTP)', async (t) => {
  const tok = encodeURIComponent(TOKEN);
  const ok = await rawGet(`/events?token=${tok}`);
  t.equal(ok.status, 200);
  t.match(ok.type, /text\/event-stream/);
  t.equal((await rawGet(`/%65vents?token=${tok}`)).status, 200, 'the encoded spelling of /events is /events');
  t.equal((await rawGet('/events?token=wrong')).status, 401);
  for (const p of [`/%61pi/chats?token=${tok}`, `/api/chats?token=${tok}`, `/%68ealth?token=${tok}`, `/health?x=/events?&token=${tok}`]) {
    t.equal((await rawGet(p)).status, 401, `${p}: the query token opens nothing but /events`);
  }
});

t.test('the static app still loads without a token (real HTTP)', async (t) => {
  const index = await rawGet('/');
  t.equal(index.status, 200);
  t.match(index.body, /<div id="root">/);
  t.equal((await rawGet('/assets/app-1a2b.js')).status, 200);
  t.equal((await rawGet('/%61ssets/app-1a2b.js')).status, 200, 'an encoded file path is still the file');
  const route = await rawGet('/inbox/12');
  t.equal(route.status, 200);
  t.match(route.body, /<div id="root">/);
});
