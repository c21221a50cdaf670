// DELETE /api/account {password}: the owner deletes the account (support/account-deletion.ts).
// Answered 202 once nobody works in it any more; the removal goes on after the answer and ends
// with the audit row `account.deleted {remnants}`.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { writeAudit } from '../support/audit.ts';
import { beginAccountDeletion, finishAccountDeletion } from '../support/account-deletion.ts';
import { CurrentPasswordSchema, requirePassword } from '../support/password-check.ts';
import { SESSION_COOKIE } from '../support/session-cookie.ts';

const DeleteSchema = Type.Object({ password: CurrentPasswordSchema }, { additionalProperties: false });

export default async function accountDeletionRoutes(app: FastifyInstance) {
  app.delete<{ Body: Static<typeof DeleteSchema> }>(
    '/api/account',
    { config: { access: 'owner', scope: 'session' }, schema: { body: DeleteSchema, response: { 202: Type.Object({ state: Type.Literal('deleting') }) } } },
    async (request, reply) => {
      const member = app.auth.requireMember(request, 'owner');
      const user = app.auth.require(request);
      await requirePassword(app, user.id, request.body.password);
      const start = await beginAccountDeletion(app, member.accountId, user.id, request.ip);
      if (start.soleUserIds.includes(user.id)) reply.clearCookie(SESSION_COOKIE, { path: '/' });
      setImmediate(() => {
        finishAccountDeletion(app, start, user.id).catch(async (err) => {
          app.log.error({ err, account: member.accountId }, 'account deletion failed part way; it stays marked deleting');
          await writeAudit(app.db, { actor: `user:${user.id}`, accountId: member.accountId, action: 'account.delete.failed', details: { error: (err as Error).message } }).catch(() => {});
        });
      });
      reply.code(202);
      return { state: 'deleting' as const };
    },
  );
}
