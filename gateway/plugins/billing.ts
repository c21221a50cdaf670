// Billing, the Stripe side: Checkout and the Customer Portal for the user, and the webhook that
// keeps gateway.subscriptions. What a subscription allows, and acting on it, is the enforcement
// policy's (plugins/billing-policy.ts); app.billing is the one face of both for the routes. With no
// STRIPE_SECRET_KEY billing is off and every account counts as active.
import fp from 'fastify-plugin';
import { Type, type Static } from '@sinclair/typebox';
import type Stripe from 'stripe';
import type { Transaction } from 'kysely';
import { AppError, toAppError } from '../../lib/errors.ts';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';
import type { Subscription } from '../../sql/gateway/subscriptions.table.ts';
import { writeAudit, type AuditActor } from '../support/audit.ts';
import type { EnforceResult } from './billing-policy.ts';
import { createStripeClient, fromStripeError, idOf, invoiceSubscriptionId, snapshotOf, type SubscriptionSnapshot } from '../support/billing-stripe.ts';

const OptionalIso = Type.Union([Type.String({ description: 'an ISO 8601 time' }), Type.Null()]);

/** The user's plan as GET /api/me and GET /api/billing show it. */
export const PlanSchema = Type.Object({
  status: Type.String({ description: "the subscription's Stripe status, 'none' without one, 'active' with billing off" }),
  enabled: Type.Boolean({ description: 'billing is on on this server' }),
  allowed: Type.Boolean({ description: 'the slice may run now' }),
  priceId: Type.Union([Type.String(), Type.Null()]),
  currentPeriodEnd: OptionalIso,
  cancelAtPeriodEnd: Type.Boolean(),
  trialEnd: OptionalIso,
  graceEndsAt: OptionalIso,
  removeAt: OptionalIso,
});
export type PlanInfo = Static<typeof PlanSchema>;

export interface WebhookResult {
  id: string;
  type: string;
  duplicate: boolean;
  /** The subscription row changed. */
  changed: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    billing: {
      enabled: boolean;
      /** The configured price ids; the first is the default plan. */
      prices: string[];
      planStatus(accountId: string): Promise<string>;
      plan(accountId: string): Promise<PlanInfo>;
      /** Throws PLAN_REQUIRED (402) when the user's plan does not allow a slice now. */
      requireAccess(accountId: string): Promise<void>;
      /** account: the account's id, the email its Stripe customer gets, and who clicked. */
      checkout(account: { id: string; email: string; byUserId: string }, priceId?: string): Promise<{ url: string }>;
      portal(accountId: string): Promise<{ url: string }>;
      handleWebhook(rawBody: Buffer, signature: string): Promise<WebhookResult>;
      /** One enforcement pass (all accounts, or one). */
      enforce(accountId?: string): Promise<EnforceResult>;
      /** The account is being deleted: its Stripe subscription ends now (no refund logic here); the id cancelled, or null for none. */
      cancelForDeletion(accountId: string): Promise<string | null>;
      now(): Date;
      /** Tests: the clock enforcement and access read. */
      setClock(clock: () => Date): void;
    };
  }
}

type Trx = Transaction<GatewayDatabase>;
/** Statuses in which a subscription is alive (paid for, or being paid for). */
const LIVE = new Set(['trialing', 'active', 'past_due', 'unpaid']);
/** How long a webhook answer waits for the enforcement it triggered. */
const ENFORCE_WAIT_MS = 8_000;

function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

function sameTime(a: Date | null | undefined, b: Date | null | undefined): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

