// The pure state machine, one test per edge, on a fake clock (ctx.now is just a number).
import t from 'tap';
import { transition, initialMachine, backoffDelayMs, type Machine, type StateContext, type Event } from '../slices/state.ts';
import type { SliceState } from '../protocol.ts';

const base: Omit<StateContext, 'now'> = { startsecs: 2, startretries: 3, stopwaitsecs: 5, starttimeoutsecs: 30 };
const at = (now: number): StateContext => ({ ...base, now });

function machine(state: SliceState, patch: Partial<Machine> = {}): Machine {
  return { ...initialMachine(0), state, ...patch };
}

function step(m: Machine, event: Event, now: number) {
  return transition(m, event, at(now));
}

t.test('STOPPED → STARTING on explicit start: spawn plus a start timeout', async (t) => {
  const r = step(machine('STOPPED'), { type: 'START' }, 1000);
  t.equal(r.machine.state, 'STARTING');
  t.equal(r.machine.since, 1000);
  t.same(r.effects, [{ type: 'spawn' }, { type: 'timer', at: 31_000 }]);
  t.ok(r.reason);
});

t.test('UNKNOWN → STARTING on start (autostart at daemon start)', async (t) => {
  t.equal(step(machine('UNKNOWN'), { type: 'START' }, 0).machine.state, 'STARTING');
});

t.test('STARTING stays STARTING until healthy for startsecs, then → RUNNING', async (t) => {
  let m = step(machine('STOPPED'), { type: 'START' }, 0).machine;
  m = step(m, { type: 'HEALTH', ok: true }, 500).machine;
  t.equal(m.state, 'STARTING');
  t.equal(m.healthySince, 500);
  m = step(m, { type: 'HEALTH', ok: true }, 2000).machine;
  t.equal(m.state, 'STARTING', '1.5 s healthy is not enough');
  const r = step(m, { type: 'HEALTH', ok: true }, 2500);
  t.equal(r.machine.state, 'RUNNING');
  t.equal(r.machine.retries, 0);
  t.equal(r.machine.deadline, null);
});

t.test('STARTING: a failed probe restarts the "healthy for" count', async (t) => {
  let m = step(machine('STOPPED'), { type: 'START' }, 0).machine;
  m = step(m, { type: 'HEALTH', ok: true }, 100).machine;
  m = step(m, { type: 'HEALTH', ok: false }, 1500).machine;
  t.equal(m.healthySince, null);
  m = step(m, { type: 'HEALTH', ok: true }, 2200).machine;
  t.equal(m.state, 'STARTING', 'only 0 s healthy since the failure');
  m = step(m, { type: 'HEALTH', ok: true }, 4200).machine;
  t.equal(m.state, 'RUNNING');
});

t.test('STARTING → BACKOFF on early exit, with a growing delay', async (t) => {
  const m0 = step(machine('STOPPED'), { type: 'START' }, 0).machine;
  const r1 = step(m0, { type: 'EXIT', reason: 'exit code 1' }, 300);
  t.equal(r1.machine.state, 'BACKOFF');
  t.equal(r1.machine.retries, 1);
  t.equal(r1.machine.lastError, 'exit code 1');
  t.same(r1.effects, [{ type: 'timer', at: 1300 }], 'first retry after 1 s');
  const r2 = step(step(r1.machine, { type: 'TIMER' }, 1300).machine, { type: 'EXIT', reason: 'exit code 1' }, 1400);
  t.equal(r2.machine.state, 'BACKOFF');
  t.same(r2.effects, [{ type: 'timer', at: 3400 }], 'second retry after 2 s');
  t.same([1, 2, 3, 4].map(backoffDelayMs), [1000, 2000, 3000, 4000]);
});

t.test('STARTING → BACKOFF when the runtime cannot spawn at all', async (t) => {
  const m0 = step(machine('STOPPED'), { type: 'START' }, 0).machine;
  const r = step(m0, { type: 'SPAWN_FAILED', error: 'no such image' }, 10);
  t.equal(r.machine.state, 'BACKOFF');
  t.equal(r.machine.lastError, 'no such image');
});

t.test('STARTING → BACKOFF with a kill when never healthy within starttimeoutsecs', async (t) => {
  const m0 = step(machine('STOPPED'), { type: 'START' }, 0).machine;
  const early = step(m0, { type: 'TIMER' }, 29_999);
  t.equal(early.machine.state, 'STARTING', 'an early timer changes nothing');
  t.same(early.effects, [{ type: 'timer', at: m0.deadline }], 'but is armed again for the deadline');
  const r = step(m0, { type: 'TIMER' }, 30_000);
  t.equal(r.machine.state, 'BACKOFF');
  t.same(r.effects[0], { type: 'kill' });
});

t.test('BACKOFF → STARTING when the delay is over (not before)', async (t) => {
  const m = machine('BACKOFF', { retries: 2, deadline: 5000 });
  t.equal(step(m, { type: 'TIMER' }, 4999).machine.state, 'BACKOFF');
  const r = step(m, { type: 'TIMER' }, 5000);
  t.equal(r.machine.state, 'STARTING');
  t.equal(r.machine.retries, 2, 'retries kept across the retry');
  t.same(r.effects[0], { type: 'spawn' });
});

