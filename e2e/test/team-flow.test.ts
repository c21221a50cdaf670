// Teams end to end, in Debian's Chromium driven by playwright-core, against the real system started
// here: PostgreSQL, the supervisor (process runtime) with a slice in sim mode (real Chromium on the
// WhatsApp simulator page, which stands in for WhatsApp's servers only), the gateway serving the
// SaaS build, and a real SMTP server on loopback that receives every mail the gateway sends.
// An owner verifies their email by mail and invites an agent from the Team page; the agent follows
// the mailed link in a browser of their own, accepts, and sees only what the role allows; round-robin
// assigns the agent a chat when its contact writes; the agent replies and the owner's open
// conversation shows "sent by" live; removing the agent ends the agent's open event stream at once;
// a password reset by mail works once and only once; two-factor blocks a login without its code;
// deleting the account leaves nothing of it behind (schema, role, session directory, gateway rows).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { generate } from 'otplib';
import { createDb } from '../../sql/database.ts';
import { linkIn, MailCatcher } from '../../gateway/test/mail-catcher.ts';
import { assertChromium, checkA11y, ROOT, startSystem, stepSequence, waitUntil, launchBrowser } from './system.ts';

t.setTimeout(900_000);
assertChromium(); // fails loudly (never skips) when Chromium is missing

const SHOTS = path.join(ROOT, 'screenshots', 'e2e');
fs.mkdirSync(SHOTS, { recursive: true });

const smtp = new MailCatcher();
const smtpUrl = await smtp.listen();
t.teardown(() => smtp.close());

// Slices 83 and up: the other browser tests use 71 and 75 at the same time.
const sys = await startSystem(t, 'e2e-team-flow', { firstSlice: 83, gatewayEnv: { SMTP_URL: smtpUrl, MAIL_FROM: 'Queunir <team@queunir.test>' } });
const browser: Browser = await launchBrowser();
t.teardown(() => browser.close());

const STEP = 60_000;
const SLOW = 180_000;
const tag = crypto.randomUUID().slice(0, 6);
const ownerEmail = `owner-${tag}@shop.example`;
const agentEmail = `agent-${tag}@shop.example`;
const ownerPassword = 'correct horse battery staple';
const agentPassword = 'agent horse battery staple';
const agentName = 'Rita Agent';
const contactName = 'Priya Sharma';

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
  t.teardown(() => context.close().catch(() => {}));
  context.setDefaultTimeout(STEP);
  return { context, page: await context.newPage() };
}

const owner = await newPage();
const agent = await newPage();
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, name), fullPage: false });
const step = stepSequence(t, (file) => shot(owner.page, file), 'team-');

/** The gateway's API with a browser's session (cookies shared with its page). */
function apiOf(context: BrowserContext) {
  let csrf = '';
  const headers = () => ({ origin: sys.origin, 'x-csrf-token': csrf });
  return {
    async refreshCsrf() {
      const me = await (await context.request.get(`${sys.origin}/api/me`)).json();
      csrf = me.csrfToken;
      return me;
    },
    get: (url: string) => context.request.get(`${sys.origin}${url}`),
    post: (url: string, data?: unknown) => context.request.post(`${sys.origin}${url}`, { headers: headers(), ...(data === undefined ? {} : { data }) }),
    put: (url: string, data?: unknown) => context.request.put(`${sys.origin}${url}`, { headers: headers(), ...(data === undefined ? {} : { data }) }),
  };
}
const ownerApi = apiOf(owner.context);
const agentApi = apiOf(agent.context);

let sliceId = 0;
let accountId = '';
let agentMemberId = '';
let chatId = '';
let chatWaId = '';

