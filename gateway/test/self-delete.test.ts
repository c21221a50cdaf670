// Deleting an account, end to end: the gateway with the REAL supervisor (process runtime) and a
// real slice (Chromium on the WhatsApp simulator page), billing through the fake Stripe API (the
// only double besides the simulator). The owner deletes with their password; members who belong
// to no other account are signed out at once and deleted, one who belongs to another account
// keeps it; the subscription is cancelled at Stripe, the slice removed with its data; then the
// audit row `account.deleted` says nothing remains, and the test checks it again itself in
// gateway.*, pg_namespace, pg_roles and the slice's directory.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { FakeStripe, FAKE_PRICE_ID, FAKE_STRIPE_KEY, FAKE_WEBHOOK_SECRET } from '../../test-support/fake-stripe.ts';
import { findAccountRemnants } from '../support/account-remnants.ts';
import { Browser, build, startDb } from './helpers.ts';
import { assertChromium, EventStream, reserveSliceIds, Supervisor, tempDir, waitUntil } from './system.ts';

t.setTimeout(600_000);
assertChromium();
const SLICE = 71; // this file's slice (port 5141): clear of the other test files' slices
const PASSWORD = 'correct horse battery';

const fake = new FakeStripe();
await fake.start();
t.teardown(() => fake.stop());
const db = await startDb(t, 'gateway-self-delete');
await reserveSliceIds(db.adminUrl, SLICE);
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());
const dir = tempDir('self-delete');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const supervisor = new Supervisor(dir, db.adminUrl);
await supervisor.start();
t.teardown(() => supervisor.stop());

const app = await build(t, db, {
  env: {
    STRIPE_SECRET_KEY: FAKE_STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: FAKE_WEBHOOK_SECRET,
    STRIPE_PRICE_ID: FAKE_PRICE_ID,
    STRIPE_API_URL: fake.url,
    SUPERVISOR_SOCKET: supervisor.socket,
    MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
    LOGIN_LIMIT_PER_ADDRESS: '1000',
  },
  monitor: true,
});
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

/** Setup steps assert by throwing: tap's root test must see no assertion before its subtests. */
function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`setup failed: ${what}`);
}

function browser(address: string): Browser {
  const b = new Browser(app, base);
  b.address = address;
  return b;
}

// The owner, paying through the fake Stripe, with a running slice.
const owner = browser('203.0.113.71');
const registered = await owner.register('owner@delete.example');
const ownerId = registered.json().user.id as string;
const accountId = registered.json().account.id as string;
const checkout = await owner.request('POST', '/api/billing/checkout', {});
const done = fake.completeCheckout(String(checkout.json().url).split('/').pop()!, { status: 'active' });
for (const e of done.events) must((await fake.deliver(`${base}/api/billing/webhook`, e)).status === 200, 'webhook delivered');
const connected = await owner.request('POST', '/api/connect');
must(connected.statusCode === 202, `connect: ${connected.body}`);
await waitUntil('the slice RUNNING', 180_000, async () => (await admin.selectFrom('gateway.slices').select('observed_state').where('id', '=', SLICE).executeTakeFirst())?.observed_state === 'RUNNING');

// Two team members, added as an accepted invitation would: one with no other account, one who
// also owns an account of their own. A pending invitation, two-factor codes and a mailed token.
const agent = browser('203.0.113.72');
const agentId = (await agent.register('agent@delete.example')).json().user.id as string;
const agentOwnAccount = (await admin.selectFrom('gateway.members').select('account_id').where('user_id', '=', agentId).executeTakeFirstOrThrow()).account_id;
// The agent's own account from sign-up is removed: the agent belongs to the deleted account only.
await admin.deleteFrom('gateway.members').where('user_id', '=', agentId).execute();
await admin.deleteFrom('gateway.accounts').where('id', '=', agentOwnAccount).execute();
await admin.insertInto('gateway.members').values({ account_id: accountId, user_id: agentId, role: 'agent' }).execute();
await admin.updateTable('gateway.users').set({ last_account_id: accountId }).where('id', '=', agentId).execute();
const both = browser('203.0.113.73');
const bothMe = (await both.register('both@delete.example')).json();
const bothId = bothMe.user.id as string;
const bothOwnAccount = bothMe.account.id as string;
await admin.insertInto('gateway.members').values({ account_id: accountId, user_id: bothId, role: 'admin' }).execute();
await admin.insertInto('gateway.invitations').values({ account_id: accountId, email: 'later@delete.example', role: 'agent', token_hash: 'f'.repeat(64), expires_at: new Date(Date.now() + 86_400_000) }).execute();
await admin.insertInto('gateway.recovery_codes').values({ user_id: ownerId, code_hash: 'e'.repeat(64) }).execute();
app.auth.forgetAll();
await agent.login('agent@delete.example');

t.test('the check finds what exists (it is not vacuous)', async (t) => {
  const found = await findAccountRemnants(app, accountId, SLICE, [ownerId, agentId]);
  for (const want of [`slice ${SLICE}: schema slice_${SLICE}`, `slice ${SLICE}: role slice_${SLICE}`, `slice ${SLICE}: supervisor record of slice ${SLICE}`, 'gateway.accounts: 1 row', 'gateway.members: 3 rows', 'gateway.invitations: 1 row', 'gateway.subscriptions: 1 row', 'gateway.slices: 1 row', 'gateway.users: 2 rows', 'gateway.recovery_codes: 1 row']) {
    t.ok(found.includes(want), want);
  }
  t.ok(found.some((f) => f.startsWith(`slice ${SLICE}: directory `)), 'the slice directory');
  t.ok(found.some((f) => /^gateway\.sessions: \d+ rows?$/.test(f)), 'sessions');
  t.ok(found.some((f) => /^gateway\.user_tokens: \d+ rows?$/.test(f)), 'mailed tokens');
});

