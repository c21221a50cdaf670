// POST /api/connect: the account gets a slice and it starts (idempotent). 202: starting takes a while;
// the state then arrives on /api/events as slice.state and wa.state. With billing on, only a plan
// that allows a slice (trialing, active, past_due within its grace days) may connect.
// Each call may make the supervisor create or start a slice (a container and a browser), so it is
// rate-limited per user. Linking WhatsApp is an admin's or the owner's to do.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { Throttle } from '../support/throttle.ts';
import { MeSchema, meBody } from './me.ts';

export default async function connectRoutes(app: FastifyInstance) {
  const perUser = new Throttle(app.config.CONNECT_LIMIT_PER_MINUTE, 60_000);
  app.post(
    '/api/connect',
    // No body: whatever is sent is ignored.
    { config: { access: 'admin', scope: 'session' }, schema: { response: { 202: MeSchema } } },
    async (request, reply) => {
      const user = app.auth.require(request);
      const wait = perUser.hit(`user:${user.id}`);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new AppError('RATE_LIMITED', `too many connect requests: try again in ${wait} s`);
      }
      // Access follows payment: no plan that allows a slice → 402 PLAN_REQUIRED saying why.
      const member = app.auth.requireMember(request, 'admin');
      await app.billing.requireAccess(member.accountId);
      await app.slices.connect(member.accountId, user.id);
      reply.code(202);
      return meBody(app, request);
    },
  );
}
