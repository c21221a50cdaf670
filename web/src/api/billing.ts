// Billing (SaaS build): the plan as /api/me reports it, Stripe Checkout and the Customer Portal.
// Both POSTs answer a Stripe URL the browser then goes to.
import { api } from './http.ts';
import type { Me } from './types.ts';

export interface Plan {
  /** 'active' when billing is off; else Stripe's status (trialing, active, past_due, canceled, …) or 'none'. */
  status: string;
  enabled: boolean;
  /** The plan allows a WhatsApp session now. */
  allowed: boolean;
  priceId: string | null;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  trialEnd: string | null;
  graceEndsAt: string | null;
  removeAt: string | null;
}

/** The plan of a /api/me body; an older server sends only the status. */
export function planOf(me: Pick<Me, 'plan'> | undefined | null): Plan {
  const p = (me?.plan ?? { status: 'active' }) as Partial<Plan> & { status: string };
  const enabled = p.enabled ?? false;
  return {
    status: p.status,
    enabled,
    allowed: p.allowed ?? (!enabled || ['trialing', 'active', 'past_due'].includes(p.status)),
    priceId: p.priceId ?? null,
    currentPeriodEnd: p.currentPeriodEnd ?? null,
    cancelAtPeriodEnd: p.cancelAtPeriodEnd ?? false,
    trialEnd: p.trialEnd ?? null,
    graceEndsAt: p.graceEndsAt ?? null,
    removeAt: p.removeAt ?? null,
  };
}

export async function startCheckout(priceId?: string): Promise<{ url: string }> {
  return api<{ url: string }>('/api/billing/checkout', { method: 'POST', body: priceId ? { priceId } : {} });
}

export async function openPortal(): Promise<{ url: string }> {
  return api<{ url: string }>('/api/billing/portal', { method: 'POST' });
}

/** Leave for Stripe's page (a function so tests can watch it). */
export const goTo = {
  url(url: string): void {
    window.location.assign(url);
  },
};