step('the owner signs up, verifies the email by mail, links WhatsApp', async (t) => {
  const { page } = owner;
  await page.goto(`${sys.origin}/register`);
  await page.locator('#email').fill(ownerEmail);
  await page.locator('#password').fill(ownerPassword);
  await page.getByTestId('auth-submit').click();
  await page.waitForURL(/\/link$/);
  const verify = await smtp.mailTo(ownerEmail, 20_000, 0, '/verify-email');
  t.match(verify.subject, /email.*Queunir/i, `the verification mail names the product (${verify.subject})`);
  t.ok(typeof verify.html === 'string' && verify.html.length > 0 && (verify.text ?? '').length > 0, 'it has a plain-text and an HTML body');
  const link = linkIn(verify, '/verify-email');
  t.equal(link.origin, sys.origin, 'it links under PUBLIC_URL');
  t.ok(link.searchParams.get('token'), 'with ?token=');
  await page.goto(link.href);
  await page.getByTestId('email-verified').waitFor();
  const me = await ownerApi.refreshCsrf();
  t.equal(me.user.emailVerified, true, 'the email is verified');
  t.equal(me.member.role, 'owner', 'the new user owns their account');
  accountId = me.account.id;

  await page.goto(`${sys.origin}/link`);
  await page.getByTestId('connect').click();
  await page.locator('[data-testid="wa-qr"]').waitFor({ timeout: SLOW });
  sliceId = (await ownerApi.refreshCsrf()).slice.id;
  t.equal((await sys.sim(sliceId, '/sim/scan')).status, 200, 'the simulated phone scanned');
  await page.waitForURL(/\/inbox/, { timeout: SLOW });
  await waitUntil('the slice finished its initial sync', SLOW, () => sys.sliceSynced(sliceId));
  const chats = await sys.sliceGet<{ items: { id: number; name: string; waId: string }[] }>(sliceId, '/api/chats?limit=100');
  const target = chats.items.find((c) => c.name === contactName)!;
  t.ok(target, `${contactName} is among the chats`);
  chatId = String(target.id);
  chatWaId = target.waId;
});

step('the owner invites an agent from the Team page; the mail carries a single-use link', async (t) => {
  const { page } = owner;
  await page.goto(`${sys.origin}/team`);
  await page.getByTestId('invite-email').fill(agentEmail);
  await page.getByTestId('invite-role').selectOption('agent');
  await page.getByTestId('invite-submit').click();
  await page.getByText(agentEmail).first().waitFor();
  t.pass('the invitation is listed');
  // Round-robin on, agents see only their own chats; the owner is away, so the agent gets the next chat.
  // The toggles show what the server holds: they change once it has saved, not on the click.
  await page.getByTestId('round-robin-toggle').click();
  await waitUntil('round-robin saved', STEP, async () => (await (await ownerApi.get('/api/team/settings')).json()).roundRobin === true);
  await page.getByTestId('agents-own-only-toggle').click();
  await waitUntil('the settings saved', STEP, async () => {
    const s = await (await ownerApi.get('/api/team/settings')).json();
    return s.roundRobin === true && s.agentsSeeOwnChatsOnly === true;
  });
  const ownerRow = page.locator('[data-testid="member-row"]').filter({ hasText: ownerEmail });
  await ownerRow.getByTestId('availability-toggle').click();
  await waitUntil('the owner marked away', STEP, async () => {
    const m = await (await ownerApi.get('/api/team/members')).json();
    return m.items.some((x: { email: string; available: boolean }) => x.email === ownerEmail && !x.available);
  });
  await checkA11y(t, page, 'team');
  await shot(page, 'team-01-invited.png');
});

