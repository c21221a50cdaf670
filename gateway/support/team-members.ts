// A team's members as the routes see them, and the two changes with consequences beyond the row:
// a role change (the member's streams reconnect with the new role) and a removal (the member's
// sessions and streams end at once). The last owner of an account can be neither demoted nor
// removed: the check and the change run in one transaction holding the owners' rows.
import type { FastifyInstance } from 'fastify';
import type { Transaction } from 'kysely';
import { AppError } from '../../lib/errors.ts';
import type { MemberRole } from '../../lib/acting-member.ts';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';
import { memberNameOf } from '../plugins/auth.ts';
import { writeAudit } from './audit.ts';

export interface TeamMember {
  id: string;
  userId: string;
  email: string;
  name: string;
  role: MemberRole;
  available: boolean;
  joinedAt: string;
  you: boolean;
}

function memberQuery(db: FastifyInstance['db'] | Transaction<GatewayDatabase>) {
  return db
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select(['members.id', 'members.user_id', 'members.role', 'members.available', 'members.created_at', 'users.email', 'users.name']);
}

type MemberRow = Awaited<ReturnType<ReturnType<typeof memberQuery>['executeTakeFirstOrThrow']>>;

function toTeamMember(row: MemberRow, youMemberId: string): TeamMember {
  return {
    id: String(row.id),
    userId: String(row.user_id),
    email: row.email,
    name: memberNameOf(row),
    role: row.role,
    available: row.available,
    joinedAt: row.created_at.toISOString(),
    you: String(row.id) === youMemberId,
  };
}

export async function listMembers(app: FastifyInstance, accountId: string, youMemberId: string): Promise<TeamMember[]> {
  const rows = await memberQuery(app.db).where('members.account_id', '=', accountId).orderBy('members.id').execute();
  return rows.map((r) => toTeamMember(r, youMemberId));
}

/** One member of this account; MEMBER_NOT_FOUND for any other id (another account's members are not told apart). */
export async function memberOf(app: FastifyInstance, accountId: string, memberId: string, youMemberId: string): Promise<TeamMember> {
  const row = await memberQuery(app.db).where('members.account_id', '=', accountId).where('members.id', '=', memberId).executeTakeFirst();
  if (!row) throw new AppError('MEMBER_NOT_FOUND', `no member ${memberId} in this account`);
  return toTeamMember(row, youMemberId);
}

/** Locks the account's owners; LAST_OWNER when `memberId` is the only one. */
async function assertNotLastOwner(trx: Transaction<GatewayDatabase>, accountId: string, memberId: string, what: string): Promise<void> {
  const owners = await trx.selectFrom('members').select('id').where('account_id', '=', accountId).where('role', '=', 'owner').forUpdate().execute();
  if (owners.length <= 1 && owners.some((o) => String(o.id) === memberId)) {
    throw new AppError('LAST_OWNER', `${what}: the account needs an owner. Make another member an owner first, or delete the account`);
  }
}

export interface Actor {
  userId: string;
  memberId: string;
}

export async function changeMember(
  app: FastifyInstance,
  accountId: string,
  target: TeamMember,
  change: { role?: MemberRole; available?: boolean },
  actor: Actor,
): Promise<void> {
  await app.db.transaction().execute(async (trx) => {
    if (change.role !== undefined && change.role !== target.role && target.role === 'owner') {
      await assertNotLastOwner(trx, accountId, target.id, 'the last owner cannot be given another role');
    }
    await trx
      .updateTable('members')
      .set({ ...(change.role === undefined ? {} : { role: change.role }), ...(change.available === undefined ? {} : { available: change.available }), updated_at: new Date() })
      .where('id', '=', target.id)
      .where('account_id', '=', accountId)
      .execute();
    const base = { actor: `user:${actor.userId}` as const, userId: actor.userId, accountId };
    if (change.role !== undefined && change.role !== target.role) {
      await writeAudit(trx, { ...base, action: 'team.member.role', details: { memberId: target.id, memberUserId: target.userId, from: target.role, to: change.role } });
    }
    if (change.available !== undefined && change.available !== target.available) {
      await writeAudit(trx, { ...base, action: 'team.member.available', details: { memberId: target.id, memberUserId: target.userId, available: change.available } });
    }
  });
  app.auth.forget(target.userId);
  // Its hub's upstream is signed with the old role: the browser reconnects under the new one.
  if (change.role !== undefined && change.role !== target.role) app.events.endMember(target.id);
  app.team.changed(accountId);
}

/**
 * The membership goes and the member stops working in the account at once: their streams in it
 * end, and when they belong to no other account every session of theirs ends. A member of other
 * accounts keeps their sessions, which from the next request work in one of those (the session's
 * account is no longer theirs); nothing of this account is reachable by them any more.
 */
export async function removeMember(app: FastifyInstance, accountId: string, target: TeamMember, actor: Actor, action: 'team.member.remove' | 'team.leave'): Promise<void> {
  const others = await app.db.transaction().execute(async (trx) => {
    if (target.role === 'owner') await assertNotLastOwner(trx, accountId, target.id, action === 'team.leave' ? 'the last owner cannot leave' : 'the last owner cannot be removed');
    const gone = await trx.deleteFrom('members').where('id', '=', target.id).where('account_id', '=', accountId).returning('id').executeTakeFirst();
    if (!gone) throw new AppError('MEMBER_NOT_FOUND', `no member ${target.id} in this account`);
    await writeAudit(trx, {
      actor: `user:${actor.userId}`,
      userId: actor.userId,
      accountId,
      action,
      details: { memberId: target.id, memberUserId: target.userId, email: target.email, role: target.role },
    });
    const rest = await trx
      .selectFrom('members')
      .innerJoin('accounts', 'accounts.id', 'members.account_id')
      .select('members.id')
      .where('members.user_id', '=', target.userId)
      .where('accounts.deleting_since', 'is', null)
      .execute();
    return rest.length;
  });
  app.events.endMember(target.id);
  if (others === 0) await app.auth.revokeSessions(target.userId);
  app.auth.forget(target.userId);
  app.team.changed(accountId);
}
