// /api/billing: the plan (GET), Stripe Checkout and the Customer Portal (POST, a signed-in user
// and CSRF like every other write), and the webhook Stripe calls (no session, no CSRF: the
// signature over the raw body is the check). Nothing under /api/billing/ falls through to a slice.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { PlanSchema } from '../plugins/billing.ts';

const UrlSchema = Type.Object({ url: Type.String() });

export default async function billingRoutes(app: FastifyInstance) {
  app.get(
    '/api/billing',
    { config: { access: 'owner', scope: 'session' }, schema: { response: { 200: Type.Object({ plan: PlanSchema, prices: Type.Array(Type.String()), trialDays: Type.Integer() }) } } },
    async (request) => {
      const member = app.auth.requireMember(request, 'owner');
      return { plan: await app.billing.plan(member.accountId), prices: app.billing.prices, trialDays: app.billing.enabled ? app.config.BILLING_TRIAL_DAYS : 0 };
    },
  );

  app.post(
    '/api/billing/checkout',
    {
      config: { access: 'owner', scope: 'session' },
      schema: {
        body: Type.Optional(
          Type.Object({ priceId: Type.Optional(Type.String({ pattern: '^price_[A-Za-z0-9_]+$', description: 'one of STRIPE_PRICE_ID; default the first' })) }, { additionalProperties: false }),
        ),
        response: { 200: UrlSchema },
      },
    },
    async (request) => {
      const user = app.auth.require(request);
      const member = app.auth.requireMember(request, 'owner');
      const body = (request.body ?? {}) as { priceId?: string };
      return app.billing.checkout({ id: member.accountId, email: user.email, byUserId: user.id }, body.priceId);
    },
  );

  app.post('/api/billing/portal', { config: { access: 'owner', scope: 'session' }, schema: { response: { 200: UrlSchema } } }, async (request) => {
    const member = app.auth.requireMember(request, 'owner');
    return app.billing.portal(member.accountId);
  });

  // The webhook in a scope of its own: its JSON parser keeps the raw bytes the signature covers.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));
    scope.post(
      '/api/billing/webhook',
      {
        config: { csrf: false, access: 'public', scope: 'public' },
        schema: {
          headers: Type.Object({ 'stripe-signature': Type.String({ minLength: 1, description: 'the signature Stripe sends' }) }),
          response: { 200: Type.Object({ received: Type.Boolean(), duplicate: Type.Boolean(), changed: Type.Boolean() }) },
        },
      },
      async (request) => {
        if (!Buffer.isBuffer(request.body) || request.body.length === 0) throw new AppError('INVALID_ARGUMENT', 'the webhook body is empty: Stripe sends the event as JSON');
        const result = await app.billing.handleWebhook(request.body, request.headers['stripe-signature'] as string);
        request.log.info({ event: result.id, type: result.type, duplicate: result.duplicate, changed: result.changed }, 'Stripe event');
        return { received: true, duplicate: result.duplicate, changed: result.changed };
      },
    );
  });

  app.all('/api/billing/*', { config: { csrf: false, access: 'public', scope: 'public' } }, async (request) => {
    throw new AppError('NOT_FOUND', `no billing route ${request.method} ${request.url.split('?', 1)[0]}`);
  });
}
