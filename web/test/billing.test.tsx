import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor } from '@testing-library/react';
import { BillingScreen } from '../src/screens/billing.tsx';
import { BillingBanner } from '../src/components/app-shell.tsx';
import { LinkScreen } from '../src/screens/link.tsx';
import { goTo, type Plan } from '../src/api/billing.ts';
import { fakeFetch, renderWith } from './helpers.tsx';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const basePlan: Plan = {
  status: 'none',
  enabled: true,
  allowed: false,
  priceId: null,
  currentPeriodEnd: null,
  cancelAtPeriodEnd: false,
  trialEnd: null,
  graceEndsAt: null,
  removeAt: null,
};

function meWith(plan: Partial<Plan>, slice: { id: number; state: string; health: null } | null = null) {
  return { user: { id: 7, email: 'ana@shop.test', role: 'user' }, csrfToken: 'csrf-7', slice, wa: null, plan: { ...basePlan, ...plan } };
}

describe('Billing screen', () => {
  it('no plan: says so and subscribes through Stripe Checkout (POST with the CSRF token, then off to the URL)', async () => {
    const calls = fakeFetch((c) =>
      c.path === '/api/me' ? { status: 200, body: meWith({}) } : c.path === '/api/billing/checkout' ? { status: 200, body: { url: 'https://checkout.example/c/pay/cs_1' } } : undefined,
    );
    const go = vi.spyOn(goTo, 'url').mockImplementation(() => undefined);
    renderWith(<BillingScreen />, { route: '/billing' });
    const status = await screen.findByTestId('billing-status');
    expect(status.textContent).toBe('No plan');
    expect(status.getAttribute('data-status')).toBe('none');
    expect(screen.queryByTestId('manage-billing')).toBeNull();
    act(() => screen.getByTestId('subscribe').click());
    await waitFor(() => expect(go).toHaveBeenCalledWith('https://checkout.example/c/pay/cs_1'));
    const post = calls.find((c) => c.path === '/api/billing/checkout')!;
    expect(post.method).toBe('POST');
    expect(post.headers['x-csrf-token']).toBe('csrf-7');
  });

  it('active: the next renewal, and Manage billing opens the Customer Portal', async () => {
    fakeFetch((c) =>
      c.path === '/api/me'
        ? { status: 200, body: meWith({ status: 'active', allowed: true, priceId: 'price_std', currentPeriodEnd: '2026-12-26T10:00:00.000Z' }) }
        : c.path === '/api/billing/portal'
          ? { status: 200, body: { url: 'https://billing.example/p/session/bps_1' } }
          : undefined,
    );
    const go = vi.spyOn(goTo, 'url').mockImplementation(() => undefined);
    renderWith(<BillingScreen />, { route: '/billing' });
    expect((await screen.findByTestId('billing-status')).textContent).toBe('Active');
    expect(screen.getByTestId('billing-renewal').textContent).toBe('26 December 2026');
    expect(screen.getByTestId('billing-detail').textContent).toContain('Next renewal on 26 December 2026');
    expect(screen.queryByTestId('subscribe')).toBeNull();
    act(() => screen.getByTestId('manage-billing').click());
    await waitFor(() => expect(go).toHaveBeenCalledWith('https://billing.example/p/session/bps_1'));
  });

  it('past due: payment failed, the grace end, and the button to update the card', async () => {
    fakeFetch((c) =>
      c.path === '/api/me'
        ? { status: 200, body: meWith({ status: 'past_due', allowed: true, currentPeriodEnd: '2026-12-26T10:00:00.000Z', graceEndsAt: '2026-12-03T10:00:00.000Z' }) }
        : undefined,
    );
    renderWith(<BillingScreen />, { route: '/billing' });
    expect((await screen.findByTestId('billing-status')).textContent).toBe('Payment failed');
    expect(screen.getByTestId('billing-grace').textContent).toBe('3 December 2026');
    expect(screen.getByTestId('billing-detail').textContent).toContain('before 3 December 2026');
    expect(screen.getByTestId('manage-billing').textContent).toBe('Update payment method');
  });

  it('trialing, canceled, and billing off read in plain words', async () => {
    for (const [plan, words, detail] of [
      [{ status: 'trialing', allowed: true, trialEnd: '2026-12-10T00:00:00.000Z', currentPeriodEnd: '2026-12-10T00:00:00.000Z' }, 'Free trial', 'trial ends on 10 December 2026'],
      [{ status: 'canceled', removeAt: '2027-01-25T00:00:00.000Z', currentPeriodEnd: '2026-12-26T00:00:00.000Z' }, 'Canceled', 'kept until 25 January 2027'],
      [{ status: 'active', enabled: false, allowed: true }, 'Included', 'Billing is not enabled'],
    ] as const) {
      fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: meWith(plan) } : undefined));
      const { unmount } = renderWith(<BillingScreen />, { route: '/billing' });
      expect((await screen.findByTestId('billing-status')).textContent).toBe(words);
      expect(screen.getByTestId('billing-detail').textContent).toContain(detail);
      unmount();
    }
  });

  it('a refused checkout is shown, not swallowed', async () => {
    fakeFetch((c) =>
      c.path === '/api/me'
        ? { status: 200, body: meWith({}) }
        : c.path === '/api/billing/checkout'
          ? { status: 503, body: { error: { kind: 'Unavailable', code: 'STRIPE_UNAVAILABLE', message: 'Stripe did not answer (creating the Checkout Session): try again in a minute' } } }
          : undefined,
    );
    renderWith(<BillingScreen />, { route: '/billing' });
    const button = await screen.findByTestId('subscribe');
    act(() => button.click());
    expect((await screen.findByTestId('billing-error')).textContent).toBe('The payment service is not answering. Try again in a minute.');
  });
});

