// A signed-in member of a team, and a fake gateway answering the team routes from state the test can read.
import type { MemberRole } from '../src/api/types.ts';
import { fakeFetch, type FakeCall } from './helpers.tsx';

export function meAs(role: MemberRole, over: { emailVerified?: boolean; totpEnabled?: boolean; accounts?: Array<{ id: string; name: string; role: MemberRole }> } = {}) {
  const memberId = { owner: 'm1', admin: 'm2', agent: 'm3' }[role];
  return {
    user: { id: 'u-' + memberId, email: `${role}@shop.test`, role: 'user', name: role, businessName: null, emailVerified: over.emailVerified ?? true, totpEnabled: over.totpEnabled ?? false },
    account: { id: 'a1', name: 'Vase Shop' },
    member: { id: memberId, role, name: role === 'owner' ? 'Olga' : role === 'admin' ? 'Adam' : 'Ana', available: true },
    accounts: over.accounts ?? [{ id: 'a1', name: 'Vase Shop', role }],
    csrfToken: 'csrf-team',
    slice: null,
    wa: null,
    plan: { status: 'active', enabled: true, allowed: true },
  };
}

export function teamMembers(you: string) {
  return [
    { id: 'm1', userId: 'u1', email: 'olga@shop.test', name: 'Olga', role: 'owner', available: true, joinedAt: '2026-11-01T10:00:00.000Z' },
    { id: 'm2', userId: 'u2', email: 'adam@shop.test', name: 'Adam', role: 'admin', available: true, joinedAt: '2026-11-02T10:00:00.000Z' },
    { id: 'm3', userId: 'u3', email: 'ana@shop.test', name: 'Ana', role: 'agent', available: false, joinedAt: '2026-11-03T10:00:00.000Z' },
  ].map((m) => ({ ...m, you: m.id === you }));
}

/** The team routes of the contract; `extra` answers anything else first. */
export function fakeTeam(role: MemberRole, extra: (c: FakeCall) => { status: number; body?: unknown } | undefined = () => undefined) {
  const me = meAs(role);
  const state = {
    members: teamMembers(me.member.id),
    invitations: [{ id: 'i1', email: 'old@shop.test', role: 'agent', expiresAt: '2026-12-05T10:00:00.000Z', createdAt: '2026-12-02T10:00:00.000Z', invitedBy: { memberId: 'm1', name: 'Olga' } }],
    settings: { roundRobin: false, agentsSeeOwnChatsOnly: false },
  };
  const calls = fakeFetch((c) => {
    const answered = extra(c);
    if (answered) return answered;
    const path = c.path.split('?')[0]!;
    if (path === '/api/me') return { status: 200, body: me };
    if (path === '/api/team/members' && c.method === 'GET') return { status: 200, body: { items: state.members, nextCursor: null } };
    const member = /^\/api\/team\/members\/(\w+)$/.exec(path);
    if (member && c.method === 'PATCH') {
      const m = state.members.find((x) => x.id === member[1])!;
      Object.assign(m, c.body);
      return { status: 200, body: m };
    }
    if (member && c.method === 'DELETE') {
      state.members = state.members.filter((x) => x.id !== member[1]);
      return { status: 204 };
    }
    if (path === '/api/team/invitations' && c.method === 'GET') return { status: 200, body: { items: state.invitations, nextCursor: null } };
    if (path === '/api/team/invitations' && c.method === 'POST') {
      const body = c.body as { email: string; role: MemberRole };
      state.invitations.push({ id: 'i2', email: body.email, role: body.role, expiresAt: '2026-12-05T10:00:00.000Z', createdAt: '2026-12-02T10:00:00.000Z', invitedBy: { memberId: me.member.id, name: me.member.name } });
      return { status: 201, body: { id: 'i2', expiresAt: '2026-12-05T10:00:00.000Z' } };
    }
    const inv = /^\/api\/team\/invitations\/(\w+)$/.exec(path);
    if (inv && c.method === 'DELETE') {
      state.invitations = state.invitations.filter((x) => x.id !== inv[1]);
      return { status: 204 };
    }
    if (path === '/api/team/settings' && c.method === 'GET') return { status: 200, body: state.settings };
    if (path === '/api/team/settings' && c.method === 'PUT') {
      state.settings = c.body as typeof state.settings;
      return { status: 200, body: state.settings };
    }
    return undefined;
  });
  return { calls, state, me };
}
