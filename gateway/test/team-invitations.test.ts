// Invitations end to end against a real PostgreSQL and a real SMTP server on loopback
// (mail-catcher.ts): an admin invites, the mail is read from the server, its link is followed
// (preview, accept) as a new user and as an existing one (password, then the second factor);
// the link works once, expires, can be revoked, and a re-invite replaces it. Role rules of inviting.
import t from 'tap';
import { totpNow, newTotpSecret } from '../support/second-factor.ts';
import { hashLinkToken } from '../support/tokens.ts';
import { Browser, build, ORIGIN } from './helpers.ts';
import { linkIn, MailCatcher } from './mail-catcher.ts';
import { joinAs, signUp, startTeamTest } from './team-helpers.ts';

t.setTimeout(240_000);
const smtp = new MailCatcher();
const smtpUrl = await smtp.listen();
t.teardown(() => smtp.close());
const { db, admin, app } = await startTeamTest(t, 'gateway-team-invitations', { SMTP_URL: smtpUrl, LOGIN_LIMIT_PER_ACCOUNT: '3', LOGIN_LIMIT_PER_ADDRESS: '1000' });

const owner = await signUp(app, admin, 'owner@invite.example');

async function invite(by: Browser, email: string, role = 'agent') {
  const res = await by.request('POST', '/api/team/invitations', { email, role });
  return res;
}

async function invitedToken(email: string, skip = 0): Promise<{ token: string; mail: Awaited<ReturnType<MailCatcher['mailTo']>> }> {
  const mail = await smtp.mailTo(email, 10_000, skip, '/invite');
  const link = linkIn(mail, '/invite');
  return { token: link.searchParams.get('token')!, mail };
}

