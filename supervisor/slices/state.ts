// supervisord's process state machine, as a pure function: (machine, event, ctx) → (machine,
// effects). No clock, no I/O: the registry feeds events (explicit commands, the runtime's exits,
// health answers, timers firing) and carries out the effects (spawn, signal, kill, set a timer).
//
// Differences from supervisord, on purpose:
// - startsecs means "healthy for": STARTING → RUNNING only once the slice's /health has answered
//   ok continuously for startsecs (a failed probe restarts the count), not "alive for".
// - starttimeoutsecs: a slice that never becomes healthy is killed and counted as a failed start.
// - A container found running when the daemon starts is adopted straight into RUNNING.
import type { SliceState } from '../protocol.ts';

export interface StateContext {
  /** Milliseconds since the epoch (a fake clock in tests). */
  now: number;
  startsecs: number;
  startretries: number;
  stopwaitsecs: number;
  starttimeoutsecs: number;
}

export interface Machine {
  state: SliceState;
  since: number;
  /** Unplanned restarts (after RUNNING ended on its own) since the last explicit start. */
  restarts: number;
  /** Consecutive failed start attempts (supervisord's `backoff`). */
  retries: number;
  /** Start of the current unbroken run of ok health answers while STARTING. */
  healthySince: number | null;
  /** When the pending timer of this state is due: retry (BACKOFF/EXITED), kill (STOPPING), give up (STARTING). */
  deadline: number | null;
  lastError: string | null;
}

export type Event =
  | { type: 'START' } // explicit: slice.start / slice.restart / autostart on daemon start
  | { type: 'STOP' } // explicit: slice.stop / slice.remove / slice.restart
  | { type: 'SPAWN_FAILED'; error: string } // the runtime could not launch it at all
  | { type: 'EXIT'; reason: string } // the runtime saw it end (exit code, killed, oom)
  | { type: 'HEALTH'; ok: boolean; detail?: string }
  | { type: 'TIMER' } // a timer set by an effect fired (ctx.now says when)
  | { type: 'ADOPT' } // found running at daemon start
  | { type: 'FOUND_STOPPED' }; // found not running at daemon start, not wanted running

export type Effect =
  | { type: 'spawn' }
  | { type: 'terminate' } // polite stop (SIGTERM)
  | { type: 'kill' } // SIGKILL
  | { type: 'timer'; at: number };

export interface Transition {
  machine: Machine;
  effects: Effect[];
  /** Set when the state changed: why, for slice.stateChanged. */
  reason: string | null;
}

export function initialMachine(now: number): Machine {
  return { state: 'UNKNOWN', since: now, restarts: 0, retries: 0, healthySince: null, deadline: null, lastError: null };
}

/** supervisord's growing backoff: 1 s after the first failed start, 2 s after the second, … */
export function backoffDelayMs(retries: number): number {
  return Math.max(1, retries) * 1000;
}

function to(m: Machine, state: SliceState, ctx: StateContext, reason: string, patch: Partial<Machine> = {}, effects: Effect[] = []): Transition {
  return { machine: { ...m, ...patch, state, since: ctx.now }, effects, reason };
}

function stay(m: Machine, patch: Partial<Machine> = {}, effects: Effect[] = []): Transition {
  return { machine: { ...m, ...patch }, effects, reason: null };
}

/** Enter STARTING: spawn, and give the slice starttimeoutsecs to become healthy. */
function starting(m: Machine, ctx: StateContext, reason: string, patch: Partial<Machine> = {}): Transition {
  const deadline = ctx.now + ctx.starttimeoutsecs * 1000;
  return to(m, 'STARTING', ctx, reason, { healthySince: null, deadline, ...patch }, [{ type: 'spawn' }, { type: 'timer', at: deadline }]);
}

/** A start attempt failed (early exit, spawn failure, never healthy): BACKOFF, or FATAL when out of retries. */
function failedStart(m: Machine, ctx: StateContext, why: string, extra: Effect[] = []): Transition {
  const retries = m.retries + 1;
  if (retries > ctx.startretries) {
    // STARTING/BACKOFF → FATAL: supervisord gives up after startretries failed retries.
    return to(m, 'FATAL', ctx, `gave up after ${retries} failed starts: ${why}`, { retries, healthySince: null, deadline: null, lastError: why }, extra);
  }
  const deadline = ctx.now + backoffDelayMs(retries);
  // STARTING → BACKOFF: exited (or never became healthy) before startsecs; retry after a growing delay.
  return to(m, 'BACKOFF', ctx, `start failed (${why}); retry ${retries} of ${ctx.startretries} in ${backoffDelayMs(retries) / 1000} s`,
    { retries, healthySince: null, deadline, lastError: why }, [...extra, { type: 'timer', at: deadline }]);
}

