// Billing routes arrive with the billing issue; until then they say so (501), and nothing under
// /api/billing/ falls through to a slice.
import type { FastifyInstance } from 'fastify';

export default async function billingRoutes(app: FastifyInstance) {
  app.all('/api/billing/*', { config: { csrf: false } }, async (_request, reply) => {
    reply.code(501);
    return { error: { kind: 'Unavailable', code: 'UNAVAILABLE', message: 'billing is not available yet' } };
  });
}