t.test('invite → mail → preview → accept as a new user → a member, signed in to the account', async (t) => {
  const before = Date.now();
  const res = await invite(owner.browser, 'new.agent@invite.example');
  t.equal(res.statusCode, 201, res.body);
  const { id, expiresAt } = res.json();
  t.match(id, /^\d+$/);
  const ttl = Date.parse(expiresAt) - before;
  t.ok(ttl >= 72 * 3_600_000 - 5_000 && ttl <= 72 * 3_600_000 + 60_000, `expires in 72 h (${ttl} ms)`);

  const { token, mail } = await invitedToken('new.agent@invite.example');
  t.match(mail.subject, /Queunir/, 'the product name in the subject');
  t.match(mail.text, /invited you/);
  t.match(mail.html, /Accept the invitation/, 'an HTML body too');
  t.ok(mail.html && mail.html.includes(`${ORIGIN}/invite?token=${token}`), 'the same link in the HTML');
  t.notMatch(mail.html, /<img/i, 'no tracking pixel');
  const link = linkIn(mail, '/invite');
  t.equal(link.origin, ORIGIN, 'the link is under PUBLIC_URL');
  const row = await admin.selectFrom('gateway.invitations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  t.equal(row.token_hash, hashLinkToken(token), 'only the hash is stored');
  t.not(row.token_hash, token);

  const guest = new Browser(app);
  guest.address = '198.51.100.60';
  const preview = await guest.request('GET', `/api/auth/invitations/preview?token=${token}`);
  t.equal(preview.statusCode, 200, preview.body);
  t.match(preview.json(), { accountName: 'owner', email: 'new.agent@invite.example', role: 'agent', existingUser: false, expiresAt });

  const short = await guest.request('POST', '/api/auth/invitations/accept', { token, password: 'short' });
  t.equal(short.statusCode, 400, 'a new user’s password: at least 10');
  t.match(short.json().error.message, /password/);
  const accepted = await guest.request('POST', '/api/auth/invitations/accept', { token, password: 'agent password 123', name: 'Ana Agent' });
  t.equal(accepted.statusCode, 200, accepted.body);
  const me = accepted.json();
  t.match(me, { user: { email: 'new.agent@invite.example', name: 'Ana Agent', emailVerified: true }, account: { id: owner.ownAccountId }, member: { role: 'agent', name: 'Ana Agent' } });
  t.same(me.accounts.map((a: { id: string }) => a.id), [owner.ownAccountId], 'a member of that one account only');
  const members = await guest.request('GET', '/api/team/members');
  t.equal(members.statusCode, 200, 'signed in: works in the account at once');
  t.ok(members.json().items.some((m: { email: string; you: boolean; role: string }) => m.email === 'new.agent@invite.example' && m.you && m.role === 'agent'));

  const again = await new Browser(app).request('POST', '/api/auth/invitations/accept', { token, password: 'agent password 123' });
  t.equal(again.statusCode, 404, 'single use');
  t.match(again.json(), { error: { code: 'INVITATION_INVALID' } });
  t.equal((await guest.request('GET', `/api/auth/invitations/preview?token=${token}`)).statusCode, 404, 'the preview says so too');
  const audit = await admin.selectFrom('gateway.audit_log').select(['action', 'account_id', 'actor']).where('account_id', '=', owner.ownAccountId).execute();
  t.ok(audit.some((a) => a.action === 'team.invite' && a.actor === `user:${owner.userId}`), 'team.invite in the audit log with the account');
  t.ok(audit.some((a) => a.action === 'invitation.accept' && a.actor === `user:${me.user.id}`), 'invitation.accept too');
});

t.test('accept as an existing user: their password, then their second factor', async (t) => {
  const existing = await signUp(app, admin, 'Existing@Invite.example');
  t.equal((await invite(owner.browser, 'existing@invite.example', 'admin')).statusCode, 201);
  const { token } = await invitedToken('existing@invite.example');
  const guest = new Browser(app);
  guest.address = '198.51.100.61';
  t.equal((await guest.request('GET', `/api/auth/invitations/preview?token=${token}`)).json().existingUser, true, 'existingUser, whatever the case of the email');
  const wrong = await guest.request('POST', '/api/auth/invitations/accept', { token, password: 'not the password' });
  t.equal(wrong.statusCode, 403);
  t.match(wrong.json(), { error: { code: 'WRONG_PASSWORD' } });

  const secret = newTotpSecret();
  await admin.updateTable('gateway.users').set({ totp_secret: secret, totp_enabled_at: new Date() }).where('id', '=', existing.userId).execute();
  const noCode = await guest.request('POST', '/api/auth/invitations/accept', { token, password: 'correct horse battery' });
  t.equal(noCode.statusCode, 401);
  t.match(noCode.json(), { error: { code: 'TOTP_REQUIRED' } });
  t.notOk(await admin.selectFrom('gateway.members').select('id').where('user_id', '=', existing.userId).where('account_id', '=', owner.ownAccountId).executeTakeFirst(), 'no membership without the second factor');
  const ok = await guest.request('POST', '/api/auth/invitations/accept', { token, password: 'correct horse battery', totp: await totpNow(secret) });
  t.equal(ok.statusCode, 200, ok.body);
  t.match(ok.json(), { user: { id: existing.userId }, account: { id: owner.ownAccountId }, member: { role: 'admin' } });
  t.equal(ok.json().accounts.length, 2, 'their own account and this one');
});

t.test('an expired link, a revoked one, and a re-invite that replaces the earlier link', async (t) => {
  const expired = await invite(owner.browser, 'late@invite.example');
  const { token: lateToken } = await invitedToken('late@invite.example');
  await admin.updateTable('gateway.invitations').set({ expires_at: new Date(Date.now() - 1_000) }).where('id', '=', expired.json().id).execute();
  const guest = new Browser(app);
  guest.address = '198.51.100.62';
  t.equal((await guest.request('GET', `/api/auth/invitations/preview?token=${lateToken}`)).statusCode, 404, 'expired: preview 404');
  const late = await guest.request('POST', '/api/auth/invitations/accept', { token: lateToken, password: 'late password 123' });
  t.equal(late.statusCode, 404);
  t.match(late.json(), { error: { code: 'INVITATION_INVALID' } });

  const revoked = await invite(owner.browser, 'revoked@invite.example');
  const { token: revokedToken } = await invitedToken('revoked@invite.example');
  const listed = await owner.browser.request('GET', '/api/team/invitations');
  t.ok(listed.json().items.some((i: { id: string; invitedBy: { memberId: string } }) => i.id === revoked.json().id && i.invitedBy.memberId === owner.memberId), 'pending, with who invited');
  t.notOk(listed.json().items.some((i: { email: string }) => i.email === 'late@invite.example'), 'the expired one is not listed');
  t.equal((await owner.browser.request('DELETE', `/api/team/invitations/${revoked.json().id}`)).statusCode, 204);
  t.equal((await owner.browser.request('DELETE', `/api/team/invitations/${revoked.json().id}`)).statusCode, 404, 'revoked once');
  const useRevoked = await guest.request('POST', '/api/auth/invitations/accept', { token: revokedToken, password: 'revoked password 1' });
  t.equal(useRevoked.statusCode, 404, 'a revoked link is dead');
  t.notOk((await owner.browser.request('GET', '/api/team/invitations')).json().items.some((i: { id: string }) => i.id === revoked.json().id));

  const first = await invite(owner.browser, 'twice@invite.example');
  const { token: firstToken } = await invitedToken('twice@invite.example');
  const second = await invite(owner.browser, 'TWICE@invite.example');
  t.equal(second.statusCode, 201);
  const { token: secondToken } = await invitedToken('twice@invite.example', 1);
  const pending = (await owner.browser.request('GET', '/api/team/invitations')).json().items.filter((i: { email: string }) => i.email.toLowerCase() === 'twice@invite.example');
  t.same(pending.map((i: { id: string }) => i.id), [second.json().id], 'one pending invitation per email: the newest');
  t.not(first.json().id, second.json().id);
  t.equal((await guest.request('POST', '/api/auth/invitations/accept', { token: firstToken, password: 'twice password 1' })).statusCode, 404, 'the earlier link is revoked');
  t.equal((await guest.request('POST', '/api/auth/invitations/accept', { token: secondToken, password: 'twice password 1' })).statusCode, 200, 'the new one works');
  const audit = await admin.selectFrom('gateway.audit_log').select(['action']).where('account_id', '=', owner.ownAccountId).where('action', '=', 'team.invite.revoke').execute();
  t.equal(audit.length, 1, 'team.invite.revoke in the audit log');
});

t.test('who may invite whom', async (t) => {
  const agent = await joinAs(app, admin, await signUp(app, admin, 'agent.inviter@invite.example'), owner.ownAccountId, 'agent');
  const adm = await joinAs(app, admin, await signUp(app, admin, 'admin.inviter@invite.example'), owner.ownAccountId, 'admin');
  const byAgent = await invite(agent.browser, 'x1@invite.example');
  t.equal(byAgent.statusCode, 403);
  t.match(byAgent.json(), { error: { code: 'ROLE_REQUIRED' } });
  const ownerByAdmin = await invite(adm.browser, 'x2@invite.example', 'owner');
  t.equal(ownerByAdmin.statusCode, 403, 'an admin cannot invite an owner');
  t.match(ownerByAdmin.json(), { error: { code: 'ROLE_REQUIRED', message: /owner/ } });
  t.equal((await invite(adm.browser, 'x3@invite.example', 'admin')).statusCode, 201, 'an admin invites an admin');
  t.equal((await invite(owner.browser, 'x4@invite.example', 'owner')).statusCode, 201, 'an owner invites an owner');
  const member = await invite(owner.browser, 'Agent.Inviter@invite.example');
  t.equal(member.statusCode, 409);
  t.match(member.json(), { error: { code: 'INVITATION_EMAIL_MEMBER' } });
  const bad = await invite(owner.browser, 'not-an-email');
  t.equal(bad.statusCode, 400);
  t.match(bad.json().error.message, /email/);
  const badRole = await invite(owner.browser, 'x5@invite.example', 'boss');
  t.equal(badRole.statusCode, 400);
  t.match(badRole.json().error.message, /role/);

  const unverified = await signUp(app, admin, 'unverified@invite.example');
  await admin.updateTable('gateway.users').set({ email_verified_at: null }).where('id', '=', unverified.userId).execute();
  app.auth.forget(unverified.userId);
  const refused = await invite(unverified.browser, 'x6@invite.example');
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), { error: { code: 'EMAIL_NOT_VERIFIED' } });
});

