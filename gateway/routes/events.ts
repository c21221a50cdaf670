// GET /api/events: the user's live stream (see plugins/events.ts for the merge and the ids).
import type { FastifyInstance } from 'fastify';

export default async function eventsRoutes(app: FastifyInstance) {
  app.get('/api/events', async (request, reply) => {
    const user = app.users.require(request);
    const slice = await app.slices.forUser(user.id);
    const lastEventId = request.headers['last-event-id'];
    reply.hijack();
    // Fastify no longer manages this response: the headers helmet would add are set here.
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    app.events.attach(user.id, reply.raw, typeof lastEventId === 'string' ? lastEventId : undefined, [
      { event: 'slice.state', data: slice ? { id: slice.id, state: slice.observedState, reason: 'current' } : { id: null, state: null, reason: 'not connected' } },
    ]);
  });
}
