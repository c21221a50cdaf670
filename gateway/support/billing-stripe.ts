// The Stripe client and what the gateway keeps of a subscription. The client pins the API version
// the installed `stripe` package was built for; in that version a subscription's period end lives on
// its items (subscription.items.data[].current_period_end) and an invoice's subscription under
// invoice.parent.subscription_details, so that is where they are read.
import Stripe from 'stripe';
import { AppError } from '../../lib/errors.ts';

/** The API version every request uses (the one the installed client was generated for). */
const STRIPE_API_VERSION = Stripe.API_VERSION;

export function createStripeClient(secretKey: string, apiUrl?: string): Stripe {
  const options: ConstructorParameters<typeof Stripe>[1] = {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: 1,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: 'Queunir' },
  };
  if (apiUrl) {
    const u = new URL(apiUrl);
    options.host = u.hostname;
    options.protocol = u.protocol === 'http:' ? 'http' : 'https';
    options.port = u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
  }
  return new Stripe(secretKey, options);
}

/** The columns of gateway.subscriptions a Stripe subscription sets. */
export interface SubscriptionSnapshot {
  stripe_subscription_id: string;
  stripe_customer_id: string;
  status: string;
  price_id: string | null;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  trial_end: Date | null;
  canceled_at: Date | null;
  /** metadata.account_id set at checkout (metadata.user_id before accounts: the same id), when present */
  accountId: string | null;
}

const time = (s: unknown): Date | null => (typeof s === 'number' && s > 0 ? new Date(s * 1000) : null);

export function idOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  return null;
}

export function snapshotOf(sub: Stripe.Subscription): SubscriptionSnapshot {
  const items = sub.items?.data ?? [];
  // One price per subscription here; with several items the latest period end is the one that counts.
  const ends = items.map((i) => i.current_period_end).filter((n): n is number => typeof n === 'number');
  const customer = idOf(sub.customer);
  if (!customer) throw new AppError('INVALID_ARGUMENT', `subscription ${sub.id} has no customer`);
  const accountId = sub.metadata?.account_id ?? sub.metadata?.user_id;
  return {
    stripe_subscription_id: sub.id,
    stripe_customer_id: customer,
    status: sub.status,
    price_id: items[0]?.price?.id ?? null,
    current_period_end: ends.length > 0 ? time(Math.max(...ends)) : null,
    cancel_at_period_end: Boolean(sub.cancel_at_period_end),
    trial_end: time(sub.trial_end),
    canceled_at: time(sub.canceled_at ?? sub.ended_at),
    accountId: typeof accountId === 'string' && /^\d+$/.test(accountId) ? accountId : null,
  };
}

/** The subscription an invoice belongs to (API versions since 2025-03-31: under parent). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  const details = invoice.parent?.subscription_details;
  return details ? idOf(details.subscription) : null;
}

/** Stripe's own errors as ours: connection trouble is Unavailable, the rest Internal (logged, not shown). */
export function fromStripeError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; message?: string; statusCode?: number };
  if (e?.type === 'StripeConnectionError' || e?.type === 'StripeAPIError' || e?.type === 'StripeRateLimitError' || (e?.statusCode ?? 0) >= 500) {
    return new AppError('STRIPE_UNAVAILABLE', `Stripe did not answer (${what}): try again in a minute`, { cause: err });
  }
  return new AppError('INTERNAL', `Stripe refused ${what}: ${e?.message ?? String(err)}`, { cause: err });
}