export function transition(m: Machine, event: Event, ctx: StateContext): Transition {
  switch (event.type) {
    case 'START':
      switch (m.state) {
        // STOPPED/EXITED/FATAL/BACKOFF/UNKNOWN → STARTING: an explicit start; counters start afresh.
        // This is the only edge out of FATAL.
        case 'STOPPED':
        case 'EXITED':
        case 'FATAL':
        case 'BACKOFF':
        case 'UNKNOWN':
          return starting(m, ctx, 'start requested', { retries: 0, restarts: 0, lastError: null });
        // STARTING/RUNNING: already on its way; nothing to do (idempotent).
        // STOPPING: the registry waits for STOPPED before starting again (restart).
        default:
          return stay(m);
      }

    case 'STOP':
      switch (m.state) {
        // STARTING/RUNNING → STOPPING: SIGTERM now, SIGKILL if still alive after stopwaitsecs.
        case 'STARTING':
        case 'RUNNING': {
          const deadline = ctx.now + ctx.stopwaitsecs * 1000;
          return to(m, 'STOPPING', ctx, 'stop requested', { healthySince: null, deadline }, [{ type: 'terminate' }, { type: 'timer', at: deadline }]);
        }
        // BACKOFF/EXITED → STOPPED: nothing runs; the pending retry is cancelled.
        case 'BACKOFF':
        case 'EXITED':
          return to(m, 'STOPPED', ctx, 'stop requested', { deadline: null });
        // UNKNOWN → STOPPED: nothing was found running for it.
        case 'UNKNOWN':
          return to(m, 'STOPPED', ctx, 'stop requested', { deadline: null });
        // STOPPING/STOPPED/FATAL: already stopping or not running.
        default:
          return stay(m);
      }

    case 'SPAWN_FAILED':
      // STARTING → BACKOFF/FATAL: the runtime could not even launch it (counts as a failed start).
      if (m.state === 'STARTING') return failedStart(m, ctx, event.error);
      return stay(m);

    case 'EXIT':
      switch (m.state) {
        // STARTING → BACKOFF/FATAL: it ended before being healthy for startsecs.
        case 'STARTING':
          return failedStart(m, ctx, event.reason);
        // RUNNING → EXITED: an unexpected end; restart at once (autorestart), counted in restarts.
        case 'RUNNING':
          return to(m, 'EXITED', ctx, `exited unexpectedly: ${event.reason}`,
            { restarts: m.restarts + 1, retries: 0, healthySince: null, deadline: ctx.now, lastError: event.reason }, [{ type: 'timer', at: ctx.now }]);
        // STOPPING → STOPPED: the stop we asked for completed.
        case 'STOPPING':
          return to(m, 'STOPPED', ctx, `stopped (${event.reason})`, { deadline: null });
        // Any other state: an exit of an instance we no longer track (already killed, stale).
        default:
          return stay(m);
      }

    case 'HEALTH':
      if (m.state !== 'STARTING') return stay(m); // RUNNING slices are watched through their exits
      if (!event.ok) {
        // STARTING, probe failed: the "healthy for" count starts over.
        return stay(m, { healthySince: null });
      }
      {
        const healthySince = m.healthySince ?? ctx.now;
        if (ctx.now - healthySince >= ctx.startsecs * 1000) {
          // STARTING → RUNNING: healthy continuously for startsecs. retries reset as in supervisord.
          return to(m, 'RUNNING', ctx, `healthy for ${ctx.startsecs} s`, { healthySince: null, retries: 0, deadline: null });
        }
        return stay(m, { healthySince });
      }

    case 'TIMER':
      if (m.deadline === null) return stay(m); // stale timer: nothing is waiting
      // A timer may fire a millisecond before the clock reaches its deadline: arm it again, or the
      // slice would wait in BACKOFF/EXITED/STARTING forever.
      if (ctx.now < m.deadline) return stay(m, {}, [{ type: 'timer', at: m.deadline }]);
      switch (m.state) {
        // BACKOFF → STARTING: the backoff delay is over; try again (retries kept).
        case 'BACKOFF':
          return starting(m, ctx, `retry ${m.retries} after backoff`);
        // EXITED → STARTING: autorestart after an unexpected exit.
        case 'EXITED':
          return starting(m, ctx, 'restarting after unexpected exit');
        // STOPPING, stopwaitsecs elapsed: SIGKILL; STOPPED follows with the EXIT.
        case 'STOPPING':
          return stay(m, { deadline: null }, [{ type: 'kill' }]);
        // STARTING → BACKOFF/FATAL: never healthy within starttimeoutsecs; kill it, count a failure.
        case 'STARTING':
          return failedStart(m, ctx, `not healthy within ${ctx.starttimeoutsecs} s`, [{ type: 'kill' }]);
        default:
          return stay(m, { deadline: null });
      }

    case 'ADOPT':
      // UNKNOWN → RUNNING: a managed container already runs at daemon start; keep it as it is.
      if (m.state === 'UNKNOWN') return to(m, 'RUNNING', ctx, 'adopted a running instance', { deadline: null });
      return stay(m);

    case 'FOUND_STOPPED':
      // UNKNOWN → STOPPED: nothing runs and it is not wanted running.
      if (m.state === 'UNKNOWN') return to(m, 'STOPPED', ctx, 'not running at daemon start', { deadline: null });
      return stay(m);
  }
}
