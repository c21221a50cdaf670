// Who acts, as the gateway tells a slice: the header `x-queunir-member` on every request the
// gateway proxies for a signed-in member. Only the gateway can make one: it is signed with the
// slice's own token (HMAC-SHA256), so a header made for one slice means nothing to another, and
// the gateway strips any such header a browser sends. A slice that receives none is being called
// by the token holder itself (the gateway's own calls, the supervisor): the system, not a member.
//
// Wire form: `v1.<payload>.<signature>`, payload = base64url(JSON {m, r, n, a[, k, s]}), signature =
// base64url(HMAC-SHA256(token, "v1." + payload)). `k` (the key's id) and `s` (its scopes) say the
// request comes from an API key: the slice then holds it to the route's scope (lib/api-scopes.ts).
import crypto from 'node:crypto';
import { isApiScope, type ApiScope } from './api-scopes.ts';

export const ACTING_MEMBER_HEADER = 'x-queunir-member';

export const MEMBER_ROLES = ['owner', 'admin', 'agent'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** How much each role may do: a route that needs `admin` admits admins and owners. */
const RANK: Record<MemberRole, number> = { agent: 1, admin: 2, owner: 3 };

export function roleAtLeast(role: MemberRole, needed: MemberRole): boolean {
  return RANK[role] >= RANK[needed];
}

export function isMemberRole(value: unknown): value is MemberRole {
  return value === 'owner' || value === 'admin' || value === 'agent';
}

export interface ActingMember {
  /** gateway.members.id, as a string of digits */
  id: string;
  role: MemberRole;
  /** the name the team sees (the user's name, else their email's local part) */
  name: string;
  /** gateway.accounts.id, as a string of digits */
  accountId: string;
  /** set when an API key acts (gateway.api_keys.id and its scopes); absent for a person's session */
  apiKey?: { id: string; scopes: ApiScope[] };
}

const PREFIX = 'v1.';

function mac(token: string, signed: string): string {
  return crypto.createHmac('sha256', token).update(signed, 'utf8').digest('base64url');
}

/** The header's value for this member, signed with the slice's token. */
export function signActingMember(member: ActingMember, sliceToken: string): string {
  const wire: Record<string, unknown> = { m: member.id, r: member.role, n: member.name, a: member.accountId };
  if (member.apiKey) {
    wire.k = member.apiKey.id;
    wire.s = member.apiKey.scopes;
  }
  const payload = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
  return `${PREFIX}${payload}.${mac(sliceToken, PREFIX + payload)}`;
}

const DIGITS = /^\d{1,19}$/;

/**
 * The member a header names, when its signature is this slice token's; null when it is malformed
 * or signed by anyone else (the caller answers 401: never act on a header that does not verify).
 */
export function verifyActingMember(value: string, sliceToken: string): ActingMember | null {
  if (value.length > 4096 || !value.startsWith(PREFIX)) return null;
  const dot = value.lastIndexOf('.');
  if (dot <= PREFIX.length) return null;
  const payload = value.slice(PREFIX.length, dot);
  const sent = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(mac(sliceToken, PREFIX + payload));
  if (sent.length !== expected.length || !crypto.timingSafeEqual(sent, expected)) return null;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const d = data as { m?: unknown; r?: unknown; n?: unknown; a?: unknown; k?: unknown; s?: unknown };
  if (typeof d.m !== 'string' || !DIGITS.test(d.m) || !isMemberRole(d.r) || typeof d.n !== 'string' || typeof d.a !== 'string' || !DIGITS.test(d.a)) return null;
  const member: ActingMember = { id: d.m, role: d.r, name: d.n.slice(0, 200), accountId: d.a };
  if (d.k === undefined && d.s === undefined) return member;
  // A key's header is all or nothing: half of one, or a scope this code does not know, is not a session's.
  if (typeof d.k !== 'string' || !DIGITS.test(d.k) || !Array.isArray(d.s) || d.s.length === 0 || !d.s.every(isApiScope)) return null;
  return { ...member, apiKey: { id: d.k, scopes: [...new Set(d.s as ApiScope[])] } };
}