t.test('STARTING → FATAL after startretries failed retries', async (t) => {
  let now = 0;
  let m = step(machine('STOPPED'), { type: 'START' }, now).machine;
  const states: string[] = [];
  for (let i = 0; i < 4; i++) {
    m = step(m, { type: 'EXIT', reason: 'exit code 3' }, ++now).machine;
    states.push(m.state);
    if (m.state === 'BACKOFF') m = step(m, { type: 'TIMER' }, (now = m.deadline!)).machine;
  }
  t.same(states, ['BACKOFF', 'BACKOFF', 'BACKOFF', 'FATAL'], 'startretries=3: three retries, then FATAL');
  t.equal(m.deadline, null);
  t.match(m.lastError, /exit code 3/);
});

t.test('FATAL is left only by an explicit start', async (t) => {
  const m = machine('FATAL', { retries: 4, lastError: 'x' });
  for (const e of [{ type: 'TIMER' }, { type: 'EXIT', reason: 'x' }, { type: 'HEALTH', ok: true }, { type: 'STOP' }, { type: 'ADOPT' }] as Event[]) {
    t.equal(step(m, e, 10_000_000).machine.state, 'FATAL', `${e.type} keeps FATAL`);
  }
  const r = step(m, { type: 'START' }, 1);
  t.equal(r.machine.state, 'STARTING');
  t.equal(r.machine.retries, 0);
  t.equal(r.machine.lastError, null);
});

t.test('RUNNING → EXITED on an unexpected exit, then → STARTING at once with restarts counted', async (t) => {
  const m = machine('RUNNING', { restarts: 0 });
  const r = step(m, { type: 'EXIT', reason: 'killed by SIGKILL' }, 7000);
  t.equal(r.machine.state, 'EXITED');
  t.equal(r.machine.restarts, 1);
  t.same(r.effects, [{ type: 'timer', at: 7000 }]);
  const r2 = step(r.machine, { type: 'TIMER' }, 7000);
  t.equal(r2.machine.state, 'STARTING');
  t.equal(r2.machine.restarts, 1, 'the autorestart keeps the count');
});

t.test('STARTING and RUNNING → STOPPING: terminate, kill after stopwaitsecs', async (t) => {
  for (const s of ['STARTING', 'RUNNING'] as const) {
    const r = step(machine(s), { type: 'STOP' }, 100);
    t.equal(r.machine.state, 'STOPPING');
    t.same(r.effects, [{ type: 'terminate' }, { type: 'timer', at: 5100 }]);
  }
  const stopping = step(machine('RUNNING'), { type: 'STOP' }, 100).machine;
  t.same(step(stopping, { type: 'TIMER' }, 5099).effects, [{ type: 'timer', at: 5100 }], 'not killed before stopwaitsecs: the timer is armed again');
  const k = step(stopping, { type: 'TIMER' }, 5100);
  t.equal(k.machine.state, 'STOPPING');
  t.same(k.effects, [{ type: 'kill' }]);
});

t.test('STOPPING → STOPPED when it exits', async (t) => {
  const r = step(machine('STOPPING'), { type: 'EXIT', reason: 'exit code 0' }, 5);
  t.equal(r.machine.state, 'STOPPED');
});

t.test('BACKOFF and EXITED → STOPPED on stop (pending retry cancelled)', async (t) => {
  for (const s of ['BACKOFF', 'EXITED'] as const) {
    const r = step(machine(s, { deadline: 99 }), { type: 'STOP' }, 5);
    t.equal(r.machine.state, 'STOPPED');
    t.equal(r.machine.deadline, null);
    t.same(r.effects, []);
  }
});

t.test('UNKNOWN → RUNNING on adopt; UNKNOWN → STOPPED when found stopped or stopped', async (t) => {
  t.equal(step(machine('UNKNOWN'), { type: 'ADOPT' }, 1).machine.state, 'RUNNING');
  t.equal(step(machine('UNKNOWN'), { type: 'FOUND_STOPPED' }, 1).machine.state, 'STOPPED');
  t.equal(step(machine('UNKNOWN'), { type: 'STOP' }, 1).machine.state, 'STOPPED');
  t.equal(step(machine('STOPPED'), { type: 'ADOPT' }, 1).machine.state, 'STOPPED', 'only from UNKNOWN');
});

t.test('no-ops: start while STARTING/RUNNING/STOPPING, stop while STOPPED, stale exits', async (t) => {
  for (const s of ['STARTING', 'RUNNING', 'STOPPING'] as const) {
    const r = step(machine(s), { type: 'START' }, 1);
    t.equal(r.machine.state, s);
    t.same(r.effects, []);
    t.equal(r.reason, null);
  }
  t.equal(step(machine('STOPPED'), { type: 'STOP' }, 1).reason, null);
  for (const s of ['STOPPED', 'BACKOFF', 'EXITED'] as const) t.equal(step(machine(s), { type: 'EXIT', reason: 'x' }, 1).machine.state, s);
  t.equal(step(machine('RUNNING'), { type: 'HEALTH', ok: false }, 1).machine.state, 'RUNNING', 'RUNNING is judged by exits');
});
