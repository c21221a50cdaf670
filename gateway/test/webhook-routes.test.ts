// The webhook routes in-process (app.inject) with real PostgreSQL and a real receiver on loopback
// (allow-listed): the secret shown once, the test event signed and logged, redelivery with the
// same event id, enable/disable and delete, another account's webhook never reachable, refused
// URLs, and an endpoint that has failed for a day disabled with its owner mailed and an audit row.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import t from 'tap';
import { waitUntil } from './system.ts';
import { signUp, startTeamTest } from './team-helpers.ts';

t.setTimeout(120_000);

const hits: { id: string; type: string; delivery: string; raw: string; signature: string }[] = [];
let answer = 200;
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = JSON.parse(raw) as { id: string; type: string };
    hits.push({ id: body.id, type: body.type, delivery: String(req.headers['queunir-delivery']), raw, signature: String(req.headers['queunir-signature']) });
    res.writeHead(answer).end(answer === 200 ? 'ok' : 'x'.repeat(2000));
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
t.teardown(() => receiver.close());
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-mails-'));
t.teardown(() => fs.rmSync(outbox, { recursive: true, force: true }));
const { app, admin } = await startTeamTest(t, 'gateway-webhook-routes', { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_POLL_MS: '200', MAIL_OUTBOX_DIR: outbox });
const owner = await signUp(app, admin, 'owner@hooks.example');
const other = await signUp(app, admin, 'other@hooks.example');

const signed = (secret: string, raw: string, header: string) => {
  const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
  return v1 === crypto.createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex');
};

t.test('refused URLs', async (t) => {
  for (const [url, why] of [
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254, a link-local address/],
    ['http://10.0.0.1/', /10\.0\.0\.1, a private address/],
    ['http://user:pw@127.0.0.1/', /credentials/],
    ['file:///etc/passwd', /http: or https:/],
  ] as const) {
    const r = await owner.browser.request('POST', '/api/webhooks', { url, events: ['message.received'] });
    t.equal(r.statusCode, 400, url);
    t.equal(r.json().error.code, 'WEBHOOK_URL_REFUSED');
    t.match(r.json().error.message, why);
  }
  const badEvent = await owner.browser.request('POST', '/api/webhooks', { url: hookUrl, events: ['message.nope'] });
  t.equal(badEvent.statusCode, 400, 'an unknown event type');
});

t.test('test event, delivery log, redelivery, disable, delete; other accounts see nothing', async (t) => {
  const created = await owner.browser.request('POST', '/api/webhooks', { url: hookUrl, events: ['message.received', 'chat.assigned'], description: 'CRM sync' });
  t.equal(created.statusCode, 201, created.body);
  const { id, secret } = created.json() as { id: string; secret: string };
  t.match(created.json(), { url: hookUrl, events: ['message.received', 'chat.assigned'], description: 'CRM sync', enabled: true });
  const listed = (await owner.browser.request('GET', '/api/webhooks')).json().items;
  t.equal(listed.length, 1);
  t.notOk('secret' in listed[0], 'the list never shows the secret');

  const test = await owner.browser.request('POST', `/api/webhooks/${id}/test`);
  t.equal(test.statusCode, 202);
  const { deliveryId } = test.json() as { deliveryId: string };
  await waitUntil('the test event received', 10_000, () => hits.some((h) => h.delivery === deliveryId));
  const hit = hits.find((h) => h.delivery === deliveryId)!;
  t.equal(hit.type, 'webhook.test');
  t.ok(signed(secret, hit.raw, hit.signature), 'signed with the secret shown on create');
  const log = (await owner.browser.request('GET', `/api/webhooks/${id}/deliveries`)).json().items;
  t.match(log[0], { id: deliveryId, eventId: hit.id, type: 'webhook.test', status: 'delivered', attempts: 1, responseStatus: 200, responseBody: 'ok' });
  t.type(log[0].responseMs, 'number');

  const again = await owner.browser.request('POST', `/api/webhooks/${id}/deliveries/${deliveryId}/redeliver`);
  t.equal(again.statusCode, 202);
  await waitUntil('the redelivery received', 10_000, () => hits.filter((h) => h.delivery === deliveryId).length === 2);
  t.equal(hits.filter((h) => h.delivery === deliveryId)[1]!.id, hit.id, 'the same event id');
  t.match((await owner.browser.request('GET', `/api/webhooks/${id}/deliveries`)).json().items[0], { status: 'delivered', attempts: 2 });

  // The other account: not found, never "forbidden" (it must not learn the id exists).
  for (const [method, url] of [
    ['GET', `/api/webhooks/${id}/deliveries`],
    ['PATCH', `/api/webhooks/${id}`],
    ['POST', `/api/webhooks/${id}/test`],
    ['DELETE', `/api/webhooks/${id}`],
  ] as const) {
    const r = await other.browser.request(method, url, method === 'PATCH' ? { enabled: false } : undefined);
    t.equal(r.statusCode, 404, `${method} ${url} from another account`);
    t.equal(r.json().error.code, 'WEBHOOK_NOT_FOUND');
  }
  t.equal((await owner.browser.request('POST', `/api/webhooks/${id}/deliveries/999999/redeliver`)).json().error.code, 'DELIVERY_NOT_FOUND');

  const off = await owner.browser.request('PATCH', `/api/webhooks/${id}`, { enabled: false });
  t.match(off.json(), { enabled: false, disabledReason: 'disabled by a member' });
  const on = await owner.browser.request('PATCH', `/api/webhooks/${id}`, { enabled: true, events: ['wa.state'] });
  t.match(on.json(), { enabled: true, disabledReason: null, events: ['wa.state'] });
  t.equal((await owner.browser.request('PATCH', `/api/webhooks/${id}`, { url: 'http://169.254.169.254/' })).json().error.code, 'WEBHOOK_URL_REFUSED', 'a change is checked too');
  t.equal((await owner.browser.request('DELETE', `/api/webhooks/${id}`)).statusCode, 204);
  t.same((await owner.browser.request('GET', '/api/webhooks')).json().items, []);
  const audit = await admin.selectFrom('gateway.audit_log').select('action').where('account_id', '=', owner.ownAccountId).where('action', 'like', 'webhook.%').orderBy('id').execute();
  t.same(audit.map((a) => a.action), ['webhook.created', 'webhook.updated', 'webhook.updated', 'webhook.deleted']);
});

