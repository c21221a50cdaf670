// The team of the account one works in: its members (roles, availability, removal, leaving) and
// its settings (round-robin, what agents see). Who may do what: agents read the team and set their
// own availability; admins manage members; only an owner makes or unmakes owners and changes the
// settings; the last owner stays (LAST_OWNER). The slice learns every change (plugins/team-sync.ts).
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { changeMember, listMembers, memberOf, removeMember } from '../support/team-members.ts';
import { MemberRoleSchema } from './me.ts';

export const MemberIdParams = Type.Object({ id: Type.String({ pattern: '^\\d{1,19}$', description: 'a member id' }) });

const TeamMemberSchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: MemberRoleSchema,
  available: Type.Boolean(),
  joinedAt: Type.String(),
  you: Type.Boolean(),
});

const MemberChangeSchema = Type.Object(
  { role: Type.Optional(MemberRoleSchema), available: Type.Optional(Type.Boolean({ description: 'takes part in round-robin' })) },
  { additionalProperties: false, minProperties: 1 },
);

export const TeamSettingsSchema = Type.Object(
  { roundRobin: Type.Boolean({ description: 'new chats go to the available members in turn' }), agentsSeeOwnChatsOnly: Type.Boolean({ description: 'agents see only their chats and unassigned ones' }) },
  { additionalProperties: false },
);
type TeamSettings = Static<typeof TeamSettingsSchema>;

export default async function teamRoutes(app: FastifyInstance) {
  app.get(
    '/api/team/members',
    { config: { access: 'agent', scope: 'session' }, schema: { response: { 200: Type.Object({ items: Type.Array(TeamMemberSchema), nextCursor: Type.Null() }) } } },
    async (request) => {
      const me = app.auth.requireMember(request);
      return { items: await listMembers(app, me.accountId, me.id), nextCursor: null };
    },
  );

  app.patch<{ Params: Static<typeof MemberIdParams>; Body: Static<typeof MemberChangeSchema> }>(
    '/api/team/members/:id',
    { config: { access: 'agent', scope: 'session' }, schema: { params: MemberIdParams, body: MemberChangeSchema, response: { 200: TeamMemberSchema } } },
    async (request) => {
      const me = app.auth.requireMember(request);
      const target = await memberOf(app, me.accountId, request.params.id, me.id);
      const { role, available } = request.body;
      // One's own availability is everyone's to set; anything else is managing the team.
      const ownAvailability = target.id === me.id && (role === undefined || role === target.role);
      if (!ownAvailability) app.auth.requireMember(request, 'admin');
      if (role !== undefined && role !== target.role && (role === 'owner' || target.role === 'owner') && me.role !== 'owner') {
        throw new AppError('ROLE_REQUIRED', 'only an owner makes or unmakes owners', { details: { needed: 'owner', role: me.role } });
      }
      await changeMember(app, me.accountId, target, { role, available }, { userId: request.user!.id, memberId: me.id });
      return memberOf(app, me.accountId, target.id, me.id);
    },
  );

  app.delete<{ Params: Static<typeof MemberIdParams> }>('/api/team/members/:id', { config: { access: 'admin', scope: 'session' }, schema: { params: MemberIdParams } }, async (request, reply) => {
    const me = app.auth.requireMember(request, 'admin');
    const target = await memberOf(app, me.accountId, request.params.id, me.id);
    if (target.role === 'owner' && me.role !== 'owner') {
      throw new AppError('ROLE_REQUIRED', 'only an owner removes an owner', { details: { needed: 'owner', role: me.role } });
    }
    await removeMember(app, me.accountId, target, { userId: request.user!.id, memberId: me.id }, 'team.member.remove');
    reply.code(204).send();
  });

  app.post('/api/team/leave', { config: { access: 'agent', scope: 'session' } }, async (request, reply) => {
    const me = app.auth.requireMember(request);
    const target = await memberOf(app, me.accountId, me.id, me.id);
    await removeMember(app, me.accountId, target, { userId: request.user!.id, memberId: me.id }, 'team.leave');
    reply.code(204).send();
  });

  async function settingsOf(accountId: string): Promise<TeamSettings> {
    const row = await app.db.selectFrom('accounts').select(['round_robin', 'agents_see_own_chats_only']).where('id', '=', accountId).executeTakeFirstOrThrow();
    return { roundRobin: row.round_robin, agentsSeeOwnChatsOnly: row.agents_see_own_chats_only };
  }

  app.get('/api/team/settings', { config: { access: 'agent', scope: 'session' }, schema: { response: { 200: TeamSettingsSchema } } }, async (request) => {
    return settingsOf(app.auth.requireMember(request).accountId);
  });

  app.put<{ Body: TeamSettings }>(
    '/api/team/settings',
    { config: { access: 'owner', scope: 'session' }, schema: { body: TeamSettingsSchema, response: { 200: TeamSettingsSchema } } },
    async (request) => {
      const me = app.auth.requireMember(request, 'owner');
      const { roundRobin, agentsSeeOwnChatsOnly } = request.body;
      await app.db.transaction().execute(async (trx) => {
        await trx.updateTable('accounts').set({ round_robin: roundRobin, agents_see_own_chats_only: agentsSeeOwnChatsOnly, updated_at: new Date() }).where('id', '=', me.accountId).execute();
        await writeAudit(trx, { actor: `user:${request.user!.id}`, userId: request.user!.id, accountId: me.accountId, action: 'team.settings', details: { roundRobin, agentsSeeOwnChatsOnly } });
      });
      app.team.changed(me.accountId);
      return settingsOf(me.accountId);
    },
  );
}
