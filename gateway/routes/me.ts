// GET /api/me: who is signed in, their slice, its WhatsApp state, their plan. The same body
// answers register, login and connect.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PlanSchema } from '../plugins/billing.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const MeSchema = Type.Object({
  user: Type.Object({
    id: Type.String(),
    email: Type.String(),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
    name: Nullable(Type.String()),
    businessName: Nullable(Type.String()),
  }),
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
  const [slice, plan] = await Promise.all([app.slices.forUser(user.id), app.billing.plan(user.id)]);
  const wa = slice && slice.token && slice.desiredState === 'running' ? await waState(slice.upstream, slice.authorization, request.id) : null;
  return {
    user,
    csrfToken: request.session.csrfToken ?? '',
    slice: slice ? { id: slice.id, state: slice.observedState, health: slice.health } : null,
    wa,
    plan,
  };
}

export default async function meRoutes(app: FastifyInstance) {
  app.get('/api/me', { schema: { response: { 200: MeSchema } } }, async (request) => meBody(app, request));
}
