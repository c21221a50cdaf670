// Passwords: change (the current one needed; the other sessions end, this one stays), and forgot
// (a mailed single-use link, PASSWORD_RESET_TTL_MINUTES; using it ends every session). The request
// for a link answers 202 at once whether or not the email has an account: the lookup and the mail
// happen after the answer, so neither the body nor the time tells.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { addressKey } from '../support/client-address.ts';
import { hashPassword } from '../support/passwords.ts';
import { CurrentPasswordSchema, NewPasswordSchema, endOtherSessions, requirePassword } from '../support/password-check.ts';
import { inBackground, sendPasswordResetMail } from '../support/self-mails.ts';
import { Throttle } from '../support/throttle.ts';
import { LINK_TOKEN_PATTERN } from '../support/tokens.ts';
import { consumeUserToken } from '../support/user-tokens.ts';

const ChangeSchema = Type.Object({ current: CurrentPasswordSchema, next: NewPasswordSchema }, { additionalProperties: false });
const ResetRequestSchema = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$', description: 'an email address' }) },
  { additionalProperties: false },
);
const ResetConfirmSchema = Type.Object(
  { token: Type.String({ pattern: LINK_TOKEN_PATTERN, description: 'the token of the mailed link' }), password: NewPasswordSchema },
  { additionalProperties: false },
);

export default async function passwordRoutes(app: FastifyInstance) {
  const windowMs = app.config.LOGIN_LIMIT_WINDOW_S * 1000;
  const perAddress = new Throttle(app.config.LOGIN_LIMIT_PER_ADDRESS, windowMs);
  // At most this many mails to one address per window: the form cannot be used to flood an inbox.
  const perEmail = new Throttle(3, windowMs);

  app.post<{ Body: Static<typeof ChangeSchema> }>('/api/auth/password', { schema: { body: ChangeSchema }, config: { access: 'user', scope: 'session' } }, async (request, reply) => {
    const user = app.auth.require(request);
    await requirePassword(app, user.id, request.body.current);
    const hash = await hashPassword(request.body.next);
    await app.db.updateTable('users').set({ password_hash: hash, updated_at: new Date() }).where('id', '=', user.id).execute();
    const ended = await endOtherSessions(app, request);
    await writeAudit(app.db, { actor: `user:${user.id}`, userId: user.id, accountId: request.member?.accountId ?? null, action: 'user.password.change', details: { ip: request.ip, sessionsEnded: ended } });
    reply.code(204).send();
  });

  app.post<{ Body: Static<typeof ResetRequestSchema> }>(
    '/api/auth/password-reset',
    { schema: { body: ResetRequestSchema }, config: { access: 'public', scope: 'public', csrf: 'origin-only' } },
    async (request, reply) => {
      const wait = perAddress.hit(`ip:${addressKey(request.ip)}`);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new AppError('RATE_LIMITED', `too many attempts from this address: try again in ${wait} s`);
      }
      const email = request.body.email.trim().toLowerCase();
      const ip = request.ip;
      // Over the per-email limit: the same 202, no mail (the answer must not differ).
      if (perEmail.hit(email) === 0) {
        inBackground(app, 'password-reset mail', async () => {
          const user = await app.db
            .selectFrom('users')
            .select(['id', 'email'])
            .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
            .executeTakeFirst();
          if (!user) return;
          await sendPasswordResetMail(app, { id: String(user.id), email: user.email });
          await writeAudit(app.db, { actor: `user:${user.id}`, userId: String(user.id), action: 'user.password.reset_requested', details: { ip } });
        });
      }
      reply.code(202).send({ accepted: true });
    },
  );

  app.post<{ Body: Static<typeof ResetConfirmSchema> }>(
    '/api/auth/password-reset/confirm',
    { schema: { body: ResetConfirmSchema }, config: { access: 'public', scope: 'public', csrf: 'origin-only' } },
    async (request, reply) => {
      const hash = await hashPassword(request.body.password);
      const userId = await app.db.transaction().execute(async (trx) => {
        const id = await consumeUserToken(trx, 'password_reset', request.body.token);
        // The link reached the mailbox: the address is proven too.
        await trx
          .updateTable('users')
          .set((eb) => ({ password_hash: hash, email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(new Date())), updated_at: new Date() }))
          .where('id', '=', id)
          .execute();
        await writeAudit(trx, { actor: `user:${id}`, userId: id, action: 'user.password.reset', details: { ip: request.ip } });
        return id;
      });
      await app.auth.revokeSessions(userId);
      reply.code(204).send();
    },
  );
}