step('the agent follows the mailed link, accepts, and sees only what an agent may', async (t) => {
  const mail = await smtp.mailTo(agentEmail, 20_000, 0, '/invite');
  t.match(mail.subject, /invit/i, `the invitation mail (${mail.subject})`);
  const link = linkIn(mail, '/invite').href;
  t.ok(link.startsWith(`${sys.origin}/invite?token=`), 'the invitation links under PUBLIC_URL with ?token=');
  const { page } = agent;
  await page.goto(link);
  await page.getByTestId('accept-name').fill(agentName);
  await page.getByTestId('accept-password').fill(agentPassword);
  await page.getByTestId('accept-submit').click();
  await page.waitForURL(/\/inbox/);
  const me = await agentApi.refreshCsrf();
  t.equal(me.member.role, 'agent', 'signed in as an agent of the account');
  t.equal(me.account.id, accountId, 'of the owner’s account');
  agentMemberId = me.member.id;
  t.equal(await page.getByTestId('nav-audit').count(), 0, 'no audit log in the agent’s navigation');
  t.equal(await owner.page.getByTestId('nav-audit').count(), 1, 'while the owner has it');
  t.equal((await agentApi.get('/api/billing')).status(), 403, 'billing is refused to an agent');
  t.equal((await agentApi.post('/api/team/invitations', { email: `x-${tag}@shop.example`, role: 'agent' })).status(), 403, 'inviting is refused to an agent');
  t.equal((await agentApi.post('/api/labels', { name: 'Agent label' })).status(), 403, 'making labels is an admin’s');
  const second = await agent.context.request.post(`${sys.origin}/api/auth/invitations/accept`, {
    headers: { origin: sys.origin },
    data: { token: new URL(link).searchParams.get('token'), password: agentPassword },
  });
  t.equal(second.status(), 404, 'the link works once only');
  // The chat list holds only unassigned chats (none is assigned yet) and its own.
  const visible = await (await agentApi.get('/api/chats?limit=100')).json();
  t.ok(visible.items.length > 0 && visible.items.every((c: { assignee: unknown }) => c.assignee === null), 'the agent sees unassigned chats');
  await checkA11y(t, page, 'agent inbox');
});

step('round-robin gives the agent the chat its contact writes in; the owner sees the assignee', async (t) => {
  const text = `Is my order ready? (${tag})`;
  t.equal((await sys.sim(sliceId, '/sim/incoming', { chatWaId, body: text })).status, 200, 'the contact wrote');
  await waitUntil('the chat assigned by round-robin', STEP, async () => {
    const c = await (await ownerApi.get(`/api/chats/${chatId}`)).json();
    return c.assignee?.memberId === agentMemberId;
  });
  t.pass('the chat went to the only available member, the agent');
  const { page } = agent;
  const mine = page.getByTestId('inbox-filter-mine');
  await mine.click();
  await page.locator(`[data-testid="chat-row"][data-chat-id="${chatId}"]`).waitFor();
  // The scenario's own contacts write now and then too: each such chat is the agent's as well.
  const shown = await waitUntil('the Mine count as the slice counts it', STEP, async () => {
    const counts = await (await agentApi.get('/api/chats/counts')).json();
    const text = await mine.getByTestId('filter-count').innerText();
    return counts.mine >= 1 && text.trim() === String(counts.mine) ? counts.mine : null;
  });
  t.ok(shown >= 1, `Mine shows the slice's count of the agent's chats (${shown})`);

  // A chat the owner takes is gone from the agent: enforced by the slice, not only hidden.
  const other = (await (await ownerApi.get('/api/chats?assignee=none&limit=5')).json()).items[0];
  t.equal((await ownerApi.put(`/api/chats/${other.id}/assignee`, { memberId: (await ownerApi.refreshCsrf()).member.id })).status(), 200, 'the owner takes another chat');
  t.equal((await agentApi.get(`/api/chats/${other.id}`)).status(), 404, 'the agent cannot open the owner’s chat');
  t.equal((await agentApi.get(`/api/chats/${other.id}/messages`)).status(), 404, 'nor read its messages');

  await owner.page.goto(`${sys.origin}/inbox/${chatId}`);
  const select = owner.page.getByTestId('assignee-select');
  await waitUntil('the assignee shown', STEP, async () => (await select.inputValue()) === agentMemberId);
  t.pass('the owner’s conversation header shows the agent as assignee');
});

step('the agent replies; the owner sees "sent by" live', async (t) => {
  const reply = `On its way today (${tag})`;
  const { page } = agent;
  await page.locator(`[data-testid="chat-row"][data-chat-id="${chatId}"]`).click();
  await page.getByTestId('composer').fill(reply);
  await page.getByTestId('composer').press('Enter');
  const bubble = owner.page.locator('[data-testid="message"][data-direction="out"]', { hasText: reply });
  await bubble.waitFor();
  await waitUntil('sent by on the owner’s screen', STEP, async () => (await bubble.getByTestId('sent-by').count()) > 0);
  t.match(await bubble.getByTestId('sent-by').innerText(), new RegExp(agentName), 'the bubble says who sent it, without a reload');
  await checkA11y(t, owner.page, 'conversation with sent by');
  await shot(owner.page, 'team-02-sent-by.png');
});

