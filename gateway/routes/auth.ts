// Accounts: register (which mails the email-verification link), login (with the second factor
// when the user turned it on), logout. Login and register are throttled per client address (an IPv6
// client per /64) and login failures per account; an attempt is counted before its password is
// checked, so guesses sent in parallel cannot all slip under the limit. A browser that signed in
// to the account before has a bucket of its own (support/known-device.ts): failures elsewhere do not
// lock the owner out of it. Sessions are regenerated at login (no fixation) and destroyed at
// logout (a replayed cookie finds nothing).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { addressKey } from '../support/client-address.ts';
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S, KnownDevices } from '../support/known-device.ts';
import { SESSION_COOKIE } from '../support/session-cookie.ts';
import { Throttle } from '../support/throttle.ts';
import { decoyHash, hashPassword, verifyPassword } from '../support/passwords.ts';
import { startLoginSession } from '../support/login-session.ts';
import { MeSchema, meBody } from './me.ts';
import { RECOVERY_CODE_PATTERN, TOTP_PATTERN, verifySecondFactor } from '../support/second-factor.ts';
import { inBackground, sendVerificationMail } from '../support/self-mails.ts';

const CredentialsSchema = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$', description: 'an email address' }),
    password: Type.String({ minLength: 10, maxLength: 1024, description: 'at least 10 characters' }),
  },
  { additionalProperties: false },
);

/** Login: the credentials, and the second factor when the user turned it on (one of the two). */
const LoginSchema = Type.Object(
  {
    ...CredentialsSchema.properties,
    totp: Type.Optional(Type.String({ pattern: TOTP_PATTERN, description: 'the 6-digit code of the authenticator app' })),
    recoveryCode: Type.Optional(Type.String({ pattern: RECOVERY_CODE_PATTERN, description: 'one of the recovery codes, xxxxx-xxxxx' })),
  },
  { additionalProperties: false },
);
type Login = Static<typeof LoginSchema>;

/** A name as a person types it: trimmed by the route; 1–max characters once trimmed. */
const PersonText = (max: number, description: string) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S', description });
const RegistrationSchema = Type.Object(
  {
    ...CredentialsSchema.properties,
    name: Type.Optional(PersonText(100, "the person's name")),
    businessName: Type.Optional(PersonText(120, "the business's name")),
  },
  { additionalProperties: false },
);
type Registration = Static<typeof RegistrationSchema>;

export default async function authRoutes(app: FastifyInstance) {
  const windowMs = app.config.LOGIN_LIMIT_WINDOW_S * 1000;
  const perAddress = new Throttle(app.config.LOGIN_LIMIT_PER_ADDRESS, windowMs);
  const perAccount = new Throttle(app.config.LOGIN_LIMIT_PER_ACCOUNT, windowMs);
  const knownDevices = new KnownDevices(app.sessionSecret);

  function limited(seconds: number, reply: FastifyReply, what: string): never {
    reply.header('retry-after', String(seconds));
    throw new AppError('RATE_LIMITED', `too many ${what}: try again in ${seconds} s`);
  }

  function throttleAddress(request: FastifyRequest, reply: FastifyReply): void {
    const wait = perAddress.hit(`ip:${addressKey(request.ip)}`);
    if (wait > 0) limited(wait, reply, 'attempts from this address');
  }

  const startSession = (request: FastifyRequest, userId: string, accountId?: string) => startLoginSession(app, request, userId, accountId);

  function rememberDevice(reply: FastifyReply, email: string): void {
    reply.setCookie(DEVICE_COOKIE, knownDevices.issue(email), {
      path: '/api/auth/',
      httpOnly: true,
      sameSite: 'strict',
      secure: app.config.PUBLIC_URL.startsWith('https:'),
      maxAge: DEVICE_COOKIE_MAX_AGE_S,
    });
  }

  const opts = {
    schema: { body: CredentialsSchema, response: { 200: MeSchema } },
    // Anyone may sign up or in, but never with a key: a key signs no one in (no session is started for it).
    config: { csrf: 'origin-only' as const, access: 'public' as const, scope: 'session' as const },
  };

  app.post<{ Body: Registration }>('/api/auth/register', { ...opts, schema: { ...opts.schema, body: RegistrationSchema } }, async (request, reply) => {
    throttleAddress(request, reply);
    const email = request.body.email.trim();
    const passwordHash = await hashPassword(request.body.password);
    const name = request.body.name?.trim() || null;
    const businessName = request.body.businessName?.trim() || null;
    let id: string;
    let accountId: string;
    try {
      // The user, their account and their membership as its owner: all or nothing.
      ({ id, accountId } = await app.db.transaction().execute(async (trx) => {
        const user = await trx
          .insertInto('users')
          .values({ email, password_hash: passwordHash, name, business_name: businessName })
          .returning('id')
          .executeTakeFirstOrThrow();
        const account = await trx
          .insertInto('accounts')
          .values({ name: businessName ?? name ?? email.split('@', 1)[0]!.slice(0, 120) })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.insertInto('members').values({ account_id: account.id, user_id: user.id, role: 'owner' }).execute();
        await trx.updateTable('users').set({ last_account_id: account.id }).where('id', '=', user.id).execute();
        const ids = { id: String(user.id), accountId: String(account.id) };
        await writeAudit(trx, { actor: `user:${ids.id}`, userId: ids.id, accountId: ids.accountId, action: 'user.register', details: { ip: request.ip } });
        return ids;
      }));
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new AppError('EMAIL_TAKEN', 'an account with this email exists: sign in instead');
      throw err;
    }
    await startSession(request, id, accountId);
    rememberDevice(reply, email);
    // After the answer: a slow or absent mail server never holds up signing up.
    inBackground(app, 'verification mail', () => sendVerificationMail(app, { id, email }));
    return meBody(app, request);
  });

  app.post<{ Body: Login }>('/api/auth/login', { ...opts, schema: { ...opts.schema, body: LoginSchema } }, async (request, reply) => {
    throttleAddress(request, reply);
    const email = request.body.email.trim().toLowerCase();
    // A known browser of this account counts its failures apart from everyone else's.
    const device = knownDevices.deviceFor(request.cookies[DEVICE_COOKIE], email);
    const accountKey = device ? `device:${device}:${email}` : `account:${email}`;
    // Counted now, before the first await: parallel guesses each take one of the attempts.
    const wait = perAccount.hit(accountKey);
    if (wait > 0) limited(wait, reply, 'failed sign-ins for this account');
    const row = await app.db
      .selectFrom('users')
      .select(['id', 'password_hash'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .executeTakeFirst();
    // Same work whether or not the account exists: no timing oracle for valid emails.
    const ok = await verifyPassword(row?.password_hash ?? (await decoyHash()), request.body.password);
    if (!row || !ok) throw new AppError('BAD_CREDENTIALS', 'wrong email or password');
    // The password was right; the attempt still counts until the second factor passes too.
    await verifySecondFactor(app, String(row.id), { totp: request.body.totp, recoveryCode: request.body.recoveryCode });
    perAccount.reset(accountKey);
    await startSession(request, String(row.id));
    rememberDevice(reply, email);
    return meBody(app, request);
  });

  app.post('/api/auth/logout', { config: { access: 'public', scope: 'session' } }, async (request, reply) => {
    if (request.session?.sessionId) await request.session.destroy();
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.code(204).send();
  });
}
