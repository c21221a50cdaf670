// POST /api/connect: the user gets a slice and it starts (idempotent). 202: starting takes a while;
// the state then arrives on /api/events as slice.state and wa.state. With billing on, only a plan
// that allows a slice (trialing, active, past_due within its grace days) may connect.
import type { FastifyInstance } from 'fastify';
import { MeSchema, meBody } from './me.ts';

export default async function connectRoutes(app: FastifyInstance) {
  app.post(
    '/api/connect',
    // No body: whatever is sent is ignored.
    { schema: { response: { 202: MeSchema } } },
    async (request, reply) => {
      const user = app.users.require(request);
      // Access follows payment: no plan that allows a slice → 402 PLAN_REQUIRED saying why.
      await app.billing.requireAccess(user.id);
      await app.slices.connect(user.id);
      reply.code(202);
      return meBody(app, request);
    },
  );
}