describe('past-due banner', () => {
  it('shows on app screens while a payment is past due, with a link to Billing', async () => {
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: meWith({ status: 'past_due', allowed: true, graceEndsAt: '2026-12-03T10:00:00.000Z' }) } : undefined));
    renderWith(<BillingBanner />, { route: '/inbox' });
    const banner = await screen.findByTestId('billing-banner');
    expect(banner.textContent).toContain('Payment failed: update your payment method before 3 December 2026');
    expect(banner.querySelector('a')?.getAttribute('href')).toBe('/billing');
  });

  it('is absent when the plan is fine, and on the Billing page itself', async () => {
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: meWith({ status: 'active', allowed: true }) } : undefined));
    const first = renderWith(<BillingBanner />, { route: '/inbox' });
    await waitFor(() => expect(first.client.getQueryData(['me'])).toBeTruthy());
    expect(screen.queryByTestId('billing-banner')).toBeNull();
    first.unmount();
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: meWith({ status: 'past_due', allowed: true }) } : undefined));
    const second = renderWith(<BillingBanner />, { route: '/billing' });
    await waitFor(() => expect(second.client.getQueryData(['me'])).toBeTruthy());
    expect(screen.queryByTestId('billing-banner')).toBeNull();
  });
});

describe('Link screen and the plan', () => {
  it('explains and offers to subscribe when the plan does not allow a slice', async () => {
    const calls = fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: meWith({ status: 'none' }) } : undefined));
    renderWith(<LinkScreen />, { route: '/link' });
    const step = await screen.findByTestId('plan-required');
    expect(step.textContent).toContain('Your plan does not include a WhatsApp session yet');
    expect(screen.getByTestId('go-subscribe').getAttribute('href')).toBe('/billing');
    expect(screen.queryByTestId('connect')).toBeNull();
    expect(calls.some((c) => c.path === '/api/connect')).toBe(false);
  });

  it('a slice billing stopped after the grace days: says data and login are kept', async () => {
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: meWith({ status: 'past_due', allowed: false }, { id: 3, state: 'STOPPED', health: null }) } : c.path === '/api/wa' ? { status: 503, body: { error: { kind: 'Unavailable', code: 'SLICE_UNAVAILABLE', message: 'stopped' } } } : undefined));
    renderWith(<LinkScreen />, { route: '/link' });
    expect((await screen.findByTestId('plan-required')).textContent).toContain('no new QR code');
    expect(screen.getByTestId('go-subscribe').textContent).toBe('Fix payment');
  });

  it('a 402 from connect still explains and links to Billing', async () => {
    fakeFetch((c) =>
      c.path === '/api/me'
        ? { status: 200, body: meWith({ status: 'active', allowed: true }) }
        : c.path === '/api/connect'
          ? { status: 402, body: { error: { kind: 'PaymentRequired', code: 'PLAN_REQUIRED', message: 'your plan does not allow a WhatsApp session' } } }
          : undefined,
    );
    renderWith(<LinkScreen />, { route: '/link' });
    const connect = await screen.findByTestId('connect');
    act(() => connect.click());
    const err = await screen.findByTestId('connect-error');
    expect(err.textContent).toBe('Your plan does not include a WhatsApp session. Choose a plan');
    expect(err.querySelector('a')?.getAttribute('href')).toBe('/billing');
  });
});
