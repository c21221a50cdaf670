// The team as the gateway last pushed it (PUT /internal/team): members, their availability and
// the account's settings, in team_members/team_settings and mirrored in memory (every request
// asks for its scope; the header's name is compared on each one). Assignment by hand and by
// round-robin is here too. Functions take the schema-scoped db or a transaction.
import { sql } from 'kysely';
import { roleAtLeast, type ActingMember, type MemberRole } from '../../lib/acting-member.ts';
import type { SliceDb } from './events.ts';
import type { ChatScope } from './visibility.ts';

export interface TeamSettings {
  roundRobin: boolean;
  agentsSeeOwnChatsOnly: boolean;
}

export interface TeamMemberInput {
  id: string;
  name: string;
  role: MemberRole;
  available: boolean;
}

interface KnownMember {
  name: string;
  role: MemberRole;
  active: boolean;
}

export class TeamState {
  settings: TeamSettings = { roundRobin: false, agentsSeeOwnChatsOnly: false };
  readonly members = new Map<string, KnownMember>();

  async load(db: SliceDb): Promise<void> {
    const s = await db.selectFrom('team_settings').selectAll().executeTakeFirst();
    if (s) this.settings = { roundRobin: s.round_robin, agentsSeeOwnChatsOnly: s.agents_see_own_chats_only };
    this.members.clear();
    for (const m of await db.selectFrom('team_members').select(['id', 'name', 'role', 'active']).execute()) {
      this.members.set(m.id, { name: m.name, role: m.role, active: m.active });
    }
  }

  /** What this actor may see now (settings are read at each call, so a change applies at once, streams included). */
  scopeOf(actor: ActingMember | null): ChatScope {
    if (actor === null || roleAtLeast(actor.role, 'admin') || !this.settings.agentsSeeOwnChatsOnly) return null;
    return { memberId: actor.id };
  }

  isActive(memberId: string): boolean {
    return this.members.get(memberId)?.active === true;
  }
}

/**
 * The gateway's list replaces the stored one: named members are upserted active, the others
 * become inactive and lose their chats. Returns the ids of chats that became unassigned.
 */
export async function syncTeam(db: SliceDb, members: TeamMemberInput[], settings: TeamSettings): Promise<string[]> {
  if (members.length > 0) {
    await db
      .insertInto('team_members')
      .values(members.map((m) => ({ id: m.id, name: m.name, role: m.role, available: m.available, active: true })))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          name: sql`excluded.name`,
          role: sql`excluded.role`,
          available: sql`excluded.available`,
          active: true,
          updated_at: sql`now()`,
        } as any),
      )
      .execute();
  }
  const ids = members.map((m) => m.id);
  let gone = db.updateTable('team_members').set({ active: false, available: false, updated_at: sql`now()` as any }).where('active', '=', true);
  if (ids.length > 0) gone = gone.where('id', 'not in', ids);
  await gone.execute();
  const unassigned = await db
    .updateTable('chats')
    .set({ assignee_member_id: null, updated_at: sql`now()` as any })
    .where('assignee_member_id', 'in', db.selectFrom('team_members').select('id').where('active', '=', false))
    .returning('id')
    .execute();
  await db
    .updateTable('team_settings')
    .set({ round_robin: settings.roundRobin, agents_see_own_chats_only: settings.agentsSeeOwnChatsOnly, updated_at: sql`now()` as any })
    .execute();
  return unassigned.map((r) => String(r.id));
}

/** The header names the member as the gateway knows them now: keep the stored name in step. */
export async function renameMember(db: SliceDb, id: string, name: string): Promise<boolean> {
  const r = await db
    .updateTable('team_members')
    .set({ name, updated_at: sql`now()` as any })
    .where('id', '=', id)
    .where('name', '<>', name)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Sets a chat's assignee; true when it changed. */
export async function setAssignee(db: SliceDb, chatId: string | number, memberId: string | null): Promise<boolean> {
  const r = await db
    .updateTable('chats')
    .set({ assignee_member_id: memberId, updated_at: sql`now()` as any })
    .where('id', '=', String(chatId))
    .where(sql<boolean>`assignee_member_id is distinct from ${memberId}::text`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Round-robin: each of these chats that has no assignee goes to the active, available member
 * whose last round-robin chat is oldest (never first; ties: lowest id), in chat id order, each
 * turn moving that member to the back of the line. Returns the ids of chats assigned.
 */
export async function assignRoundRobin(db: SliceDb, chatIds: string[]): Promise<string[]> {
  if (chatIds.length === 0) return [];
  const open = await db
    .selectFrom('chats')
    .select('id')
    .where('id', 'in', chatIds)
    .where('assignee_member_id', 'is', null)
    .orderBy('id')
    .forUpdate()
    .execute();
  if (open.length === 0) return [];
  const line = await db
    .selectFrom('team_members')
    .select('id')
    .where('active', '=', true)
    .where('available', '=', true)
    .orderBy(sql`last_assigned_at asc nulls first`)
    .orderBy(sql`length(id)`)
    .orderBy('id')
    .forUpdate()
    .execute();
  if (line.length === 0) return [];
  const assigned: string[] = [];
  for (const [i, chat] of open.entries()) {
    const member = line[i % line.length]!.id;
    await db.updateTable('chats').set({ assignee_member_id: member, updated_at: sql`now()` as any }).where('id', '=', chat.id).execute();
    // clock_timestamp(), not now(): turns taken in one transaction must still be ordered.
    await db.updateTable('team_members').set({ last_assigned_at: sql`clock_timestamp()` as any }).where('id', '=', member).execute();
    assigned.push(String(chat.id));
  }
  return assigned;
}
