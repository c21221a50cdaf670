// Email verification: register mails a link (EMAIL_VERIFY_TTL_HOURS, single use); following it
// marks the address verified. An unverified user works as usual (the web shows a reminder);
// inviting others needs a verified address (team routes).
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { inBackground, sendVerificationMail } from '../support/self-mails.ts';
import { Throttle } from '../support/throttle.ts';
import { LINK_TOKEN_PATTERN } from '../support/tokens.ts';
import { consumeUserToken } from '../support/user-tokens.ts';

const VerifySchema = Type.Object({ token: Type.String({ pattern: LINK_TOKEN_PATTERN, description: 'the token of the mailed link' }) }, { additionalProperties: false });

export default async function emailVerificationRoutes(app: FastifyInstance) {
  const resends = new Throttle(3, 3_600_000);

  app.post<{ Body: Static<typeof VerifySchema> }>(
    '/api/auth/verify-email',
    { schema: { body: VerifySchema }, config: { access: 'public', scope: 'public', csrf: 'origin-only' } },
    async (request, reply) => {
      const userId = await app.db.transaction().execute(async (trx) => {
        const userId = await consumeUserToken(trx, 'email_verify', request.body.token);
        await trx
          .updateTable('users')
          .set((eb) => ({ email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(new Date())), updated_at: new Date() }))
          .where('id', '=', userId)
          .execute();
        await writeAudit(trx, { actor: `user:${userId}`, userId, action: 'user.email.verify', details: {} });
        return userId;
      });
      // After the commit: a load between a forget inside the transaction and the commit would
      // cache the row as it was, and the user would read "unverified" for seconds more.
      app.auth.forget(userId);
      reply.code(204).send();
    },
  );

  app.post('/api/auth/verify-email/resend', { config: { access: 'user', scope: 'session' } }, async (request, reply) => {
    const user = app.auth.require(request);
    if (!user.emailVerified) {
      const wait = resends.hit(user.id);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new AppError('RATE_LIMITED', `a verification mail was sent just now: try again in ${wait} s`);
      }
      inBackground(app, 'verification mail', () => sendVerificationMail(app, user));
    }
    reply.code(202).send({ accepted: true, alreadyVerified: user.emailVerified });
  });
}
