// Billing: the plan, its status in plain words, the next renewal (or trial end, or grace end), and
// the one button that fits: subscribe (Stripe Checkout) or manage (the Stripe Customer Portal).
import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { goTo, openPortal, planOf, startCheckout, type Plan } from '../api/billing.ts';
import { keys } from '../api/keys.ts';
import { useMe } from '../session.ts';
import { Button, cx, ErrorLine, LoadingState } from '../components/ui.tsx';

type Tone = 'good' | 'warn' | 'bad' | 'neutral';

export function formatDay(iso: string | null): string {
  if (!iso) return '';
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** What a plan means for the user, in words. */
export function describePlan(plan: Plan): { title: string; tone: Tone; detail: string; canSubscribe: boolean; canManage: boolean } {
  if (!plan.enabled) {
    return { title: 'Included', tone: 'good', detail: 'Billing is not enabled on this server: your account is active.', canSubscribe: false, canManage: false };
  }
  switch (plan.status) {
    case 'trialing':
      return { title: 'Free trial', tone: 'good', detail: `Your trial ends on ${formatDay(plan.trialEnd ?? plan.currentPeriodEnd)}; then the subscription renews by itself.`, canSubscribe: false, canManage: true };
    case 'active':
      return plan.cancelAtPeriodEnd
        ? { title: 'Active, ending', tone: 'warn', detail: `Your subscription ends on ${formatDay(plan.currentPeriodEnd)}. WhatsApp stays connected until then.`, canSubscribe: false, canManage: true }
        : { title: 'Active', tone: 'good', detail: `Next renewal on ${formatDay(plan.currentPeriodEnd)}.`, canSubscribe: false, canManage: true };
    case 'past_due':
      return {
        title: 'Payment failed',
        tone: 'bad',
        detail: plan.allowed
          ? `We could not charge your card. Update your payment method before ${formatDay(plan.graceEndsAt)} to keep WhatsApp connected.`
          : 'We could not charge your card and the grace period is over: WhatsApp is stopped (your data and login are kept). Pay the open invoice to start it again.',
        canSubscribe: false,
        canManage: true,
      };
    case 'canceled':
      return {
        title: 'Canceled',
        tone: 'neutral',
        detail: plan.removeAt ? `Your data is kept until ${formatDay(plan.removeAt)}. Subscribe again to pick up where you left off.` : 'Subscribe again to pick up where you left off.',
        canSubscribe: true,
        canManage: true,
      };
    case 'none':
      return { title: 'No plan', tone: 'neutral', detail: 'Choose a plan to connect your WhatsApp.', canSubscribe: true, canManage: false };
    default:
      return { title: 'Payment incomplete', tone: 'warn', detail: `Stripe reports the subscription as ${plan.status.replace(/_/g, ' ')}. Complete the payment, or subscribe again.`, canSubscribe: true, canManage: true };
  }
}

const toneClasses: Record<Tone, string> = {
  good: 'bg-brand-50 text-brand-700',
  warn: 'bg-amber-50 text-amber-800',
  bad: 'bg-red-50 text-red-800',
  neutral: 'bg-stone-100 text-stone-700',
};

export function BillingScreen() {
  const me = useMe();
  const qc = useQueryClient();
  const [params] = useSearchParams();
  const checkoutResult = params.get('checkout');
  const plan = planOf(me.data);
  const words = describePlan(plan);
  const checkout = useMutation({ mutationFn: () => startCheckout(), onSuccess: ({ url }) => goTo.url(url) });
  const portal = useMutation({ mutationFn: openPortal, onSuccess: ({ url }) => goTo.url(url) });

  // Back from Checkout: the webhook may land a moment later; ask again until the plan shows it.
  const waiting = checkoutResult === 'success' && plan.enabled && (plan.status === 'none' || plan.status === 'canceled');
  useEffect(() => {
    if (!waiting) return undefined;
    const timer = setInterval(() => void qc.invalidateQueries({ queryKey: keys.me }), 2_000);
    return () => clearInterval(timer);
  }, [waiting, qc]);

  if (me.isPending) return <LoadingState label="Loading your plan…" />;
  const error = checkout.error ?? portal.error;
  const busy = checkout.isPending || portal.isPending;
  return (
    <div className="h-full overflow-y-auto bg-stone-50">
      <div className="mx-auto max-w-2xl space-y-4 px-4 py-6">
        <h1 className="text-lg font-semibold">Billing</h1>
        {checkoutResult === 'success' ? (
          <p role="status" data-testid="billing-notice" className="rounded-lg border border-brand-200 bg-brand-50 px-4 py-2 text-sm text-brand-700">
            {waiting ? 'Thank you! Your payment is being confirmed…' : 'Thank you! Your subscription is set up.'}
          </p>
        ) : checkoutResult === 'canceled' ? (
          <p role="status" data-testid="billing-notice" className="rounded-lg border border-stone-200 bg-white px-4 py-2 text-sm text-stone-600">
            Checkout was canceled: nothing was charged.
          </p>
        ) : null}
        <section data-testid="billing" className="space-y-4 rounded-xl border border-stone-200 bg-white px-5 py-4 text-sm text-stone-600">
          <div className="flex flex-wrap items-center justify-between gap-3">
            <div>
              <p className="text-xs uppercase tracking-wide text-stone-500">Your plan</p>
              <p className="text-base font-semibold text-stone-900">Queunir</p>
            </div>
            <span data-testid="billing-status" data-status={plan.enabled ? plan.status : 'disabled'} className={cx('inline-flex items-center gap-2 rounded-full px-3 py-1 text-sm font-medium', toneClasses[words.tone])}>
              <span aria-hidden className="size-2 rounded-full bg-current" />
              {words.title}
            </span>
          </div>
          <p data-testid="billing-detail">{words.detail}</p>
          {plan.enabled && plan.currentPeriodEnd && plan.status !== 'none' ? (
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1">
              <dt className="text-stone-500">{plan.status === 'canceled' ? 'Ended' : plan.cancelAtPeriodEnd ? 'Ends' : 'Next renewal'}</dt>
              <dd data-testid="billing-renewal" className="text-stone-900">
                {formatDay(plan.currentPeriodEnd)}
              </dd>
              {plan.graceEndsAt ? (
                <>
                  <dt className="text-stone-500">Grace period ends</dt>
                  <dd data-testid="billing-grace" className="text-stone-900">
                    {formatDay(plan.graceEndsAt)}
                  </dd>
                </>
              ) : null}
            </dl>
          ) : null}
          <div className="flex flex-wrap gap-2">
            {words.canSubscribe ? (
              <Button data-testid="subscribe" onClick={() => checkout.mutate()} disabled={busy}>
                {checkout.isPending ? 'Opening checkout…' : plan.status === 'canceled' ? 'Subscribe again' : 'Subscribe'}
              </Button>
            ) : null}
            {words.canManage ? (
              <Button data-testid="manage-billing" variant={words.canSubscribe ? 'secondary' : plan.status === 'past_due' ? 'primary' : 'secondary'} onClick={() => portal.mutate()} disabled={busy}>
                {portal.isPending ? 'Opening…' : plan.status === 'past_due' ? 'Update payment method' : 'Manage billing'}
              </Button>
            ) : null}
          </div>
          <ErrorLine error={error} testId="billing-error" />
        </section>
        <Link to="/settings" className="inline-block text-sm font-medium text-brand-700 hover:underline">
          Back to settings
        </Link>
      </div>
    </div>
  );
}
