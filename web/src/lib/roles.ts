// What a member's role lets them do, as the web app shows it (the server enforces the same rules).
import type { MemberRole } from '../api/types.ts';

const RANK: Record<MemberRole, number> = { agent: 1, admin: 2, owner: 3 };

/** The role is `needed` or above it (owner > admin > agent); no role: nothing. */
export function hasRole(role: MemberRole | null | undefined, needed: MemberRole): boolean {
  return !!role && (RANK[role] ?? 0) >= RANK[needed];
}

export const ROLE_LABELS: Record<MemberRole, string> = { owner: 'Owner', admin: 'Admin', agent: 'Agent' };

/** The roles a member may hand out: only an owner makes owners. */
export function assignableRoles(by: MemberRole | null | undefined): MemberRole[] {
  return by === 'owner' ? ['agent', 'admin', 'owner'] : ['agent', 'admin'];
}