t.test('failing for a day: disabled, the owner mailed once, an audit row', async (t) => {
  answer = 500;
  const created = await owner.browser.request('POST', '/api/webhooks', { url: hookUrl, events: ['message.received'] });
  const { id } = created.json() as { id: string };
  // The first failure starts the clock; pretend it started a day ago.
  const first = (await owner.browser.request('POST', `/api/webhooks/${id}/test`)).json().deliveryId as string;
  await waitUntil('a failed attempt', 10_000, async () => (await admin.selectFrom('gateway.webhook_endpoints').select('failing_since').where('id', '=', id).executeTakeFirstOrThrow()).failing_since !== null);
  const log = (await owner.browser.request('GET', `/api/webhooks/${id}/deliveries`)).json().items;
  t.match(log.find((d: { id: string }) => d.id === first), { status: 'pending', responseStatus: 500 });
  t.equal(log.find((d: { id: string }) => d.id === first).responseBody.length, 512, 'the first 512 bytes of the answer are kept');
  await admin.updateTable('gateway.webhook_endpoints').set({ failing_since: new Date(Date.now() - 25 * 3600_000) }).where('id', '=', id).execute();
  await waitUntil('the endpoint disabled', 10_000, async () => (await owner.browser.request('GET', '/api/webhooks')).json().items.find((e: { id: string }) => e.id === id)?.enabled === false);
  const ep = (await owner.browser.request('GET', '/api/webhooks')).json().items.find((e: { id: string }) => e.id === id);
  t.equal(ep.disabledReason, 'every delivery failed for 24 hours');
  const tries = hits.length;
  await new Promise((r) => setTimeout(r, 500));
  t.equal(hits.length, tries, 'nothing more is sent to a disabled endpoint');
  const disabledMails = async () => {
    const mails = await Promise.all(fs.readdirSync(outbox).map((f) => simpleParser(fs.readFileSync(path.join(outbox, f)))));
    return mails.filter((m) => m.subject?.startsWith('A webhook was disabled'));
  };
  await waitUntil('the mail written', 10_000, async () => (await disabledMails()).length > 0);
  await new Promise((r) => setTimeout(r, 300));
  const mails = await disabledMails();
  t.equal(mails.length, 1, 'one mail');
  t.equal((mails[0]!.to as { text: string }).text, 'owner@hooks.example');
  t.match(mails[0]!.text, /has failed for 24 hours/);
  const audit = await admin.selectFrom('gateway.audit_log').select(['actor', 'details']).where('action', '=', 'webhook.disabled').execute();
  t.equal(audit.length, 1);
  t.equal(audit[0]!.details.endpointId, id);
});
