// GET /api/events: the member's live stream (see plugins/events.ts for the merge, the ids and the
// limits). The stream belongs to the request's session and ends with it.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { isAppError } from '../../lib/errors.ts';
import { LAST_EVENT_ID_PATTERN } from '../plugins/events.ts';

const HeadersSchema = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 64, pattern: LAST_EVENT_ID_PATTERN, description: 'an event id this stream sent' })),
});

export default async function eventsRoutes(app: FastifyInstance) {
  app.get<{ Headers: { 'last-event-id'?: string } }>('/api/events', { config: { scope: 'session' }, schema: { headers: HeadersSchema } }, async (request, reply) => {
    const user = app.auth.require(request);
    const member = app.auth.requireMember(request);
    const slice = await app.slices.forAccount(member.accountId);
    try {
      app.events.admit(member.id);
    } catch (err) {
      const wait = isAppError(err) ? err.details?.retryAfterSeconds : undefined;
      if (typeof wait === 'number') reply.header('retry-after', String(wait));
      throw err;
    }
    const expires = request.session.cookie.expires;
    reply.hijack();
    // Fastify no longer manages this response: the headers helmet would add are set here.
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    const owner = { member: { id: member.id, role: member.role, name: member.name, accountId: member.accountId }, userId: user.id, sessionId: request.session.sessionId, sessionExpiresAt: expires ? new Date(expires).getTime() : Infinity };
    app.events.attach(owner, reply.raw, request.headers['last-event-id'] || undefined, [
      { event: 'slice.state', data: slice ? { id: slice.id, state: slice.observedState, reason: 'current' } : { id: null, state: null, reason: 'not connected' } },
    ]);
  });
}
