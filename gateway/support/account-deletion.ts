// Deleting an account, in order: marked (deleting_since: from then on it is nobody's account, the
// auth plugin leaves it out of every membership), its members' streams ended and the sessions of
// those who belong to no other account revoked; then, after the 202, the Stripe subscription
// cancelled, the slice removed with its data and its row deleted (slice-lifecycle), the account's
// rows and its users who belong to no other account deleted (sessions, tokens and recovery codes go
// with them), and the check of what remains written to the audit row `account.deleted`.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from './audit.ts';
import { findAccountRemnants } from './account-remnants.ts';

export interface DeletionStart {
  accountId: string;
  /** the users deleted with the account: members of no other (live) account */
  soleUserIds: string[];
}

/** Marks the account and ends what is signed in to it. ACCOUNT_DELETING when it already is. */
export async function beginAccountDeletion(app: FastifyInstance, accountId: string, byUserId: string, ip: string): Promise<DeletionStart> {
  const members = await app.db.transaction().execute(async (trx) => {
    const marked = await trx
      .updateTable('accounts')
      .set({ deleting_since: new Date() })
      .where('id', '=', accountId)
      .where('deleting_since', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!marked) throw new AppError('ACCOUNT_DELETING', 'this account is being deleted already');
    await writeAudit(trx, { actor: `user:${byUserId}`, userId: byUserId, accountId, action: 'account.delete', details: { ip } });
    return trx
      .selectFrom('members')
      .select(['members.id', 'members.user_id'])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('members as other')
              .innerJoin('accounts', 'accounts.id', 'other.account_id')
              .whereRef('other.user_id', '=', 'members.user_id')
              .where('other.account_id', '!=', accountId)
              .where('accounts.deleting_since', 'is', null),
          )
          .as('elsewhere'),
      )
      .where('account_id', '=', accountId)
      .execute();
  });
  // Every cached membership drops this account now; the streams opened in it end.
  app.auth.forgetAll();
  for (const m of members) app.events.endMember(String(m.id));
  const soleUserIds = members.filter((m) => !m.elsewhere).map((m) => String(m.user_id));
  for (const userId of soleUserIds) await app.auth.revokeSessions(userId);
  return { accountId, soleUserIds };
}

/** The rest, after the answer. Returns what was found left (empty: nothing). */
export async function finishAccountDeletion(app: FastifyInstance, start: DeletionStart, byUserId: string): Promise<string[]> {
  const { accountId, soleUserIds } = start;
  const log = app.log.child({ component: 'account-deletion', account: accountId });
  const subscription = await app.billing.cancelForDeletion(accountId);
  const sliceId = await app.slices.removeForDeletion(accountId, { accountDeleted: true });
  await app.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('invitations').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('members').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('subscriptions').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('accounts').where('id', '=', accountId).execute();
    // Users who may have joined another account since the start keep their user row.
    if (soleUserIds.length > 0) {
      await trx
        .deleteFrom('users')
        .where('id', 'in', soleUserIds)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('members').select('members.id').whereRef('members.user_id', '=', 'users.id'))))
        .execute();
    }
  });
  for (const userId of soleUserIds) app.auth.forget(userId);
  app.slices.invalidate(accountId);
  const remnants = await findAccountRemnants(app, accountId, sliceId, soleUserIds);
  // The user row is gone: the actor names them, user_id stays empty (its foreign key).
  await writeAudit(app.db, { actor: `user:${byUserId}`, accountId, action: 'account.deleted', details: { remnants } });
  if (remnants.length > 0) log.error({ remnants, subscription, slice: sliceId }, 'account deleted, but something of it remains');
  else log.info({ subscription, slice: sliceId, users: soleUserIds.length }, 'account deleted; nothing of it remains');
  return remnants;
}
