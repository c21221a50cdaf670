// Access follows payment: the pure rules that say, from a user's subscription row and the time,
// whether their slice may run, until when a past-due account keeps it (grace), and when the data
// of an ended subscription is removed (retention). The billing plugin's enforcement pass and the
// connect route both ask here, so the two never disagree.

export interface PlanFacts {
  status: string;
  current_period_end: Date | null;
  past_due_since: Date | null;
  canceled_at: Date | null;
}

export interface Access {
  /** The slice may run (connect allowed, enforcement keeps or starts it). */
  allowed: boolean;
  /** past_due: when the slice stops unless a payment arrives. */
  graceEndsAt: Date | null;
  /** canceled: when the slice and its data are removed. */
  removeAt: Date | null;
  /** Plain words for the 402 and the audit log. */
  reason: string;
}

export interface AccessPolicy {
  graceDays: number;
  retentionDays: number;
}

const DAY_MS = 86_400_000;

const addDays = (d: Date, days: number) => new Date(d.getTime() + days * DAY_MS);

export function accessOf(plan: PlanFacts | null | undefined, now: Date, policy: AccessPolicy): Access {
  const status = plan?.status ?? 'none';
  const none = { graceEndsAt: null, removeAt: null };
  switch (status) {
    case 'trialing':
    case 'active':
      return { allowed: true, ...none, reason: `the subscription is ${status}` };
    case 'past_due': {
      const since = plan?.past_due_since ?? now;
      const graceEndsAt = addDays(since, policy.graceDays);
      const allowed = now.getTime() < graceEndsAt.getTime();
      return {
        allowed,
        graceEndsAt,
        removeAt: null,
        reason: allowed
          ? `a payment failed; the slice keeps running until ${graceEndsAt.toISOString()}`
          : `a payment failed and the ${policy.graceDays}-day grace period ended on ${graceEndsAt.toISOString()}: pay the open invoice to start it again`,
      };
    }
    case 'canceled': {
      // Stripe reports canceled once the subscription ended; a period already paid for still runs.
      const ends = [plan?.current_period_end, plan?.canceled_at].filter((d): d is Date => d instanceof Date);
      const endedAt = ends.length > 0 ? new Date(Math.max(...ends.map((d) => d.getTime()))) : now;
      const paidUntil = plan?.current_period_end ?? null;
      const allowed = paidUntil !== null && now.getTime() < paidUntil.getTime();
      return {
        allowed,
        graceEndsAt: null,
        removeAt: addDays(endedAt, policy.retentionDays),
        reason: allowed
          ? `the subscription is canceled; it runs until the end of the paid period, ${paidUntil!.toISOString()}`
          : 'the subscription was canceled: subscribe again to start your WhatsApp session',
      };
    }
    case 'none':
      return { allowed: false, ...none, reason: 'you have no subscription: choose a plan on the Billing page to start your WhatsApp session' };
    default:
      // incomplete, incomplete_expired, unpaid, paused: nothing paid for now.
      return { allowed: false, ...none, reason: `the subscription is ${status}: complete the payment on the Billing page to start your WhatsApp session` };
  }
}
