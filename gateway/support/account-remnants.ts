// The proof after deleting an account that nothing of it is left: the supervisor looks for the
// slice's schema, role, container, volume or directory and its record (slice.findRemnants), and
// gateway.* is queried for rows of the account and of the users deleted with it. The audit trail
// (gateway.audit_log) is the one thing kept, on purpose.
import type { FastifyInstance } from 'fastify';

export async function findAccountRemnants(app: FastifyInstance, accountId: string, sliceId: number | null, userIds: string[]): Promise<string[]> {
  const found: string[] = [];
  if (sliceId !== null) {
    try {
      const answer = await app.supervisor.call('slice.findRemnants', { id: sliceId });
      found.push(...answer.remnants.map((r) => `slice ${sliceId}: ${r}`));
    } catch (err) {
      // Not knowing is not "nothing left": say so in the record.
      found.push(`slice ${sliceId}: the supervisor could not be asked (${(err as Error).message})`);
    }
  }
  const db = app.db;
  const counts: [string, Promise<{ n: string | number | bigint }>][] = [
    ['accounts', db.selectFrom('accounts').select((eb) => eb.fn.countAll().as('n')).where('id', '=', accountId).executeTakeFirstOrThrow()],
    ['members', db.selectFrom('members').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()],
    ['invitations', db.selectFrom('invitations').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()],
    ['subscriptions', db.selectFrom('subscriptions').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()],
    ['slices', db.selectFrom('slices').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()],
    ['webhook_endpoints', db.selectFrom('webhook_endpoints').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()],
    ['webhook_cursors', db.selectFrom('webhook_cursors').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()],
  ];
  if (userIds.length > 0) {
    counts.push(
      ['users', db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('id', 'in', userIds).executeTakeFirstOrThrow()],
      ['sessions', db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).where('user_id', 'in', userIds).executeTakeFirstOrThrow()],
      ['user_tokens', db.selectFrom('user_tokens').select((eb) => eb.fn.countAll().as('n')).where('user_id', 'in', userIds).executeTakeFirstOrThrow()],
      ['recovery_codes', db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll().as('n')).where('user_id', 'in', userIds).executeTakeFirstOrThrow()],
    );
  }
  for (const [table, count] of counts) {
    const n = Number((await count).n);
    if (n > 0) found.push(`gateway.${table}: ${n} row${n === 1 ? '' : 's'}`);
  }
  return found;
}
