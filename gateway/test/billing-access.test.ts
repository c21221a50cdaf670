// The access rules alone (no database, no Stripe): which plan lets a slice run, when grace ends,
// when an ended subscription's data is removed.
import t from 'tap';
import { accessOf } from '../support/billing-access.ts';

const DAY = 86_400_000;
const now = new Date('2026-11-26T12:00:00.000Z');
const policy = { graceDays: 7, retentionDays: 30 };
const at = (days: number) => new Date(now.getTime() + days * DAY);
const plan = (status: string, extra: Partial<{ current_period_end: Date; past_due_since: Date; canceled_at: Date }> = {}) => ({
  status,
  current_period_end: extra.current_period_end ?? null,
  past_due_since: extra.past_due_since ?? null,
  canceled_at: extra.canceled_at ?? null,
});

t.test('trialing and active run; no row, none, incomplete, unpaid do not', async (t) => {
  t.ok(accessOf(plan('trialing'), now, policy).allowed);
  t.ok(accessOf(plan('active'), now, policy).allowed);
  for (const p of [null, undefined, plan('none'), plan('incomplete'), plan('incomplete_expired'), plan('unpaid'), plan('paused')]) {
    const a = accessOf(p, now, policy);
    t.notOk(a.allowed, `${p?.status ?? 'no row'} does not run`);
    t.match(a.reason, /Billing page/, 'and says where to fix it');
  }
});

t.test('past_due runs for the grace days counted from the failure', async (t) => {
  const inGrace = accessOf(plan('past_due', { past_due_since: at(-6) }), now, policy);
  t.ok(inGrace.allowed);
  t.same(inGrace.graceEndsAt, at(1));
  const over = accessOf(plan('past_due', { past_due_since: at(-7) }), now, policy);
  t.notOk(over.allowed, 'exactly at the end of grace it stops');
  t.match(over.reason, /grace period ended/);
  t.ok(accessOf(plan('past_due'), now, policy).allowed, 'no past_due_since yet: grace starts now');
  t.ok(accessOf(plan('past_due', { past_due_since: at(-1) }), now, { graceDays: 0, retentionDays: 30 }).allowed === false, 'zero grace days: stops at once');
});

t.test('canceled runs to the end of the paid period, then data is removed after the retention days', async (t) => {
  const paid = accessOf(plan('canceled', { current_period_end: at(3), canceled_at: at(-1) }), now, policy);
  t.ok(paid.allowed, 'the paid period still runs');
  t.same(paid.removeAt, at(33), 'removal counts from the later of period end and cancellation');
  const ended = accessOf(plan('canceled', { current_period_end: at(-2), canceled_at: at(-2) }), now, policy);
  t.notOk(ended.allowed);
  t.same(ended.removeAt, at(28));
  t.same(accessOf(plan('canceled'), now, policy).removeAt, at(30), 'no dates: counted from now');
  t.equal(accessOf(plan('active'), now, policy).removeAt, null, 'nothing is removed while paid');
});
