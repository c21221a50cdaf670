// Self-service, passwords and email: the verification mail at sign-up, password change and
// forgotten-password reset, against a real PostgreSQL and a real SMTP server on loopback (the
// mails are read from it and their links followed).
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { Browser, build, ORIGIN, startDb } from './helpers.ts';
import { linkIn, MailCatcher } from './self-smtp.ts';

const db = await startDb(t, 'gateway-self-password');
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());
const smtp = new MailCatcher();
await smtp.start();
t.teardown(() => smtp.stop());
const app = await build(t, db, { env: { SMTP_URL: smtp.url, MAIL_FROM: 'Queunir <no-reply@queunir.test>', LOGIN_LIMIT_PER_ADDRESS: '1000' } });

const PASSWORD = 'correct horse battery';

function browser(address: string): Browser {
  const b = new Browser(app);
  b.address = address;
  return b;
}

t.test('sign-up mails a verification link; it works once; an unverified user still works; resend', async (t) => {
  const b = browser('198.51.100.20');
  const res = await b.register('verify@self.example');
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().user.emailVerified, false, 'not verified yet');
  const mail = await smtp.next('verify@self.example', /Confirm your email/);
  t.match(mail.from, /no-reply@queunir\.test/, 'MAIL_FROM');
  t.match(mail.subject, /Queunir/, 'the product named');
  t.match(mail.html, /verify-email\?token=/, 'an HTML body with the link too');
  const { url, token } = linkIn(mail, '/verify-email');
  t.equal(url.origin, ORIGIN, 'a link under PUBLIC_URL');
  t.match(token, /^[A-Za-z0-9_-]{43}$/);
  t.equal((await b.request('GET', '/api/me')).statusCode, 200, 'unverified: signed in and working');
  const anon = browser('198.51.100.21');
  t.equal((await anon.request('POST', '/api/auth/verify-email', { token })).statusCode, 204, 'the link works (no session needed)');
  const again = await anon.request('POST', '/api/auth/verify-email', { token });
  t.equal(again.statusCode, 404);
  t.match(again.json(), { error: { code: 'TOKEN_INVALID' } }, 'and only once');
  t.equal((await b.request('GET', '/api/me')).json().user.emailVerified, true, 'GET /api/me says verified');
  const bad = await anon.request('POST', '/api/auth/verify-email', { token: 'short' });
  t.equal(bad.statusCode, 400, 'a malformed token: a schema error');
  t.match(bad.json().error.message, /token/);

  const c = browser('198.51.100.22');
  await c.register('resend@self.example');
  await smtp.next('resend@self.example', /Confirm your email/);
  const before = smtp.count('resend@self.example');
  const resent = await c.request('POST', '/api/auth/verify-email/resend');
  t.equal(resent.statusCode, 202);
  const second = await smtp.next('resend@self.example', /Confirm your email/, smtp.mails.findIndex((m) => m.to.includes('resend@')) + 1);
  t.equal(smtp.count('resend@self.example'), before + 1, 'a second mail');
  t.equal((await c.request('POST', '/api/auth/verify-email', { token: linkIn(second, '/verify-email').token })).statusCode, 204, 'its link works');
  // Without a session there is no CSRF token either: refused before anything else.
  t.match((await browser('198.51.100.23').request('POST', '/api/auth/verify-email/resend')).json(), { error: { code: 'CSRF_REJECTED' } }, 'resend needs a session');
});

t.test('password change: the current one needed; the other sessions end, this one stays', async (t) => {
  const here = browser('198.51.100.30');
  await here.register('change@self.example');
  const there = browser('198.51.100.31');
  t.equal((await there.login('change@self.example')).statusCode, 200);
  const wrong = await here.request('POST', '/api/auth/password', { current: 'not the password', next: 'a brand new password' });
  t.equal(wrong.statusCode, 403);
  t.match(wrong.json(), { error: { code: 'WRONG_PASSWORD' } });
  const short = await here.request('POST', '/api/auth/password', { current: PASSWORD, next: 'short' });
  t.equal(short.statusCode, 400);
  t.match(short.json().error.message, /next/, 'the error names the field');
  t.equal((await here.request('POST', '/api/auth/password', { current: PASSWORD, next: 'a brand new password' })).statusCode, 204);
  t.equal((await here.request('GET', '/api/me')).statusCode, 200, 'this session stays');
  t.equal((await there.request('GET', '/api/me')).statusCode, 401, 'the other one ended');
  // A few seconds on, past every cache: still signed in here.
  await new Promise((r) => setTimeout(r, 5_500));
  t.equal((await here.request('GET', '/api/me')).statusCode, 200, 'still signed in after the caches expired');
  t.equal((await browser('198.51.100.32').login('change@self.example')).statusCode, 401, 'the old password no longer works');
  t.equal((await browser('198.51.100.32').login('change@self.example', 'a brand new password')).statusCode, 200, 'the new one does');
  const anon = await browser('198.51.100.33').request('POST', '/api/auth/password', { current: PASSWORD, next: 'whatever password' }, { 'x-csrf-token': 'x' });
  t.equal(anon.statusCode, 403, 'needs a session (and so its CSRF token)');
});

