// GET /api/me: who is signed in, the account and role they work in (and the other accounts they
// belong to), the account's slice, its WhatsApp state, its plan. The same body answers register,
// login, connect and accepting an invitation.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PlanSchema } from '../plugins/billing.ts';

export const MemberRoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('agent')]);

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const MeSchema = Type.Object({
  user: Type.Object({
    id: Type.String(),
    email: Type.String(),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
    name: Nullable(Type.String()),
    businessName: Nullable(Type.String()),
    emailVerified: Type.Boolean(),
    totpEnabled: Type.Boolean(),
  }),
  // null: the user is in no account (removed from their only one).
  account: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
  member: Nullable(Type.Object({ id: Type.String(), role: MemberRoleSchema, name: Type.String(), available: Type.Boolean() })),
  /** every account the user is a member of, to switch between */
  accounts: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), role: MemberRoleSchema })),
  csrfToken: Type.String(),
  slice: Nullable(Type.Object({ id: Type.Integer(), state: Type.String(), health: Type.Union([Type.Unknown(), Type.Null()]) })),
  wa: Nullable(Type.Object({ state: Type.String(), qr: Type.Union([Type.String(), Type.Null()]) })),
  // status: 'active' when billing is off; else the Stripe subscription's status or 'none'.
  plan: PlanSchema,
});
export type Me = Static<typeof MeSchema>;

/** The WhatsApp state, asked of the slice itself; null when it does not answer quickly. */
async function waState(upstream: string, authorization: string, requestId: string): Promise<Me['wa']> {
  try {
    const res = await fetch(`${upstream}/api/wa`, {
      headers: { authorization, 'x-request-id': requestId },
      signal: AbortSignal.timeout(1_500),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { state?: unknown; qr?: unknown };
    if (typeof body.state !== 'string') return null;
    return { state: body.state, qr: typeof body.qr === 'string' ? body.qr : null };
  } catch {
    return null;
  }
}

export async function meBody(app: FastifyInstance, request: FastifyRequest): Promise<Me> {
  const user = app.auth.require(request);
  const member = request.member;
  const [slice, plan] = await Promise.all([
    member ? app.slices.forAccount(member.accountId) : null,
    member
      ? app.billing.plan(member.accountId)
      : { status: 'none', enabled: app.billing.enabled, allowed: false, priceId: null, currentPeriodEnd: null, cancelAtPeriodEnd: false, trialEnd: null, graceEndsAt: null, removeAt: null },
  ]);
  const wa = slice && slice.token && slice.desiredState === 'running' ? await waState(slice.upstream, slice.authorization, request.id) : null;
  return {
    user,
    account: member ? { id: member.accountId, name: member.accountName } : null,
    member: member ? { id: member.id, role: member.role, name: member.name, available: member.available } : null,
    // From the memberships the auth plugin loaded (cached), not a query of its own.
    accounts: (request.memberships ?? []).map((m) => ({ id: m.accountId, name: m.accountName, role: m.role })),
    csrfToken: request.session.csrfToken ?? '',
    slice: slice ? { id: slice.id, state: slice.observedState, health: slice.health } : null,
    wa,
    plan,
  };
}

export default async function meRoutes(app: FastifyInstance) {
  app.get('/api/me', { config: { access: 'user', scope: 'session' }, schema: { response: { 200: MeSchema } } }, async (request) => meBody(app, request));
}
