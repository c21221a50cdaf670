// The user's login sessions: the list (device, address, when made and last used; the id is a hash
// of the session id, never the id itself), log out one, log out everywhere but here. Ending a
// session ends its event streams at once (the session store tells the event hubs).
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { endOtherSessions } from '../support/password-check.ts';
import { SESSION_COOKIE } from '../support/session-cookie.ts';
import { deviceName } from '../support/user-agent.ts';

/** The public id of a session: sha256 of its sid, shortened; the sid itself (the cookie) never leaves. */
export function sessionPublicId(sid: string): string {
  return crypto.createHash('sha256').update(`session:${sid}`, 'utf8').digest('base64url').slice(0, 22);
}

const SessionSchema = Type.Object({
  id: Type.String(),
  device: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  lastUsedAt: Type.String(),
  current: Type.Boolean(),
});
const ListSchema = Type.Object({ items: Type.Array(SessionSchema), nextCursor: Type.Null() });
const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', description: 'a session id from GET /api/auth/sessions' }) }, { additionalProperties: false });

export default async function sessionRoutes(app: FastifyInstance) {
  const access = { access: 'user' as const, scope: 'session' as const };

  async function sessionsOf(userId: string) {
    return app.db
      .selectFrom('sessions')
      .select(['sid', 'user_agent', 'ip', 'created_at', 'last_seen_at'])
      .where('user_id', '=', userId)
      .where('expires_at', '>', new Date())
      .orderBy('created_at', 'desc')
      .execute();
  }

  app.get('/api/auth/sessions', { config: access, schema: { response: { 200: ListSchema } } }, async (request) => {
    const user = app.auth.require(request);
    const current = request.session.sessionId;
    const rows = await sessionsOf(user.id);
    return {
      items: rows.map((r) => ({
        id: sessionPublicId(r.sid),
        device: deviceName(r.user_agent),
        ip: r.ip,
        createdAt: r.created_at.toISOString(),
        lastUsedAt: (r.last_seen_at && r.last_seen_at > r.created_at ? r.last_seen_at : r.created_at).toISOString(),
        current: r.sid === current,
      })),
      nextCursor: null,
    };
  });

  app.delete('/api/auth/sessions', { config: access }, async (request, reply) => {
    const user = app.auth.require(request);
    const ended = await endOtherSessions(app, request);
    await writeAudit(app.db, { actor: `user:${user.id}`, userId: user.id, action: 'user.sessions.end_others', details: { ip: request.ip, sessionsEnded: ended } });
    reply.code(204).send();
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/auth/sessions/:id', { config: access, schema: { params: IdParams } }, async (request, reply) => {
    const user = app.auth.require(request);
    const row = (await sessionsOf(user.id)).find((r) => sessionPublicId(r.sid) === request.params.id);
    if (!row) throw new AppError('NOT_FOUND', 'no such session of yours (it may have ended already)');
    if (row.sid === request.session.sessionId) {
      await request.session.destroy();
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
    } else {
      await new Promise<void>((resolve, reject) => app.sessionStore.destroy(row.sid, (err) => (err ? reject(err) : resolve())));
    }
    await writeAudit(app.db, { actor: `user:${user.id}`, userId: user.id, action: 'user.sessions.end_one', details: { ip: request.ip, session: request.params.id } });
    reply.code(204).send();
  });
}
