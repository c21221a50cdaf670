// The health monitor: every MONITOR_INTERVAL_MS it asks the supervisor for each slice's health and
// has the slice lifecycle (plugins/slice-lifecycle.ts) record it and act on it. A slice that should run but is not started (the supervisor lost
// it) is started; one that stays unhealthy for MONITOR_UNHEALTHY_CHECKS checks in a row is
// restarted (one whose process runs but answers too late is slow, given MONITOR_SLOW_CHECKS), and
// the supervisor's own backoff applies to what follows. A slice the user, billing
// or an operator stopped (desired_state 'stopped') is never restarted. The supervisor's
// slice.stateChanged notifications update the record at once and reach the user's event stream.
import fp from 'fastify-plugin';
import { isAppError, toAppError } from '../../lib/errors.ts';
import { STOPPED_STATES, TRANSITIONAL_STATES, type SliceHealth, type SliceStateChanged } from '../../supervisor/protocol.ts';
import type { SliceAssignment } from './slice-lifecycle.ts';

declare module 'fastify' {
  interface FastifyInstance {
    monitor: {
      /** Check every slice now (the timer calls this). */
      checkAll(): Promise<void>;
      /** Check one slice soon: the proxy saw it fail. Debounced. */
      checkSoon(sliceId: number): void;
      supervisorConnected(): boolean;
    };
  }
}

/** Not started, so started again; FATAL is not among them: it goes through the unhealthy count to restart(). */
const NOT_STARTED = new Set<string>(STOPPED_STATES.filter((s) => s !== 'FATAL'));
/** The supervisor is already doing something about the slice. */
const IN_HANDS_OF_SUPERVISOR = new Set<string>(TRANSITIONAL_STATES);

