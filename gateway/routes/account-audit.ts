// GET /api/account/audit: the account's audit trail for its owners, newest first, a page at a
// time (cursor: the last id seen). Only this account's rows; who acted is a user (with their
// current name) or the system (Stripe, the monitor, billing, an operator, the account itself).
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { memberNameOf } from '../plugins/auth.ts';

const QuerySchema = Type.Object(
  {
    cursor: Type.Optional(Type.String({ pattern: '^\\d{1,19}$', description: 'nextCursor of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'rows per page, 1–200' })),
  },
  { additionalProperties: false },
);

const EntrySchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  actor: Type.Object({ kind: Type.Union([Type.Literal('user'), Type.Literal('system')]), userId: Type.Union([Type.String(), Type.Null()]), name: Type.String() }),
  action: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const USER_ACTOR = /^user:(\d{1,19})$/;

export default async function accountAuditRoutes(app: FastifyInstance) {
  app.get<{ Querystring: Static<typeof QuerySchema> }>(
    '/api/account/audit',
    { config: { access: 'owner', scope: 'session' }, schema: { querystring: QuerySchema, response: { 200: Type.Object({ items: Type.Array(EntrySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) } } },
    async (request) => {
      const me = app.auth.requireMember(request, 'owner');
      const limit = request.query.limit ?? 50;
      let q = app.db.selectFrom('audit_log').select(['id', 'at', 'actor', 'action', 'details']).where('account_id', '=', me.accountId);
      if (request.query.cursor) q = q.where('id', '<', request.query.cursor);
      const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
      const page = rows.slice(0, limit);
      const userIds = [...new Set(page.map((r) => USER_ACTOR.exec(r.actor)?.[1]).filter((id): id is string => id !== undefined))];
      const users = userIds.length === 0 ? [] : await app.db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', userIds).execute();
      const names = new Map(users.map((u) => [String(u.id), memberNameOf(u)]));
      return {
        items: page.map((r) => {
          const userId = USER_ACTOR.exec(r.actor)?.[1];
          const actor = userId
            ? { kind: 'user' as const, userId, name: names.get(userId) ?? `former user ${userId}` }
            : { kind: 'system' as const, userId: null, name: r.actor.startsWith('account:') ? 'the account' : r.actor };
          return { id: String(r.id), at: r.at.toISOString(), actor, action: r.action, details: r.details };
        }),
        nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
      };
    },
  );
}