t.test('only the owner, only with the password', async (t) => {
  const asAgent = await agent.request('DELETE', '/api/account', { password: PASSWORD });
  t.equal(asAgent.statusCode, 403);
  t.match(asAgent.json(), { error: { code: 'ROLE_REQUIRED' } });
  const wrong = await owner.request('DELETE', '/api/account', { password: 'not the password' });
  t.equal(wrong.statusCode, 403);
  t.match(wrong.json(), { error: { code: 'WRONG_PASSWORD' } });
  t.equal((await owner.request('DELETE', '/api/account', {})).statusCode, 400, 'the password is required');
  t.equal((await admin.selectFrom('gateway.accounts').select('deleting_since').where('id', '=', accountId).executeTakeFirstOrThrow()).deleting_since, null, 'nothing started');
});

t.test('DELETE /api/account → 202; then nothing of it remains (checked by the gateway and here)', async (t) => {
  const agentStream = new EventStream(`${base}/api/events`, { cookie: agent.cookie! });
  t.teardown(() => agentStream.close());
  await agentStream.waitFor((e) => e.event === 'slice.state' || e.event === 'ready' || e.event.length > 0, 15_000);
  const subscriptionId = done.subscription.id;

  const res = await owner.request('DELETE', '/api/account', { password: PASSWORD });
  t.equal(res.statusCode, 202, res.body);
  t.same(res.json(), { state: 'deleting' });
  await waitUntil('the agent stream ended', 3_000, () => agentStream.ended).catch(() => {});
  t.ok(agentStream.ended, "the agent's stream ended at once");
  t.equal((await owner.request('GET', '/api/me')).statusCode, 401, 'the owner is signed out');
  t.equal((await agent.request('GET', '/api/me')).statusCode, 401, 'the agent (no other account) is signed out');
  const bothNow = await both.request('GET', '/api/me');
  t.equal(bothNow.statusCode, 200, 'the member with another account stays signed in');
  t.equal(bothNow.json().account.id, bothOwnAccount, 'in their other account');
  t.notOk(bothNow.json().accounts.some((a: { id: string }) => a.id === accountId), 'the deleted account is not among theirs');

  const audit = await waitUntil('the account.deleted audit row', 180_000, () =>
    admin.selectFrom('gateway.audit_log').select(['details', 'actor', 'user_id']).where('account_id', '=', accountId).where('action', '=', 'account.deleted').executeTakeFirst(),
  );
  t.same(audit.details, { remnants: [] }, 'the gateway found nothing left');
  t.equal(audit.actor, `user:${ownerId}`);

  // Again, by hand: gateway.* …
  const count = async (table: string, column: string, values: string[]) =>
    Number(((await admin.selectFrom(`gateway.${table}`).select((eb: any) => eb.fn.countAll().as('n')).where(column, 'in', values).executeTakeFirstOrThrow()) as { n: string }).n);
  t.equal(await count('accounts', 'id', [accountId]), 0, 'no account');
  t.equal(await count('members', 'account_id', [accountId]), 0, 'no members');
  t.equal(await count('invitations', 'account_id', [accountId]), 0, 'no invitations');
  t.equal(await count('subscriptions', 'account_id', [accountId]), 0, 'no subscription row');
  t.equal(await count('slices', 'account_id', [accountId]), 0, 'no slice row');
  t.equal(await count('slices', 'id', [String(SLICE)]), 0, 'slice id free again');
  t.equal(await count('users', 'id', [ownerId, agentId]), 0, 'the owner and the agent are deleted');
  for (const table of ['sessions', 'user_tokens', 'recovery_codes']) t.equal(await count(table, 'user_id', [ownerId, agentId]), 0, `no ${table} of theirs`);
  t.equal(await count('users', 'id', [bothId]), 1, 'the member with another account keeps their user');
  t.equal(await count('members', 'user_id', [bothId]), 1, 'and that membership');
  t.ok((await count('audit_log', 'account_id', [accountId])) > 1, 'the audit trail is kept');
  // … PostgreSQL's catalogue and the slice's directory …
  const catalogue = await admin.selectNoFrom((eb: any) => [
    eb.selectFrom('pg_catalog.pg_namespace').select((e: any) => e.fn.countAll().as('n')).where('nspname', '=', `slice_${SLICE}`).as('schemas'),
    eb.selectFrom('pg_catalog.pg_roles').select((e: any) => e.fn.countAll().as('n')).where('rolname', '=', `slice_${SLICE}`).as('roles'),
  ]).executeTakeFirstOrThrow();
  t.same({ schemas: Number(catalogue.schemas), roles: Number(catalogue.roles) }, { schemas: 0, roles: 0 }, 'no schema, no role');
  t.notOk(fs.existsSync(path.join(supervisor.stateDir, 'auth', `slice-${SLICE}`)), 'no session directory (media included)');
  // … and Stripe.
  t.equal(fake.subscriptions.get(subscriptionId)?.status, 'canceled', 'the Stripe subscription is cancelled');
  t.ok(fake.requests.some((r) => r.method === 'DELETE' && r.path === `/v1/subscriptions/${subscriptionId}`), 'through the API');
  t.same(await app.supervisor.call('slice.findRemnants', { id: SLICE }), { remnants: [] }, 'the supervisor agrees');
  t.equal((await browser('203.0.113.79').login('owner@delete.example')).statusCode, 401, 'the owner cannot sign in any more');
});
