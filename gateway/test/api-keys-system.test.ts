// Issue 18's Done-when for keys, end to end: the gateway with the REAL supervisor (process runtime)
// and a real slice in sim mode (real Chromium on the simulator page; the simulator stands in for
// WhatsApp's servers only). A key with `send` sends a message the simulated phone receives, a key
// with `read` gets 403 on send (and reads), a revoked key is 401 at once; the slice never sees a key.
import fs from 'node:fs';
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { build, startDb } from './helpers.ts';
import { assertChromium, reserveSliceIds, sleep, sliceRow, Supervisor, tempDir, waitUntil } from './system.ts';
import { signUp } from './team-helpers.ts';

t.setTimeout(420_000);
assertChromium();

const SLICE = 89; // this file's slice (port 5177): clear of the other test files' slices
const db = await startDb(t, 'gateway-api-keys-system');
await reserveSliceIds(db.adminUrl, SLICE);
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());
const dir = tempDir('api-keys-system');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const supervisor = new Supervisor(dir, db.adminUrl);
await supervisor.start();
t.teardown(() => supervisor.stop());
const app = await build(t, db, { env: { SUPERVISOR_SOCKET: supervisor.socket, MONITOR_INTERVAL_MS: '1000' }, monitor: true });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

const owner = await signUp(app, admin, 'owner@keys-system.example', base);

async function withKey(key: string, method: string, url: string, body?: unknown): Promise<{ status: number; json(): any; body: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${url}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text, json: () => JSON.parse(text) };
}

async function phoneMessages(chatWaId: string): Promise<{ body: string }[]> {
  const row = await sliceRow(db.adminUrl, SLICE);
  const res = await fetch(`http://127.0.0.1:${row.port}/sim/phone/messages?chatWaId=${encodeURIComponent(chatWaId)}`, { headers: { authorization: `Bearer ${row.token}` } });
  return (await res.json()).items;
}

t.test('keys against a real slice: send reaches the phone, read is refused a send, revoked is 401 at once', async (t) => {
  t.equal((await owner.browser.request('POST', '/api/connect')).statusCode, 202);
  await waitUntil('slice RUNNING and WhatsApp READY', 180_000, async () => {
    const me = (await owner.browser.request('GET', '/api/me')).json();
    return me.slice?.state === 'RUNNING' && me.wa?.state === 'READY';
  });
  const chat = await waitUntil('the initial sync', 90_000, async () => {
    const r = await owner.browser.request('GET', '/api/chats');
    return r.statusCode === 200 && r.json().items.length === 3 ? (r.json().items[0] as { id: number; waId: string }) : null;
  });
  await sleep(2_000);

  const make = async (name: string, scopes: string[]) => {
    const r = await owner.browser.request('POST', '/api/keys', { name, scopes });
    t.equal(r.statusCode, 201, `POST /api/keys ${name}`);
    return r.json() as { id: string; key: string };
  };
  const sender = await make('shop', ['send']);
  const reader = await make('sheet', ['read']);

  const refused = await withKey(reader.key, 'POST', `/api/chats/${chat.id}/messages`, { body: 'from the read key: must never be sent' });
  t.equal(refused.status, 403, refused.body);
  t.equal(refused.json().error.code, 'SCOPE_REQUIRED');
  t.match(refused.json().error.message, /needs an API key with the send scope \(this key has read\)/);

  const text = `your order shipped ${Date.now()}`;
  const sent = await withKey(sender.key, 'POST', `/api/chats/${chat.id}/messages`, { body: text });
  t.equal(sent.status, 202, sent.body);
  await waitUntil('the simulated phone receives the message', 60_000, async () => (await phoneMessages(chat.waId)).some((m) => m.body === text));
  t.notOk((await phoneMessages(chat.waId)).some((m) => m.body.includes('must never be sent')), "the read key's send reached nothing");

  // The read key reads (through Fastify's way: the fast path declines key requests), and sees who sent.
  const read = await withKey(reader.key, 'GET', `/api/chats/${chat.id}/messages?limit=50`);
  t.equal(read.status, 200, read.body);
  const mine = read.json().items.find((m: { body: string }) => m.body === text);
  t.match(mine, { direction: 'out', sentBy: { memberId: owner.memberId, name: 'API key shop' } }, 'the slice knew the key acting, by its name');
  t.equal((await withKey(sender.key, 'GET', '/api/chats')).json().error.code, 'SCOPE_REQUIRED', 'send alone does not read');

  t.equal((await owner.browser.request('DELETE', `/api/keys/${sender.id}`)).statusCode, 204);
  const revoked = await withKey(sender.key, 'POST', `/api/chats/${chat.id}/messages`, { body: 'after the revocation: must never be sent' });
  t.equal(revoked.status, 401, 'revoked: 401 on the next request');
  t.equal(revoked.json().error.code, 'API_KEY_INVALID');

  // The slice never saw a key: not in what it logged, not in what it stored.
  const log = await app.supervisor.call('slice.tailLog', { id: SLICE, lines: 5000 });
  t.notOk(JSON.stringify(log).includes('qk_'), `the slice's log holds no key (${log.lines.length} lines)`);
  const schema = `slice_${SLICE}`;
  const stored = await admin.selectFrom(`${schema}.messages`).selectAll().execute();
  t.notOk(JSON.stringify(stored).includes('qk_'), "the slice's messages hold no key");
  t.notOk(JSON.stringify(await admin.selectFrom(`${schema}.events`).selectAll().execute()).includes('qk_'), "nor its events");
  await sleep(1_000);
  t.notOk((await phoneMessages(chat.waId)).some((m) => m.body.includes('must never be sent')), 'the revoked key sent nothing');
});
