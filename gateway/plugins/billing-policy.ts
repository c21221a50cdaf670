// Billing's enforcement policy: access follows payment. It reads gateway.subscriptions (kept by
// the Stripe side, plugins/billing.ts) and asks the slice lifecycle to act; it never talks to
// Stripe or the supervisor itself. One pass over the slices, periodic and at once for a user whose
// subscription a webhook changed:
// - a slice whose plan no longer allows it is stopped (stopped_by 'billing': the monitor leaves it
//   alone; data and WhatsApp login are kept);
// - one billing stopped is started again when payment returns (same volume, so no new QR);
// - an ended subscription's slice is removed with its data after BILLING_RETENTION_DAYS.
// The clock is injectable so tests move time instead of sleeping days.
import fp from 'fastify-plugin';
import { toAppError } from '../../lib/errors.ts';
import { STOPPED_STATES } from '../../supervisor/protocol.ts';
import { accessOf, type Access, type AccessPolicy, type PlanFacts } from '../support/billing-access.ts';

export interface EnforceResult {
  stopped: number[];
  started: number[];
  removed: number[];
}

declare module 'fastify' {
  interface FastifyInstance {
    billingPolicy: {
      /** Billing is on (a Stripe key): with it off every account is active and nothing is enforced. */
      enabled: boolean;
      /** What a subscription row allows now. */
      access(plan: PlanFacts | null | undefined): Access;
      /** One enforcement pass (all users, or one). Passes run one at a time. */
      enforce(accountId?: string): Promise<EnforceResult>;
      now(): Date;
      /** Tests: the clock enforcement and access read. */
      setClock(clock: () => Date): void;
    };
  }
}

/** Known to run nothing (UNKNOWN is not known): a billing stop is not asked for again. */
const DOWN_STATES = new Set<string>(STOPPED_STATES.filter((s) => s !== 'UNKNOWN'));

export default fp(
  async (app) => {
    const config = app.config;
    const enabled = Boolean(config.STRIPE_SECRET_KEY);
    const policy: AccessPolicy = { graceDays: config.BILLING_GRACE_DAYS, retentionDays: config.BILLING_RETENTION_DAYS };
    const log = app.log.child({ component: 'billing' });
    let clock = () => new Date();

    let pass: Promise<unknown> = Promise.resolve();

    function enforce(accountId?: string): Promise<EnforceResult> {
      // One pass at a time: a webhook's pass waits for the periodic one and the other way round.
      const next = pass.then(
        () => enforceNow(accountId),
        () => enforceNow(accountId),
      );
      pass = next.catch(() => {});
      return next;
    }

    async function enforceNow(accountId?: string): Promise<EnforceResult> {
      const result: EnforceResult = { stopped: [], started: [], removed: [] };
      if (!enabled) return result;
      const now = clock();
      let q = app.db
        .selectFrom('slices')
        .leftJoin('subscriptions', 'subscriptions.account_id', 'slices.account_id')
        .select([
          'slices.id',
          'slices.account_id',
          'slices.desired_state',
          'slices.stopped_by',
          'slices.observed_state',
          'subscriptions.status',
          'subscriptions.current_period_end',
          'subscriptions.past_due_since',
          'subscriptions.canceled_at',
        ])
        .where('slices.desired_state', '!=', 'removed');
      if (accountId) q = q.where('slices.account_id', '=', accountId);
      for (const s of await q.execute()) {
        const access = accessOf(s.status === null ? null : (s as typeof s & { status: string }), now, policy);
        try {
          if (access.removeAt && now >= access.removeAt) {
            await app.slices.remove(s.id, 'billing', { removeAt: access.removeAt.toISOString() });
            result.removed.push(s.id);
          } else if (!access.allowed && s.desired_state === 'running') {
            await app.slices.stop(s.id, 'billing', { reason: access.reason });
            result.stopped.push(s.id);
          } else if (!access.allowed && s.stopped_by === 'billing' && !DOWN_STATES.has(s.observed_state)) {
            // Stopped in the table but the supervisor did not confirm it: ask again.
            await app.slices.stop(s.id, 'billing', { reason: access.reason });
          } else if (access.allowed && s.desired_state === 'stopped' && s.stopped_by === 'billing') {
            await app.slices.resume(s.id, 'billing', { reason: access.reason });
            result.started.push(s.id);
          }
        } catch (err) {
          log.warn({ slice: s.id, err: toAppError(err).message }, 'billing enforcement on a slice failed: tried again next pass');
        }
      }
      return result;
    }

    let timer: NodeJS.Timeout | null = null;
    if (enabled) {
      app.addHook('onReady', async () => {
        timer = setInterval(() => void enforce().catch((err) => log.warn({ err: toAppError(err).message }, 'billing enforcement pass failed')), config.BILLING_ENFORCE_INTERVAL_MS);
        timer.unref();
      });
    }
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer);
      await pass.catch(() => {});
    });

    app.decorate('billingPolicy', {
      enabled,
      access: (plan) => accessOf(plan, clock(), policy),
      enforce,
      now: () => clock(),
      setClock(next: () => Date) {
        clock = next;
      },
    });
  },
  { name: 'billing-policy', dependencies: ['db', 'slice-lifecycle'] },
);