export default fp(
  async (app) => {
    const config = app.config;
    const enabled = Boolean(config.STRIPE_SECRET_KEY);
    const prices = (config.STRIPE_PRICE_ID ?? '').split(',').filter(Boolean);
    const stripe: Stripe | null = enabled ? createStripeClient(config.STRIPE_SECRET_KEY!, config.STRIPE_API_URL) : null;
    const log = app.log.child({ component: 'billing' });
    const { enforce } = app.billingPolicy;

    function requireStripe(): Stripe {
      if (!stripe) throw new AppError('BILLING_DISABLED', 'billing is not enabled on this server (no STRIPE_SECRET_KEY): every account is active');
      return stripe;
    }

    async function row(accountId: string): Promise<Subscription | undefined> {
      return app.db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    }

    async function plan(accountId: string): Promise<PlanInfo> {
      if (!enabled) {
        return { status: 'active', enabled: false, allowed: true, priceId: null, currentPeriodEnd: null, cancelAtPeriodEnd: false, trialEnd: null, graceEndsAt: null, removeAt: null };
      }
      const sub = await row(accountId);
      const access = app.billingPolicy.access(sub);
      return {
        status: sub?.status ?? 'none',
        enabled: true,
        allowed: access.allowed,
        priceId: sub?.price_id ?? null,
        currentPeriodEnd: iso(sub?.current_period_end),
        cancelAtPeriodEnd: sub?.cancel_at_period_end ?? false,
        trialEnd: iso(sub?.trial_end),
        graceEndsAt: iso(access.graceEndsAt),
        removeAt: iso(access.removeAt),
      };
    }

    function audit(db: Trx | typeof app.db, actor: AuditActor, accountId: string | null, action: string, details: Record<string, unknown>): Promise<void> {
      return writeAudit(db, { actor, accountId, action, details });
    }

    // ---- Checkout and the portal ----

    async function ensureCustomer(user: { id: string; email: string; byUserId: string }): Promise<string> {
      const existing = await row(user.id);
      if (existing?.stripe_customer_id) return existing.stripe_customer_id;
      let customer: Stripe.Customer;
      try {
        // The key makes a retried click (or a crash before the insert below) reuse the same customer.
        customer = await requireStripe().customers.create({ email: user.email, metadata: { account_id: user.id } }, { idempotencyKey: `queunir-customer-${user.id}` });
      } catch (err) {
        throw fromStripeError(err, 'creating the customer');
      }
      const kept = await app.db
        .insertInto('subscriptions')
        .values({ account_id: user.id, stripe_customer_id: customer.id })
        .onConflict((oc) => oc.column('account_id').doUpdateSet((eb) => ({ stripe_customer_id: eb.fn.coalesce('subscriptions.stripe_customer_id', 'excluded.stripe_customer_id'), updated_at: new Date() })))
        .returning('stripe_customer_id')
        .executeTakeFirstOrThrow();
      if (kept.stripe_customer_id === customer.id) await audit(app.db, `user:${user.byUserId}`, user.id, 'billing.customer.create', { customer: customer.id });
      return kept.stripe_customer_id!;
    }

    async function checkout(user: { id: string; email: string; byUserId: string }, priceId?: string): Promise<{ url: string }> {
      const client = requireStripe();
      const price = priceId ?? prices[0]!;
      if (!prices.includes(price)) throw new AppError('INVALID_ARGUMENT', `priceId ${price} is not one of this server's plans (${prices.join(', ')})`);
      const current = await row(user.id);
      if (current && LIVE.has(current.status)) {
        throw new AppError('SUBSCRIPTION_EXISTS', `you already have a subscription (${current.status}): change or cancel it with "Manage billing"`);
      }
      const customer = await ensureCustomer(user);
      // A trial once per account: not for someone whose earlier subscription ended.
      const trialDays = config.BILLING_TRIAL_DAYS > 0 && !current?.stripe_subscription_id ? config.BILLING_TRIAL_DAYS : 0;
      let session: Stripe.Checkout.Session;
      try {
        session = await client.checkout.sessions.create({
          mode: 'subscription',
          customer,
          client_reference_id: user.id,
          line_items: [{ price, quantity: 1 }],
          success_url: `${config.PUBLIC_URL}/billing?checkout=success`,
          cancel_url: `${config.PUBLIC_URL}/billing?checkout=canceled`,
          metadata: { account_id: user.id },
          subscription_data: { metadata: { account_id: user.id }, ...(trialDays > 0 ? { trial_period_days: trialDays } : {}) },
        });
      } catch (err) {
        throw fromStripeError(err, 'creating the Checkout Session');
      }
      if (!session.url) throw new AppError('INTERNAL', 'Stripe returned a Checkout Session without a URL');
      await audit(app.db, `user:${user.byUserId}`, user.id, 'billing.checkout', { session: session.id, price, trialDays });
      return { url: session.url };
    }

    async function portal(accountId: string): Promise<{ url: string }> {
      const client = requireStripe();
      const customer = (await row(accountId))?.stripe_customer_id;
      if (!customer) throw new AppError('NO_BILLING_ACCOUNT', 'you have no billing account yet: subscribe first');
      try {
        const session = await client.billingPortal.sessions.create({ customer, return_url: `${config.PUBLIC_URL}/billing` });
        return { url: session.url };
      } catch (err) {
        throw fromStripeError(err, 'opening the Customer Portal');
      }
    }

    // ---- the webhook ----

    interface Change {
      /** checkout.session.completed: the user it was for (client_reference_id). */
      userHint: string | null;
      customerId: string | null;
      snapshot: SubscriptionSnapshot | null;
    }

    /** The subscription as Stripe has it now: a re-read makes the order of events irrelevant. */
    async function current(subscriptionId: string, fallback: Stripe.Subscription | null): Promise<SubscriptionSnapshot | null> {
      try {
        return snapshotOf(await requireStripe().subscriptions.retrieve(subscriptionId));
      } catch (err) {
        const e = err as { statusCode?: number; code?: string };
        if (e.statusCode === 404 || e.code === 'resource_missing') return fallback ? snapshotOf(fallback) : null;
        throw fromStripeError(err, `reading subscription ${subscriptionId}`);
      }
    }

    async function resolve(event: Stripe.Event): Promise<Change | null> {
      const object = event.data.object as unknown as Record<string, unknown>;
      switch (event.type) {
        case 'checkout.session.completed': {
          const session = object as unknown as Stripe.Checkout.Session;
          if (session.mode !== 'subscription') return null;
          const ref = session.client_reference_id;
          const subId = idOf(session.subscription);
          return {
            userHint: ref && /^\d+$/.test(ref) ? ref : null,
            customerId: idOf(session.customer),
            snapshot: subId ? await current(subId, null) : null,
          };
        }
        case 'customer.subscription.created':
        case 'customer.subscription.updated':
        case 'customer.subscription.deleted': {
          const sub = object as unknown as Stripe.Subscription;
          return { userHint: null, customerId: idOf(sub.customer), snapshot: await current(sub.id, sub) };
        }
        case 'invoice.paid':
        case 'invoice.payment_failed': {
          const invoice = object as unknown as Stripe.Invoice;
          const subId = invoiceSubscriptionId(invoice);
          if (!subId) return null;
          return { userHint: null, customerId: idOf(invoice.customer), snapshot: await current(subId, null) };
        }
        default:
          return null;
      }
    }

    async function accountFor(trx: Trx, change: Change): Promise<string | null> {
      const candidates = [change.userHint];
      const s = change.snapshot;
      if (s || change.customerId) {
        let q = trx.selectFrom('subscriptions').select('account_id');
        q = q.where((eb) =>
          eb.or([
            ...(s ? [eb('stripe_subscription_id', '=', s.stripe_subscription_id), eb('stripe_customer_id', '=', s.stripe_customer_id)] : []),
            ...(change.customerId ? [eb('stripe_customer_id', '=', change.customerId)] : []),
          ]),
        );
        const hit = await q.executeTakeFirst();
        candidates.push(hit ? String(hit.account_id) : null);
      }
      candidates.push(s?.accountId ?? null);
      for (const id of candidates) {
        if (!id) continue;
        const account = await trx.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst();
        if (account) return String(account.id);
      }
      return null;
    }

    /** Apply one event's change inside its transaction; true when the row changed. */
    async function apply(trx: Trx, event: Stripe.Event, change: Change): Promise<{ accountId: string | null; changed: boolean }> {
      const accountId = await accountFor(trx, change);
      if (!accountId) {
        log.warn({ event: event.id, type: event.type }, 'Stripe event for no known account: recorded, ignored');
        return { accountId: null, changed: false };
      }
      const eventAt = new Date(event.created * 1000);
      // The row exists from checkout on; insert it for a subscription made elsewhere (the dashboard).
      await trx.insertInto('subscriptions').values({ account_id: accountId }).onConflict((oc) => oc.column('account_id').doNothing()).execute();
      const before = await trx.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).forUpdate().executeTakeFirstOrThrow();
      const s = change.snapshot;
      const lastEventAt = before.last_event_at && before.last_event_at > eventAt ? before.last_event_at : eventAt;
      // The customer is stored only by checkout() (ensureCustomer): an event never adopts one.
      if (!s) return { accountId, changed: false };
      const sameSubscription = before.stripe_subscription_id === s.stripe_subscription_id;
      // Access is granted only for what this server sold to this user: the subscription must be
      // the customer's we created for them, and a new one must be on one of this server's plans.
      // Otherwise a checkout made in the same Stripe account for something else (another product,
      // another customer naming this user) would unlock a slice.
      const refusal =
        before.stripe_customer_id !== s.stripe_customer_id
          ? `its customer ${s.stripe_customer_id} is not this user's (${before.stripe_customer_id ?? 'none'})`
          : !sameSubscription && !prices.includes(s.price_id ?? '')
            ? `its price ${s.price_id ?? 'none'} is not one of STRIPE_PRICE_ID`
            : null;
      if (refusal) {
        log.warn({ event: event.id, type: event.type, subscription: s.stripe_subscription_id, accountId }, `Stripe subscription not applied: ${refusal}`);
        await audit(trx, 'stripe', accountId, 'billing.subscription.refused', { event: event.id, subscription: s.stripe_subscription_id, reason: refusal });
        return { accountId, changed: false };
      }
      // An older subscription of this user ending must not end the one that runs now.
      if (before.stripe_subscription_id && !sameSubscription && LIVE.has(before.status) && !LIVE.has(s.status)) {
        log.info({ event: event.id, subscription: s.stripe_subscription_id }, 'event about an older subscription: ignored');
        return { accountId, changed: false };
      }
      // canceled is final in Stripe: an older event arriving late never revives it.
      if (sameSubscription && before.status === 'canceled' && s.status !== 'canceled') {
        log.info({ event: event.id, status: s.status }, 'late event for a canceled subscription: ignored');
        return { accountId, changed: false };
      }
      const pastDue = s.status === 'past_due' || s.status === 'unpaid';
      const wasPastDue = before.status === 'past_due' || before.status === 'unpaid';
      const pastDueSince = pastDue ? (wasPastDue && before.past_due_since ? before.past_due_since : eventAt) : null;
      const next = {
        stripe_customer_id: before.stripe_customer_id ?? s.stripe_customer_id,
        stripe_subscription_id: s.stripe_subscription_id,
        status: s.status,
        price_id: s.price_id,
        current_period_end: s.current_period_end,
        cancel_at_period_end: s.cancel_at_period_end,
        trial_end: s.trial_end,
        canceled_at: s.canceled_at,
        past_due_since: pastDueSince,
      };
      const changed =
        before.stripe_subscription_id !== next.stripe_subscription_id ||
        before.status !== next.status ||
        before.price_id !== next.price_id ||
        before.cancel_at_period_end !== next.cancel_at_period_end ||
        !sameTime(before.current_period_end, next.current_period_end) ||
        !sameTime(before.trial_end, next.trial_end) ||
        !sameTime(before.canceled_at, next.canceled_at) ||
        !sameTime(before.past_due_since, next.past_due_since);
      await trx
        .updateTable('subscriptions')
        .set({ ...next, last_event_at: lastEventAt, updated_at: new Date() })
        .where('account_id', '=', accountId)
        .execute();
      if (changed) {
        await audit(trx, 'stripe', accountId, 'billing.subscription', {
          event: event.id,
          type: event.type,
          subscription: s.stripe_subscription_id,
          from: before.status,
          to: s.status,
          currentPeriodEnd: iso(s.current_period_end),
          cancelAtPeriodEnd: s.cancel_at_period_end,
        });
      }
      return { accountId, changed };
    }

    async function handleWebhook(rawBody: Buffer, signature: string): Promise<WebhookResult> {
      const client = requireStripe();
      let event: Stripe.Event;
      try {
        event = client.webhooks.constructEvent(rawBody, signature, config.STRIPE_WEBHOOK_SECRET!);
      } catch (err) {
        throw new AppError('WEBHOOK_SIGNATURE_INVALID', `the Stripe-Signature header does not match the body: ${(err as Error).message.split('\n')[0]}`);
      }
      const known = await app.db.selectFrom('stripe_events').select('id').where('id', '=', event.id).executeTakeFirst();
      if (known) return { id: event.id, type: event.type, duplicate: true, changed: false };
      // Asking Stripe happens before the transaction: no row lock is held across the network.
      const change = await resolve(event);
      const outcome = await app.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('stripe_events')
          .values({ id: event.id, type: event.type, event_created_at: new Date(event.created * 1000) })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return { duplicate: true, accountId: null, changed: false };
        const applied = change ? await apply(trx, event, change) : { accountId: null, changed: false };
        return { duplicate: false, ...applied };
      });
      if (outcome.accountId && outcome.changed) {
        // Access follows at once, not at the next periodic pass. Stripe waits for the answer only so
        // long: a slow start or stop goes on in the background after ENFORCE_WAIT_MS.
        const enforcing = enforce(outcome.accountId).catch((err) => log.warn({ err: toAppError(err).message, account: outcome.accountId }, 'enforcement after a webhook failed'));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([enforcing, new Promise((r) => (timer = setTimeout(r, ENFORCE_WAIT_MS)))]);
        clearTimeout(timer);
      }
      return { id: event.id, type: event.type, duplicate: outcome.duplicate, changed: outcome.changed };
    }

    async function cancelForDeletion(accountId: string): Promise<string | null> {
      const sub = await row(accountId);
      if (!enabled || !sub?.stripe_subscription_id || sub.status === 'canceled' || sub.status === 'incomplete_expired') return null;
      try {
        await requireStripe().subscriptions.cancel(sub.stripe_subscription_id);
      } catch (err) {
        // Already gone on Stripe's side: nothing left to cancel.
        if ((err as { statusCode?: number }).statusCode !== 404) throw fromStripeError(err, `cancelling subscription ${sub.stripe_subscription_id}`);
      }
      log.info({ account: accountId, subscription: sub.stripe_subscription_id }, 'subscription cancelled: the account is being deleted');
      return sub.stripe_subscription_id;
    }

    app.decorate('billing', {
      enabled,
      cancelForDeletion,
      prices,
      async planStatus(accountId: string) {
        if (!enabled) return 'active';
        return (await row(accountId))?.status ?? 'none';
      },
      plan,
      async requireAccess(accountId: string) {
        if (!enabled) return;
        const access = app.billingPolicy.access(await row(accountId));
        if (!access.allowed) throw new AppError('PLAN_REQUIRED', `your plan does not allow a WhatsApp session: ${access.reason}`);
      },
      checkout,
      portal,
      handleWebhook,
      enforce,
      now: app.billingPolicy.now,
      setClock: app.billingPolicy.setClock,
    });
  },
  { name: 'billing', dependencies: ['db', 'billing-policy'] },
);