t.test('forgot password: 202 whatever the email; the mailed link resets once, ends every session; expires', async (t) => {
  const owner = browser('198.51.100.40');
  await owner.register('reset@self.example');
  const other = browser('198.51.100.41');
  await other.login('reset@self.example');
  const anon = browser('198.51.100.42');

  // Known and unknown email: the same answer, and no telling by time (the work happens after it).
  const timings: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
  let body = '';
  for (let i = 0; i < 3; i++) {
    for (const [kind, email] of [['known', 'Reset@Self.example'], ['unknown', `nobody${i}@self.example`]] as const) {
      const t0 = performance.now();
      const r = await anon.request('POST', '/api/auth/password-reset', { email });
      timings[kind].push(performance.now() - t0);
      t.equal(r.statusCode, 202, `${kind}: 202`);
      if (body === '') body = r.body;
      t.equal(r.body, body, `${kind}: the same body`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  t.comment(`password-reset answer, median ms: known ${median(timings.known).toFixed(1)}, unknown ${median(timings.unknown).toFixed(1)}`);
  t.ok(Math.abs(median(timings.known) - median(timings.unknown)) < 150, 'no telling known from unknown by the time of the answer');
  t.ok(median(timings.known) < 500, 'the mail is not waited for');
  const mail = await smtp.next('reset@self.example', /Reset your password/);
  t.equal(smtp.mails.filter((m) => /nobody\d@/.test(m.to)).length, 0, 'no mail to an unknown address');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(smtp.mails.filter((m) => m.to.includes('reset@self.example') && /Reset/.test(m.subject)).length, 3, 'three requests, three mails (the per-email limit is 3)');
  const fourth = await anon.request('POST', '/api/auth/password-reset', { email: 'reset@self.example' });
  t.equal(fourth.statusCode, 202, 'over the per-email limit: the same 202');
  await new Promise((r) => setTimeout(r, 500));
  t.equal(smtp.mails.filter((m) => m.to.includes('reset@self.example') && /Reset/.test(m.subject)).length, 3, 'and no fourth mail');

  const { url, token } = linkIn(mail, '/reset-password');
  t.equal(url.origin, ORIGIN);
  t.match(mail.text, /60 minutes/, 'the mail says how long it works');
  const weak = await anon.request('POST', '/api/auth/password-reset/confirm', { token, password: 'short' });
  t.equal(weak.statusCode, 400, 'a weak password is refused before the token is spent');
  t.equal((await anon.request('POST', '/api/auth/password-reset/confirm', { token, password: 'the reset password' })).statusCode, 204, 'reset');
  const twice = await anon.request('POST', '/api/auth/password-reset/confirm', { token, password: 'another reset password' });
  t.equal(twice.statusCode, 404);
  t.match(twice.json(), { error: { code: 'TOKEN_INVALID' } }, 'only once');
  t.equal((await owner.request('GET', '/api/me')).statusCode, 401, 'every session ended');
  t.equal((await other.request('GET', '/api/me')).statusCode, 401, 'every session ended (the other one too)');
  t.equal((await browser('198.51.100.43').login('reset@self.example', 'the reset password')).statusCode, 200, 'the new password works');
  t.equal((await browser('198.51.100.43').login('reset@self.example')).statusCode, 401, 'the old one does not');
  // The other mails' links were spent with the one used.
  const others = smtp.mails.filter((m) => m.to.includes('reset@self.example') && /Reset/.test(m.subject) && m !== mail);
  for (const m of others) {
    t.equal((await anon.request('POST', '/api/auth/password-reset/confirm', { token: linkIn(m, '/reset-password').token, password: 'yet another password' })).statusCode, 404, 'an earlier link is spent too');
  }
  const me = await browser('198.51.100.43').login('reset@self.example', 'the reset password');
  t.equal(me.json().user.emailVerified, true, 'following the mailed link proved the address');

  // Expiry: a link past PASSWORD_RESET_TTL_MINUTES is refused.
  const late = browser('198.51.100.44');
  const seen = smtp.mails.length;
  await late.request('POST', '/api/auth/password-reset', { email: 'verify@self.example' });
  const lateMail = await smtp.next('verify@self.example', /Reset your password/, seen);
  const lateToken = linkIn(lateMail, '/reset-password').token;
  const rows = await admin.selectFrom('gateway.user_tokens').select(['expires_at', 'created_at']).where('purpose', '=', 'password_reset').orderBy('id', 'desc').limit(1).execute();
  const ttl = rows[0]!.expires_at.getTime() - rows[0]!.created_at.getTime();
  t.ok(Math.abs(ttl - 3_600_000) < 5_000, 'the link lasts an hour');
  await admin.updateTable('gateway.user_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('purpose', '=', 'password_reset').where('used_at', 'is', null).execute();
  const expired = await late.request('POST', '/api/auth/password-reset/confirm', { token: lateToken, password: 'too late password' });
  t.equal(expired.statusCode, 404, 'expired');
  t.match(expired.json(), { error: { code: 'TOKEN_INVALID' } });
  const stored = await admin.selectFrom('gateway.user_tokens').select('token_hash').execute();
  t.notOk(stored.some((r: { token_hash: string }) => r.token_hash === lateToken), 'only hashes are stored');
});
