// Two-factor sign-in (TOTP with otplib, recovery codes), against a real PostgreSQL: setup is not
// in force until enabled with a current code; then a login without the code is refused
// (TOTP_REQUIRED, counted against the throttle), works with the code, and with each recovery
// code once; turning it off and new recovery codes need the password.
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { totpNow } from '../support/second-factor.ts';
import { Browser, build, startDb } from './helpers.ts';

const db = await startDb(t, 'gateway-self-totp');
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());
const app = await build(t, db, { env: { LOGIN_LIMIT_PER_ACCOUNT: '4', LOGIN_LIMIT_PER_ADDRESS: '1000' } });

const PASSWORD = 'correct horse battery';
const EMAIL = 'twofactor@self.example';
let n = 0;
function browser(): Browser {
  const b = new Browser(app);
  b.address = `198.51.100.${++n}`;
  return b;
}
const login = (body: Record<string, unknown>) => browser().request('POST', '/api/auth/login', { email: EMAIL, password: PASSWORD, ...body });

/** A code of the secret other than the current one (wrong, but well-formed). */
async function wrongCode(secret: string): Promise<string> {
  const now = await totpNow(secret);
  return String((Number(now) + 500_000) % 1_000_000).padStart(6, '0');
}

const owner = browser();
await owner.register(EMAIL);
let secret = '';
let recoveryCodes: string[] = [];

t.test('setup answers a secret and an otpauth URL, not yet in force', async (t) => {
  const res = await owner.request('POST', '/api/auth/totp/setup');
  t.equal(res.statusCode, 200, res.body);
  secret = res.json().secret;
  t.match(res.json().otpauthUrl, /^otpauth:\/\/totp\/Queunir:twofactor%40self\.example\?.*secret=/);
  t.equal((await login({})).statusCode, 200, 'a login without the code still works: not enabled yet');
  t.equal((await owner.request('GET', '/api/me')).json().user.totpEnabled, false);
});

t.test('enable needs a current code; answers ten recovery codes', async (t) => {
  const bad = await owner.request('POST', '/api/auth/totp/enable', { code: await wrongCode(secret) });
  t.equal(bad.statusCode, 401);
  t.match(bad.json(), { error: { code: 'TOTP_INVALID' } });
  const malformed = await owner.request('POST', '/api/auth/totp/enable', { code: '12ab' });
  t.equal(malformed.statusCode, 400, 'a malformed code: a schema error naming the field');
  t.match(malformed.json().error.message, /code/);
  const ok = await owner.request('POST', '/api/auth/totp/enable', { code: await totpNow(secret) });
  t.equal(ok.statusCode, 200, ok.body);
  recoveryCodes = ok.json().recoveryCodes;
  t.equal(recoveryCodes.length, 10);
  t.equal(new Set(recoveryCodes).size, 10, 'all different');
  for (const c of recoveryCodes) t.match(c, /^[a-z0-9]{5}-[a-z0-9]{5}$/);
  t.equal((await owner.request('GET', '/api/me')).json().user.totpEnabled, true);
  const stored = await admin.selectFrom('gateway.recovery_codes').select('code_hash').execute();
  t.equal(stored.length, 10);
  t.notOk(stored.some((r: { code_hash: string }) => recoveryCodes.some((c) => r.code_hash.includes(c))), 'only hashes are kept');
  const again = await owner.request('POST', '/api/auth/totp/setup');
  t.equal(again.statusCode, 409, 'no new setup while it is on');
  t.match(again.json(), { error: { code: 'TOTP_ENABLED' } });
});

t.test('login: without the code refused, a wrong code refused, the right code works', async (t) => {
  const none = await login({});
  t.equal(none.statusCode, 401);
  t.match(none.json(), { error: { code: 'TOTP_REQUIRED', message: /totp.*recovery code/ } });
  t.equal(none.cookies.find((c) => c.name === 'queunir_sid')?.value ?? '', '', 'no session was started');
  const wrongPassword = await browser().request('POST', '/api/auth/login', { email: EMAIL, password: 'not the password', totp: await totpNow(secret) });
  t.match(wrongPassword.json(), { error: { code: 'BAD_CREDENTIALS' } }, 'a wrong password says nothing about the second factor');
  const wrong = await login({ totp: await wrongCode(secret) });
  t.equal(wrong.statusCode, 401);
  t.match(wrong.json(), { error: { code: 'TOTP_INVALID' } });
  const b = browser();
  const ok = await b.request('POST', '/api/auth/login', { email: EMAIL, password: PASSWORD, totp: await totpNow(secret) });
  t.equal(ok.statusCode, 200, ok.body);
  t.equal((await b.request('GET', '/api/me')).statusCode, 200, 'signed in');
});

