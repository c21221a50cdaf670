// Webhooks end to end with the real parts: PostgreSQL, the supervisor, the gateway as a child
// process and one real slice (process runtime; WhatsApp's servers are stood in for by the
// simulator), and a receiver on loopback (allow-listed by WEBHOOK_ALLOW_HOSTS). A simulated
// incoming message reaches the receiver as `message.received` with a valid signature; a receiver
// that answers 500 twice gets the same event id again and then it is delivered (the chat's next
// message waits behind it); and every event arrives once and in order across a SIGKILL of the
// gateway and a SIGKILL of the slice.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t from 'tap';
import { sleep } from '../../gateway/test/system.ts';
import { assertChromium, startSystem, waitUntil, SystemUser } from './system.ts';

t.setTimeout(300_000);
assertChromium();

interface Received {
  id: string;
  type: string;
  body: string;
  delivery: string;
  signatureOk: boolean;
  status: number;
}

// The receiver, on loopback: WEBHOOK_ALLOW_HOSTS admits 127.0.0.1 (any port).
const received: Received[] = [];
let secret = '';
/** message bodies to answer 500 to, with how many times left */
const failFor = new Map<string, number>();
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const event = JSON.parse(raw) as { id: string; type: string; data: { body?: string } };
    const key = event.data.body ?? '';
    const left = failFor.get(key) ?? 0;
    const status = left > 0 ? 500 : 200;
    if (left > 0) failFor.set(key, left - 1);
    received.push({ id: event.id, type: event.type, body: event.data.body ?? '', delivery: String(req.headers['queunir-delivery']), signatureOk: verify(raw, String(req.headers['queunir-signature'] ?? '')), status });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'thanks' : 'receiver down for a moment');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
t.teardown(() => receiver.close());
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

/** The receiver's check as the README documents it. */
function verify(rawBody: string, header: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  if (!parts.t || !parts.v1 || Math.abs(Date.now() / 1000 - Number(parts.t)) > 300) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest('hex');
  return expected.length === parts.v1.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}

const SLICE = 89; // this file's slice (port 5177): clear of the other test files' slices
const sys = await startSystem(t, 'e2e-webhooks', {
  firstSlice: SLICE,
  gatewayEnv: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '1000', WEBHOOK_RETRY_BASE_MS: '300' },
});

const owner = new SystemUser(sys.origin);

async function waitReady(what: string): Promise<void> {
  await waitUntil(`${what}: WhatsApp READY and synced`, 180_000, async () => {
    const me = (await owner.request('GET', '/api/me')).json();
    if (me.slice?.state !== 'RUNNING') return false;
    if (me.wa?.state === 'QR') await sys.sim(SLICE, '/sim/scan');
    return me.wa?.state === 'READY' && (await sys.sliceSynced(SLICE));
  });
}
let chat = { id: 0, waId: '' };

const tag = `wh${crypto.randomBytes(3).toString('hex')}`;
let n = 0;
async function incoming(): Promise<string> {
  const body = `${tag}-${n++}`;
  const r = await sys.sim(SLICE, '/sim/incoming', { chatWaId: chat.waId, body });
  if (r.status !== 200) throw new Error(`the phone did not deliver ${body}: ${r.status} ${await r.text()}`);
  return body;
}
/** message.received bodies of this file's messages, in the order first received with 200, and all receipts. */
const deliveredBodies = () => received.filter((r) => r.type === 'message.received' && r.status === 200 && r.body.startsWith(`${tag}-`)).map((r) => r.body);

let endpointId = '';

t.test('linked: one slice READY with a chat', async (t) => {
  t.equal((await owner.register('owner@webhooks.example')).statusCode, 200);
  t.equal((await owner.request('POST', '/api/connect')).statusCode, 202);
  await waitReady('first start');
  chat = await waitUntil('a chat', 60_000, async () => {
    const r = await owner.request('GET', '/api/chats');
    return r.statusCode === 200 && r.json().items.length > 0 ? (r.json().items[0] as { id: number; waId: string }) : null;
  });
  await sleep(2_000);
});

t.test('a webhook to the metadata address or a private one is refused at creation', async (t) => {
  for (const url of ['http://169.254.169.254/latest/meta-data/', 'https://10.0.0.1/hook']) {
    const r = await owner.request('POST', '/api/webhooks', { url, events: ['message.received'] });
    t.equal(r.statusCode, 400, url);
    t.equal(r.json().error?.code, 'WEBHOOK_URL_REFUSED');
    t.match(r.json().error?.message, url.includes('169') ? /169\.254\.169\.254, a link-local/ : /10\.0\.0\.1, a private/);
  }
  t.same((await owner.request('GET', '/api/webhooks')).json().items, [], 'nothing was created');
});

