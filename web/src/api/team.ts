// The team of the account (gateway): members, invitations, the account's team settings.
import { api } from './http.ts';
import type { MemberRef, MemberRole, Page } from './types.ts';

export interface Member {
  id: string;
  userId: string;
  email: string;
  name: string;
  role: MemberRole;
  available: boolean;
  joinedAt: string;
  /** This row is the signed-in member. */
  you: boolean;
}

export interface Invitation {
  id: string;
  email: string;
  role: MemberRole;
  expiresAt: string;
  createdAt: string;
  invitedBy: MemberRef | null;
}

export interface TeamSettings {
  roundRobin: boolean;
  agentsSeeOwnChatsOnly: boolean;
}

const id = (v: string) => encodeURIComponent(v);

export async function listMembers(signal?: AbortSignal): Promise<Member[]> {
  return (await api<Page<Member>>('/api/team/members', { signal })).items.map((m) => ({ ...m, id: String(m.id), userId: String(m.userId) }));
}

export function updateMember(memberId: string, patch: { role?: MemberRole; available?: boolean }): Promise<Member> {
  return api<Member>(`/api/team/members/${id(memberId)}`, { method: 'PATCH', body: patch });
}

export function removeMember(memberId: string): Promise<void> {
  return api<void>(`/api/team/members/${id(memberId)}`, { method: 'DELETE' });
}

export function leaveTeam(): Promise<void> {
  return api<void>('/api/team/leave', { method: 'POST' });
}

export async function listInvitations(signal?: AbortSignal): Promise<Invitation[]> {
  return (await api<Page<Invitation>>('/api/team/invitations', { signal })).items.map((i) => ({ ...i, id: String(i.id) }));
}

export function invite(email: string, role: MemberRole): Promise<{ id: string; expiresAt: string }> {
  return api('/api/team/invitations', { method: 'POST', body: { email, role } });
}

export function revokeInvitation(invitationId: string): Promise<void> {
  return api<void>(`/api/team/invitations/${id(invitationId)}`, { method: 'DELETE' });
}

export function getTeamSettings(signal?: AbortSignal): Promise<TeamSettings> {
  return api<TeamSettings>('/api/team/settings', { signal });
}

export function putTeamSettings(settings: TeamSettings): Promise<TeamSettings> {
  return api<TeamSettings>('/api/team/settings', { method: 'PUT', body: settings });
}