t.test('TOTP_REQUIRED counts against the per-account throttle', async (t) => {
  // The limit is 4 failures; the right login above reset the count.
  for (let i = 0; i < 4; i++) t.equal((await login({})).statusCode, 401, `attempt ${i + 1}: TOTP_REQUIRED`);
  const limited = await login({ totp: await totpNow(secret) });
  t.equal(limited.statusCode, 429, 'then limited, even with the right code');
  t.match(limited.json(), { error: { code: 'RATE_LIMITED' } });
});

t.test('a recovery code works once', async (t) => {
  // A fresh throttle window: the limiter is per process; a new app is not needed, the key differs per known device.
  const app2 = await build(t, db, { env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
  const fresh = () => {
    const b = new Browser(app2);
    b.address = `198.51.100.${++n}`;
    return b;
  };
  const code = recoveryCodes[3]!;
  const ok = await fresh().request('POST', '/api/auth/login', { email: EMAIL, password: PASSWORD, recoveryCode: code.toUpperCase() });
  t.equal(ok.statusCode, 200, 'a recovery code signs in (any case)');
  const reused = await fresh().request('POST', '/api/auth/login', { email: EMAIL, password: PASSWORD, recoveryCode: code });
  t.equal(reused.statusCode, 401);
  t.match(reused.json(), { error: { code: 'TOTP_INVALID' } }, 'the same code again: refused');
  t.equal((await fresh().request('POST', '/api/auth/login', { email: EMAIL, password: PASSWORD, recoveryCode: recoveryCodes[4]!.replace('-', '') })).statusCode, 200, 'another one, without its dash');
  const used = await admin.selectFrom('gateway.recovery_codes').select('id').where('used_at', 'is not', null).execute();
  t.equal(used.length, 2, 'two used up');

  const regenWrong = await owner.request('POST', '/api/auth/totp/recovery-codes', { password: 'not the password' });
  t.equal(regenWrong.statusCode, 403, 'new codes need the password');
  const regen = await owner.request('POST', '/api/auth/totp/recovery-codes', { password: PASSWORD });
  t.equal(regen.statusCode, 200);
  const fresher: string[] = regen.json().recoveryCodes;
  t.equal((await fresh().request('POST', '/api/auth/login', { email: EMAIL, password: PASSWORD, recoveryCode: recoveryCodes[5]! })).statusCode, 401, 'the old codes no longer work');
  t.equal((await fresh().request('POST', '/api/auth/login', { email: EMAIL, password: PASSWORD, recoveryCode: fresher[0]! })).statusCode, 200, 'the new ones do');
});

t.test('turning it off needs the password; then a login needs no code', async (t) => {
  const wrong = await owner.request('DELETE', '/api/auth/totp', { password: 'not the password' });
  t.equal(wrong.statusCode, 403);
  t.match(wrong.json(), { error: { code: 'WRONG_PASSWORD' } });
  t.equal((await owner.request('DELETE', '/api/auth/totp', {})).statusCode, 400, 'the password is required');
  t.equal((await owner.request('DELETE', '/api/auth/totp', { password: PASSWORD })).statusCode, 204);
  const app3 = await build(t, db, { env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
  const b = new Browser(app3);
  b.address = '198.51.100.250';
  t.equal((await b.login(EMAIL)).statusCode, 200, 'no code needed');
  const row = await admin.selectFrom('gateway.users').select(['totp_secret', 'totp_enabled_at']).where('email', '=', EMAIL).executeTakeFirstOrThrow();
  t.same(row, { totp_secret: null, totp_enabled_at: null }, 'the secret is gone');
  t.equal((await admin.selectFrom('gateway.recovery_codes').select('id').execute()).length, 0, 'and the recovery codes');
  t.match((await new Browser(app).request('POST', '/api/auth/totp/setup')).json(), { error: { code: 'CSRF_REJECTED' } }, 'setup needs a session (and its CSRF token)');
});