export default fp(
  async (app, opts: { startTimer?: boolean } = {}) => {
    const log = app.log.child({ component: 'monitor' });
    const failures = new Map<number, number>();
    const lastCheck = new Map<number, number>();
    let subscribed = false;
    let closing = false;
    let subscription: { close(): void } | null = null;
    let running: Promise<void> | null = null;

    async function act(listed: SliceAssignment, health: SliceHealth | null, error: unknown): Promise<void> {
      if (listed.desiredState !== 'running') return;
      if (!error && (!health || health.ok)) {
        if (health?.ok) failures.delete(listed.id);
        return;
      }
      // About to start or restart: read the row again. Billing (or the user) may have stopped the
      // slice since this pass listed it, and a slice stopped on purpose is never restarted.
      const slice = await app.slices.byId(listed.id);
      if (!slice || slice.desiredState !== 'running') return;
      if (error) {
        const err = toAppError(error);
        if (err.code === 'SLICE_NOT_FOUND' || err.kind === 'NotFound') {
          log.warn({ slice: slice.id }, 'the supervisor does not know this slice: creating and starting it');
          await app.slices.repair(slice);
        }
        return;
      }
      if (!health) return;
      if (health.ok) {
        failures.delete(slice.id);
        return;
      }
      if (NOT_STARTED.has(health.state)) {
        log.warn({ slice: slice.id, state: health.state }, 'slice should run but is not started: starting it');
        failures.delete(slice.id);
        await app.slices.repair(slice);
        return;
      }
      if (IN_HANDS_OF_SUPERVISOR.has(health.state)) return;
      // Slow is not dead: on a loaded host a running slice answers late, and restarting it (a new
      // browser, a new WhatsApp Web load) adds load. It is given MONITOR_SLOW_CHECKS before it is
      // taken for hung; an answer that says something is wrong counts at once.
      const slow = health.slow === true;
      const count = (failures.get(slice.id) ?? 0) + 1;
      failures.set(slice.id, count);
      const limit = slow ? app.config.MONITOR_SLOW_CHECKS : app.config.MONITOR_UNHEALTHY_CHECKS;
      if (count < limit) {
        if (slow) log.info({ slice: slice.id, detail: health.detail, checks: count, limit }, 'slice slow to answer');
        return;
      }
      log.warn({ slice: slice.id, state: health.state, detail: health.detail, checks: count }, slow ? 'slice not answering: restarting it as hung' : 'slice unhealthy: restarting it');
      failures.delete(slice.id);
      await app.slices.restart(slice, 'monitor', health.state, { detail: health.detail });
    }

    async function checkOne(slice: SliceAssignment): Promise<void> {
      lastCheck.set(slice.id, Date.now());
      let health: SliceHealth | null = null;
      let error: unknown = null;
      try {
        health = await app.supervisor.call('slice.health', { id: slice.id });
        await app.slices.recordHealth(slice.id, { state: health.state, health, ok: health.ok });
      } catch (err) {
        error = err;
        const e = toAppError(err);
        const state = e.code === 'SUPERVISOR_UNAVAILABLE' ? 'UNKNOWN' : slice.observedState;
        await app.slices.recordHealth(slice.id, { state, health: { ok: false, detail: e.message, checkedAt: new Date().toISOString() }, ok: false });
        if (e.code === 'SUPERVISOR_UNAVAILABLE') return;
      }
      try {
        await act(slice, health, error);
      } catch (err) {
        log.warn({ slice: slice.id, err: toAppError(err).message }, 'monitor action failed');
      }
    }

    async function checkAll(): Promise<void> {
      if (running) return running;
      running = (async () => {
        const slices = await app.slices.all();
        // A few at a time: 200 slices must not open 200 sockets at once.
        const queue = slices.filter((s) => s.desiredState !== 'removed');
        const workers = Array.from({ length: Math.min(4, queue.length) }, async () => {
          for (let s = queue.shift(); s; s = queue.shift()) await checkOne(s);
        });
        await Promise.all(workers);
      })()
        .catch((err) => log.warn({ err: toAppError(err).message }, 'monitor pass failed'))
        .finally(() => {
          running = null;
        });
      return running;
    }

    function checkSoon(sliceId: number): void {
      if (Date.now() - (lastCheck.get(sliceId) ?? 0) < 1_000) return;
      lastCheck.set(sliceId, Date.now());
      void app.slices
        .byId(sliceId)
        .then((s) => (s ? checkOne(s) : undefined))
        .catch(() => {});
    }

    async function onStateChanged(e: SliceStateChanged): Promise<void> {
      const slice = await app.slices.recordObserved(e.id, e.to, e.reason);
      if (slice && e.to === 'RUNNING') failures.delete(e.id);
    }

    async function subscribe(): Promise<void> {
      if (closing) return;
      try {
        subscription = await app.supervisor.subscribe(
          (e) => void onStateChanged(e).catch((err) => log.warn({ err: toAppError(err).message }, 'state change not recorded')),
          () => {
            subscribed = false;
            subscription = null;
            if (!closing) setTimeout(() => void subscribe(), 1_000).unref();
          },
        );
        subscribed = true;
        // Whatever changed while we were not listening: check everything once.
        void checkAll();
      } catch (err) {
        subscribed = false;
        if (!isAppError(err) || err.code !== 'SUPERVISOR_UNAVAILABLE') log.warn({ err: toAppError(err).message }, 'subscribe failed');
        if (!closing) setTimeout(() => void subscribe(), 1_000).unref();
      }
    }

    let timer: NodeJS.Timeout | null = null;
    if (opts.startTimer !== false) {
      app.addHook('onReady', async () => {
        void subscribe();
        timer = setInterval(() => void checkAll(), app.config.MONITOR_INTERVAL_MS);
        timer.unref();
      });
    }
    app.addHook('onClose', async () => {
      closing = true;
      if (timer) clearInterval(timer);
      subscription?.close();
      await running?.catch(() => {});
    });

    app.decorate('monitor', { checkAll, checkSoon, supervisorConnected: () => subscribed });
  },
  { name: 'monitor', dependencies: ['slice-lifecycle', 'supervisor'] },
);
