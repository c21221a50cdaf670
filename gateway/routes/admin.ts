// Operators: GET /api/admin/slices, every slice with its owner, state, health and memory.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';

const AdminSliceSchema = Type.Object({
  id: Type.Integer(),
  port: Type.Integer(),
  owner: Type.Object({ id: Type.String(), email: Type.String() }),
  desiredState: Type.String(),
  stoppedBy: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  healthy: Type.Union([Type.Boolean(), Type.Null()]),
  health: Type.Union([Type.Unknown(), Type.Null()]),
  memoryBytes: Type.Union([Type.Integer(), Type.Null()]),
  healthCheckedAt: Type.Union([Type.String(), Type.Null()]),
  unhealthySince: Type.Union([Type.String(), Type.Null()]),
});

export default async function adminRoutes(app: FastifyInstance) {
  app.get(
    '/api/admin/slices',
    { config: { access: 'operator', scope: 'session' }, schema: { response: { 200: Type.Object({ items: Type.Array(AdminSliceSchema), nextCursor: Type.Null() }) } } },
    async () => {
      const rows = await app.db
        .selectFrom('slices')
        // The account's first owner stands for it.
        .innerJoinLateral(
          (eb) =>
            eb
              .selectFrom('members')
              .innerJoin('users', 'users.id', 'members.user_id')
              .select(['users.id', 'users.email'])
              .whereRef('members.account_id', '=', 'slices.account_id')
              .where('members.role', '=', 'owner')
              .orderBy('members.id')
              .limit(1)
              .as('users'),
          (join) => join.onTrue(),
        )
        .select([
          'slices.id',
          'slices.port',
          'slices.desired_state',
          'slices.stopped_by',
          'slices.observed_state',
          'slices.health',
          'slices.health_checked_at',
          'slices.unhealthy_since',
          'users.id as owner_id',
          'users.email as owner_email',
        ])
        .orderBy('slices.id')
        .execute();
      return {
        items: rows.map((r) => {
          const health = r.health as { ok?: unknown; rssBytes?: unknown } | null;
          return {
            id: r.id,
            port: r.port,
            owner: { id: String(r.owner_id), email: r.owner_email },
            desiredState: r.desired_state,
            stoppedBy: r.stopped_by,
            state: r.observed_state,
            healthy: typeof health?.ok === 'boolean' ? health.ok : null,
            health,
            memoryBytes: typeof health?.rssBytes === 'number' ? health.rssBytes : null,
            healthCheckedAt: r.health_checked_at?.toISOString() ?? null,
            unhealthySince: r.unhealthy_since?.toISOString() ?? null,
          };
        }),
        nextCursor: null,
      };
    },
  );

  // Nothing else under /api/admin/ may fall through to the proxy.
  app.all('/api/admin/*', { config: { access: 'operator', scope: 'session' } }, async () => {
    throw new AppError('NOT_FOUND', 'no such admin route');
  });
}