step('removing the agent ends their open event stream at once', async (t) => {
  const { page } = agent;
  // A stream of the agent's own, watched from inside the page.
  await page.evaluate(() => {
    const w = window as unknown as { probe: { opened: boolean; ended: number | null } };
    w.probe = { opened: false, ended: null };
    const es = new EventSource('/api/events');
    es.onopen = () => (w.probe.opened = true);
    es.onerror = () => {
      if (w.probe.ended === null) w.probe.ended = Date.now();
    };
  });
  await waitUntil('the probe stream open', STEP, () => page.evaluate(() => (window as unknown as { probe: { opened: boolean } }).probe.opened));
  const removedAt = Date.now();
  await owner.page.goto(`${sys.origin}/team`);
  const row = owner.page.locator(`[data-testid="member-row"][data-member-id="${agentMemberId}"]`);
  await row.getByTestId('remove-member').click();
  await row.getByTestId('remove-member-confirm').click();
  const ended = await waitUntil('the agent’s stream ended', 10_000, () => page.evaluate(() => (window as unknown as { probe: { ended: number | null } }).probe.ended));
  t.ok(ended - removedAt < 10_000, `the stream ended ${ended - removedAt} ms after the removal began (clicks included)`);
  t.equal((await agentApi.get('/api/chats')).status(), 401, 'the agent’s session is gone');
});

step('a password reset by mail works once and only once', async (t) => {
  const { page } = agent;
  await page.goto(`${sys.origin}/forgot-password`);
  await page.getByTestId('reset-email').fill(agentEmail);
  await page.getByTestId('reset-submit').click();
  const mail = await smtp.mailTo(agentEmail, 20_000, 0, '/reset-password');
  t.match(mail.subject, /password/i, `the reset mail (${mail.subject})`);
  const link = linkIn(mail, '/reset-password').href;
  t.ok(link.startsWith(`${sys.origin}/reset-password?token=`), 'the mail links to the reset screen with ?token=');
  const unknown = await agent.context.request.post(`${sys.origin}/api/auth/password-reset`, { headers: { origin: sys.origin }, data: { email: `nobody-${tag}@shop.example` } });
  t.equal(unknown.status(), 202, 'an unknown email gets the same 202');
  const next = 'a brand new passphrase';
  await page.goto(link);
  await page.getByTestId('new-password').fill(next);
  await page.getByTestId('reset-confirm').click();
  await page.getByTestId('reset-done').waitFor();
  const login = await agent.context.request.post(`${sys.origin}/api/auth/login`, { headers: { origin: sys.origin }, data: { email: agentEmail, password: next } });
  t.equal(login.status(), 200, 'the new password signs in');
  const again = await agent.context.request.post(`${sys.origin}/api/auth/password-reset/confirm`, {
    headers: { origin: sys.origin },
    data: { token: new URL(link).searchParams.get('token'), password: 'yet another passphrase' },
  });
  t.equal(again.status(), 404, 'the same link a second time is refused');
});

