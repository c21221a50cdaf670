// The account one works in: switching to another of one's accounts, and its name (owners).
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { startLoginSession } from '../support/login-session.ts';
import { MeSchema, meBody } from './me.ts';

const SwitchSchema = Type.Object({ accountId: Type.String({ pattern: '^\\d{1,19}$', description: 'the id of an account you are a member of' }) }, { additionalProperties: false });
const RenameSchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S', description: "the account's name, 1–120 characters" }) }, { additionalProperties: false });

export default async function accountSettingsRoutes(app: FastifyInstance) {
  app.post<{ Body: Static<typeof SwitchSchema> }>(
    '/api/auth/switch-account',
    { config: { access: 'user', scope: 'session' }, schema: { body: SwitchSchema, response: { 200: MeSchema } } },
    async (request) => {
      const user = app.auth.require(request);
      const { accountId } = request.body;
      const member = await app.db
        .selectFrom('members')
        .innerJoin('accounts', 'accounts.id', 'members.account_id')
        .select('members.id')
        .where('members.user_id', '=', user.id)
        .where('members.account_id', '=', accountId)
        .where('accounts.deleting_since', 'is', null)
        .executeTakeFirst();
      if (!member) throw new AppError('MEMBER_NOT_FOUND', `you are not a member of account ${accountId}`);
      // A new session for the other account: the streams opened for the first one end with the old.
      await startLoginSession(app, request, user.id, accountId);
      return meBody(app, request);
    },
  );

  app.patch<{ Body: Static<typeof RenameSchema> }>(
    '/api/account',
    { config: { access: 'owner', scope: 'session' }, schema: { body: RenameSchema, response: { 200: Type.Object({ id: Type.String(), name: Type.String() }) } } },
    async (request) => {
      const me = app.auth.requireMember(request, 'owner');
      const name = request.body.name.trim();
      await app.db.transaction().execute(async (trx) => {
        await trx.updateTable('accounts').set({ name, updated_at: new Date() }).where('id', '=', me.accountId).execute();
        await writeAudit(trx, { actor: `user:${request.user!.id}`, userId: request.user!.id, accountId: me.accountId, action: 'account.rename', details: { from: me.accountName, to: name } });
      });
      // Every member's cached membership carries the account's name.
      app.auth.forgetAll();
      app.team.changed(me.accountId);
      return { id: me.accountId, name };
    },
  );
}