t.test('accept attempts are throttled per invitation (counted before the password check)', async (t) => {
  await signUp(app, admin, 'guarded@invite.example');
  t.equal((await invite(owner.browser, 'guarded@invite.example')).statusCode, 201);
  const { token } = await invitedToken('guarded@invite.example');
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const b = new Browser(app);
    b.address = `192.0.2.${100 + i}`; // another address each time: the invitation's limit still holds
    codes.push((await b.request('POST', '/api/auth/invitations/accept', { token, password: `guess number ${i}` })).statusCode);
  }
  t.same(codes, [403, 403, 403, 429], 'LOGIN_LIMIT_PER_ACCOUNT (3) wrong passwords, then 429');
  const b = new Browser(app);
  b.address = '192.0.2.120';
  const right = await b.request('POST', '/api/auth/invitations/accept', { token, password: 'correct horse battery' });
  t.equal(right.statusCode, 429, 'even the right password waits');
  t.ok(Number(right.headers['retry-after']) > 0);
});

t.test('a mail the server refuses: 503 MAIL_FAILED, and the link is not left valid', async (t) => {
  const down = await build(t, db, { env: { SMTP_URL: 'smtp://127.0.0.1:9', LOGIN_LIMIT_PER_ADDRESS: '1000' } });
  const who = new Browser(down);
  who.address = '198.51.100.70';
  who.cookie = owner.browser.cookie;
  who.csrfToken = owner.browser.csrfToken;
  const res = await who.request('POST', '/api/team/invitations', { email: 'nomail@invite.example', role: 'agent' });
  t.equal(res.statusCode, 503, res.body);
  t.match(res.json(), { error: { code: 'MAIL_FAILED' } });
  const rows = await admin.selectFrom('gateway.invitations').select(['revoked_at']).where('email', '=', 'nomail@invite.example').execute();
  t.equal(rows.length, 1);
  t.ok(rows[0]?.revoked_at, 'revoked: nobody received it');
});