step('two-factor: set up on the Account page, a login without the code is refused', async (t) => {
  const { page } = owner;
  await page.goto(`${sys.origin}/account`);
  await page.getByTestId('totp-setup').click();
  const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
  t.match(secret, /^[A-Z2-7]{16,}$/, 'the secret is shown for the authenticator app');
  await page.getByTestId('totp-enable-code').fill(await generate({ secret }));
  await page.getByTestId('totp-enable').click();
  await page.getByTestId('recovery-codes').waitFor();
  t.ok((await page.getByTestId('recovery-codes').innerText()).length > 20, 'recovery codes shown once');
  await checkA11y(t, page, 'account');

  const fresh = await newPage();
  const blocked = await fresh.context.request.post(`${sys.origin}/api/auth/login`, { headers: { origin: sys.origin }, data: { email: ownerEmail, password: ownerPassword } });
  t.equal(blocked.status(), 401, 'password alone is not enough');
  t.equal((await blocked.json()).error.code, 'TOTP_REQUIRED', 'the code is asked for');
  t.equal((await fresh.context.request.get(`${sys.origin}/api/me`)).status(), 401, 'and no session was made');
  await fresh.page.goto(`${sys.origin}/login`);
  await fresh.page.locator('#email').fill(ownerEmail);
  await fresh.page.locator('#password').fill(ownerPassword);
  await fresh.page.getByTestId('auth-submit').click();
  await fresh.page.getByTestId('totp-code').fill(await generate({ secret }));
  await fresh.page.getByTestId('auth-submit').click();
  await fresh.page.waitForURL(/\/inbox/);
  t.pass('with the code, the login goes through');
});

step('deleting the account leaves nothing of it behind', async (t) => {
  const { page } = owner;
  const admin = createDb<any>(sys.adminUrl, { max: 1 });
  t.teardown(() => admin.destroy());
  const userIds = (await admin.selectFrom('gateway.members').select('user_id').where('account_id', '=', accountId).execute()).map((r: { user_id: string }) => String(r.user_id));
  await page.goto(`${sys.origin}/account`);
  await page.locator('#delete-password').fill(ownerPassword);
  await page.getByTestId('delete-account').click();
  await page.getByTestId('delete-account-confirm').click();
  await page.waitForURL(/\/(login|goodbye|account-deleted)/);
  const audit = await waitUntil('the deletion finished', SLOW, async () =>
    admin.selectFrom('gateway.audit_log').select('details').where('account_id', '=', accountId).where('action', '=', 'account.deleted').executeTakeFirst(),
  );
  t.same(audit.details.remnants, [], 'the product’s own check found nothing left');
  const schema = `slice_${sliceId}`;
  const left = await admin
    .selectNoFrom((eb) => [
      eb.selectFrom('pg_catalog.pg_namespace').select(eb.fn.countAll().as('n')).where('nspname', '=', schema).as('schemas'),
      eb.selectFrom('pg_catalog.pg_roles').select(eb.fn.countAll().as('n')).where('rolname', '=', schema).as('roles'),
      eb.selectFrom('gateway.accounts').select(eb.fn.countAll().as('n')).where('id', '=', accountId).as('accounts'),
      eb.selectFrom('gateway.members').select(eb.fn.countAll().as('n')).where('account_id', '=', accountId).as('members'),
      eb.selectFrom('gateway.slices').select(eb.fn.countAll().as('n')).where('account_id', '=', accountId).as('slices'),
      eb.selectFrom('gateway.subscriptions').select(eb.fn.countAll().as('n')).where('account_id', '=', accountId).as('subscriptions'),
      eb.selectFrom('gateway.invitations').select(eb.fn.countAll().as('n')).where('account_id', '=', accountId).as('invitations'),
      eb.selectFrom('gateway.users').select(eb.fn.countAll().as('n')).where('id', 'in', userIds).as('users'),
      eb.selectFrom('gateway.sessions').select(eb.fn.countAll().as('n')).where('user_id', 'in', userIds).as('sessions'),
    ])
    .executeTakeFirstOrThrow();
  t.same(
    Object.fromEntries(Object.entries(left).map(([k, v]) => [k, Number(v)])),
    { schemas: 0, roles: 0, accounts: 0, members: 0, slices: 0, subscriptions: 0, invitations: 0, users: 0, sessions: 0 },
    'no schema, role or gateway row of the account remains',
  );
  const sliceFiles = fs.existsSync(sys.stateDir) ? fs.readdirSync(sys.stateDir, { recursive: true }).map(String).filter((p) => new RegExp(`(^|/)slice-${sliceId}(\\b|/|$)`).test(p)) : [];
  t.same(sliceFiles, [], 'no directory or file of the slice is left in the supervisor’s state');
  t.equal((await sys.supervisorClient.call('slice.list', {})).filter((s) => s.id === sliceId).length, 0, 'the supervisor no longer knows the slice');
});