t.test('message.received reaches the receiver signed; two 500s, then the same event id is delivered', async (t) => {
  const r = await owner.request('POST', '/api/webhooks', { url: hookUrl, events: ['message.received'], description: 'the test receiver' });
  t.equal(r.statusCode, 201, r.body);
  secret = r.json().secret;
  endpointId = r.json().id;
  t.match(secret, /^whsec_/, 'the secret is shown on create');
  t.notOk('secret' in (await owner.request('GET', '/api/webhooks')).json().items[0], 'and never listed');

  failFor.set(`${tag}-${n}`, 2);
  const body = await incoming();
  const next = await incoming(); // same chat: it must wait for the first, however long that takes
  await waitUntil('both delivered, the first after two failures', 60_000, () => deliveredBodies().includes(body) && deliveredBodies().includes(next));
  const order = received.filter((x) => x.body === body || x.body === next).map((x) => `${x.body === body ? 'first' : 'next'}:${x.status}`);
  t.same(order, ['first:500', 'first:500', 'first:200', 'next:200'], 'the next message of the chat is held back until the first is delivered');
  const tries = received.filter((x) => x.body === body);
  t.same(tries.map((x) => x.status), [500, 500, 200], 'answered 500 twice, then 200');
  t.equal(new Set(tries.map((x) => x.id)).size, 1, `the same event id every time (${tries[0]!.id})`);
  t.equal(new Set(tries.map((x) => x.delivery)).size, 1, 'the same delivery id');
  t.ok(tries.every((x) => x.signatureOk), 'every attempt validly signed');
  const log = (await owner.request('GET', `/api/webhooks/${endpointId}/deliveries`)).json().items as { eventId: string; status: string; attempts: number; responseStatus: number; responseBody: string }[];
  const row = log.find((d) => d.eventId === tries[0]!.id);
  t.match(row, { status: 'delivered', attempts: 3, responseStatus: 200, responseBody: 'thanks' }, 'the delivery log says so');
});

t.test('each event once and in order across a gateway SIGKILL and a slice SIGKILL', async (t) => {
  const before = deliveredBodies().length;
  const sent: string[] = [];
  for (let i = 0; i < 3; i++) sent.push(await incoming());
  // Some deliveries are still pending or in flight when the gateway dies.
  const arriving = (async () => {
    for (let i = 0; i < 4; i++) {
      sent.push(await incoming());
      await sleep(100);
    }
  })();
  await sleep(150);
  sys.gateway.proc.kill('SIGKILL');
  await waitUntil('the gateway gone', 10_000, () => sys.gateway.exited);
  await arriving;
  for (let i = 0; i < 2; i++) sent.push(await incoming()); // no gateway runs now
  await sys.restartGateway();
  await waitUntil('everything sent so far delivered after the gateway restart', 60_000, () => deliveredBodies().length >= before + sent.length);

  // The slice dies right after it stored new messages (their deliveries may still be due).
  for (let i = 0; i < 2; i++) sent.push(await incoming());
  await waitUntil('the slice stored them', 30_000, async () => {
    const r = await owner.request('GET', `/api/chats/${chat.id}/messages?limit=50`);
    return r.statusCode === 200 && sent.slice(-2).every((b) => r.body.includes(b));
  });
  const pid = Number(fs.readFileSync(path.join(sys.stateDir, 'run', `slice-${SLICE}.pid`), 'utf8'));
  process.kill(pid, 'SIGKILL');
  await waitUntil('the old slice process gone', 10_000, () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  await waitReady('after the slice SIGKILL');
  for (let i = 0; i < 2; i++) sent.push(await incoming());
  await waitUntil('every message delivered', 90_000, () => deliveredBodies().length >= before + sent.length);
  await sleep(1_500); // a repeat would come right behind

  const got = deliveredBodies().slice(before);
  t.same(got, sent, 'delivered exactly once each, in the order they arrived');
  const ids = received.filter((r) => r.status === 200 && r.type === 'message.received').map((r) => r.id);
  t.equal(new Set(ids).size, ids.length, 'no event id acknowledged twice');
  t.ok(received.every((r) => r.signatureOk), 'every request validly signed');
});
