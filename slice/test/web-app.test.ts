// The slice serving the self-hosted web build (WEB_DIR): files and the app's routes without a token,
// the API still behind it, and /events taking the token as ?token= for EventSource.
import fs from 'node:fs';
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
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const controller = new AbortController();
  const res = await fetch(`${address}/events?token=${encodeURIComponent(TOKEN)}`, { signal: controller.signal });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  controller.abort();
});
