// The slices the daemon knows: for each, its state machine (state.ts), its record (token, desired
// state) and its current instance in the runtime. Events go in (commands, runtime exits, health
// answers, timers), transition() decides, and the effects are carried out here. Every state
// change is announced as a slice.stateChanged event.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import { AppError, isAppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { urlForRole } from '../../sql/database.ts';
import { dropSlice, provisionSlice, rotateSlicePassword, sliceRoleName } from '../../sql/provision.ts';
import { SIGNALLABLE_STATES, sliceName, slicePort, type SliceCreated, type SliceHealth, type SliceInfo, type SliceState, type SliceStateChanged } from '../protocol.ts';
import type { RuntimeExit, SliceRuntime } from '../runtimes/runtime.ts';
import type { HealthAnswer, HealthClient } from './health-client.ts';
import type { RecordStore, SliceRecord } from './records.ts';
import { initialMachine, transition, type Effect, type Event, type Machine, type StateContext } from './state.ts';

/** How soon a start is tried again while the runtime (the Docker engine) cannot be reached. */
const ENGINE_RETRY_MS = 1_000;

export interface RegistryOptions {
  runtime: SliceRuntime;
  records: RecordStore;
  adminDb: Kysely<any>;
  adminUrl: string;
  log: Logger;
  /** Asks a slice's GET /health (health-client.ts). */
  health: HealthClient;
  /** MAX_SLICES: the highest id a command may name. */
  maxSliceId: number;
  timing: Omit<StateContext, 'now'> & { healthIntervalMs: number };
  /** WA_MODE, SIM_* for every slice. */
  sliceEnv: Record<string, string>;
  now?: () => number;
}

interface Slot {
  id: number;
  record: SliceRecord;
  machine: Machine;
  instanceId: string | null;
  /** Set while a spawn is in flight; exits that arrive before its id is known wait here. */
  spawning: boolean;
  earlyExits: Map<string, string>;
  timer: NodeJS.Timeout | null;
  probe: NodeJS.Timeout | null;
  probing: boolean;
  /** Explicit operations on one slice run one after another. */
  queue: Promise<unknown>;
  removed: boolean;
}

export class SliceRegistry extends EventEmitter<{ stateChanged: [SliceStateChanged] }> {
  private readonly slots = new Map<number, Slot>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly opts: RegistryOptions) {
    super();
    this.now = opts.now ?? Date.now;
    opts.runtime.onExit((e) => this.onRuntimeExit(e));
  }

  private ctx(): StateContext {
    const { startsecs, startretries, stopwaitsecs, starttimeoutsecs } = this.opts.timing;
    return { now: this.now(), startsecs, startretries, stopwaitsecs, starttimeoutsecs };
  }

  /** Daemon start: load the records, adopt what runs, start what should run. */
  async init(): Promise<void> {
    const running = new Map((await this.opts.runtime.listRunning()).map((r) => [r.id, r.instanceId]));
    for (const record of this.opts.records.loadAll()) {
      const slot = this.newSlot(record);
      const instanceId = running.get(record.id);
      running.delete(record.id);
      if (instanceId) {
        slot.instanceId = instanceId;
        this.dispatch(slot, { type: 'ADOPT' });
      } else if (record.desired === 'running') {
        this.dispatch(slot, { type: 'START' });
      } else {
        this.dispatch(slot, { type: 'FOUND_STOPPED' });
      }
    }
    for (const [id, instanceId] of running) {
      // Managed but unknown to us (records lost): left alone, an operator decides.
      this.opts.log.warn({ slice: id, instanceId }, 'a managed slice instance runs without a record; leaving it alone');
    }
  }

  private newSlot(record: SliceRecord): Slot {
    const slot: Slot = {
      id: record.id,
      record,
      machine: initialMachine(this.now()),
      instanceId: null,
      spawning: false,
      earlyExits: new Map(),
      timer: null,
      probe: null,
      probing: false,
      queue: Promise.resolve(),
      removed: false,
    };
    this.slots.set(record.id, slot);
    return slot;
  }

  private dispatch(slot: Slot, event: Event): void {
    if (slot.removed || this.closed) return;
    const from = slot.machine.state;
    const r = transition(slot.machine, event, this.ctx());
    slot.machine = r.machine;
    if (r.reason !== null && r.machine.state !== from) {
      const change: SliceStateChanged = { id: slot.id, from, to: r.machine.state, at: new Date(r.machine.since).toISOString(), reason: r.reason };
      this.opts.log.info(change, 'slice state changed');
      this.emit('stateChanged', change);
    }
    if (slot.machine.state !== 'STARTING') this.stopProbe(slot);
    for (const effect of r.effects) this.apply(slot, effect);
  }

  private apply(slot: Slot, effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        void this.spawn(slot);
        return;
      case 'terminate':
      case 'kill':
        this.opts.runtime.signal(slot.id, effect.type).catch((err: unknown) => {
          this.opts.log.error({ slice: slot.id, err: (err as Error).message }, `could not ${effect.type} the slice`);
        });
        return;
      case 'timer': {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = setTimeout(() => {
          slot.timer = null;
          this.dispatch(slot, { type: 'TIMER' });
        }, Math.max(0, effect.at - this.now()));
        return;
      }
    }
  }

  private async spawn(slot: Slot): Promise<void> {
    slot.spawning = true;
    slot.instanceId = null;
    slot.earlyExits.clear();
    let instanceId: string;
    try {
      // A new instance gets a new database password; the old one stops working at once.
      const password = await rotateSlicePassword(this.opts.adminDb, slot.id);
      instanceId = await this.opts.runtime.start({
        id: slot.id,
        token: slot.record.token,
        storeGeneration: slot.record.storeGeneration,
        databaseUrl: urlForRole(this.opts.adminUrl, sliceRoleName(slot.id), password),
        env: this.opts.sliceEnv,
      });
    } catch (err) {
      slot.spawning = false;
      const message = err instanceof Error ? err.message : String(err);
      // The engine itself is away (restarted, upgrading): not this slice's failure. Keep trying
      // inside the same start (its starttimeoutsecs still bounds it) instead of spending the
      // start retries in seconds and ending FATAL while the engine comes back.
      if (isAppError(err) && err.code === 'RUNTIME_UNAVAILABLE' && slot.machine.state === 'STARTING' && !this.closed) {
        this.opts.log.warn({ slice: slot.id, err: message }, 'the runtime is not reachable: trying the start again in 1 s');
        setTimeout(() => {
          if (slot.machine.state === 'STARTING' && !slot.spawning && slot.instanceId === null && !slot.removed && !this.closed) void this.spawn(slot);
        }, ENGINE_RETRY_MS).unref();
        return;
      }
      this.opts.log.warn({ slice: slot.id, err: message }, 'slice could not be launched');
      if (slot.machine.state === 'STARTING') this.dispatch(slot, { type: 'SPAWN_FAILED', error: message });
      return;
    }
    slot.spawning = false;
    slot.instanceId = instanceId;
    const early = slot.earlyExits.get(instanceId);
    slot.earlyExits.clear();
    if (early !== undefined) {
      this.dispatch(slot, { type: 'EXIT', reason: early });
      return;
    }
    if (slot.machine.state === 'STARTING') this.startProbe(slot);
    else if (slot.machine.state === 'STOPPING') void this.opts.runtime.signal(slot.id, 'terminate').catch(() => {});
  }

  private onRuntimeExit(e: RuntimeExit): void {
    const slot = this.slots.get(e.id);
    if (!slot) return;
    if (slot.instanceId === e.instanceId) {
      slot.instanceId = null;
      this.dispatch(slot, { type: 'EXIT', reason: e.reason });
    } else if (slot.spawning) {
      slot.earlyExits.set(e.instanceId, e.reason);
    }
  }

  // ---- health --------------------------------------------------------------------------------

  private startProbe(slot: Slot): void {
    this.stopProbe(slot);
    const tick = async () => {
      if (slot.machine.state !== 'STARTING' || slot.probing) return;
      slot.probing = true;
      const answer = await this.askHealth(slot, 2000);
      slot.probing = false;
      if (slot.machine.state === 'STARTING' && slot.instanceId !== null) this.dispatch(slot, { type: 'HEALTH', ok: answer.ok, detail: answer.detail });
    };
    slot.probe = setInterval(() => void tick(), this.opts.timing.healthIntervalMs);
    void tick();
  }

  private stopProbe(slot: Slot): void {
    if (slot.probe) clearInterval(slot.probe);
    slot.probe = null;
  }

  private askHealth(slot: Slot, timeoutMs: number): Promise<HealthAnswer> {
    return this.opts.health(this.opts.runtime.baseUrl(slot.id), slot.record.token, timeoutMs);
  }

  // ---- commands --------------------------------------------------------------------------------

  /** The schema allows ids up to SLICE_ID_LIMIT; this daemon's range ends at MAX_SLICES. */
  private checkId(id: number): void {
    const max = this.opts.maxSliceId;
    if (id > max) throw new AppError('INVALID_ARGUMENT', `id: must be at most MAX_SLICES (${max}), got ${id}`, { details: { field: 'id' } });
  }

  private slot(id: number): Slot {
    this.checkId(id);
    const slot = this.slots.get(id);
    if (!slot) throw new AppError('SLICE_NOT_FOUND', `slice ${id} does not exist (slice.create it first)`);
    return slot;
  }

  private serial<T>(slot: Slot, fn: () => Promise<T>): Promise<T> {
    const run = slot.queue.then(fn, fn);
    slot.queue = run.catch(() => {});
    return run;
  }

  /** Resolve once the slice's state satisfies `reached` (or after timeoutMs, with whatever it is). */
  private waitFor(slot: Slot, reached: (state: SliceState) => boolean, timeoutMs: number): Promise<void> {
    if (reached(slot.machine.state)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('stateChanged', onChange);
        resolve();
      };
      const onChange = (e: SliceStateChanged) => {
        if (e.id === slot.id && reached(e.to)) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('stateChanged', onChange);
    });
  }

  info(id: number): SliceInfo {
    return this.infoOf(this.slot(id));
  }

  private infoOf(slot: Slot): SliceInfo {
    return {
      id: slot.id,
      name: sliceName(slot.id),
      port: slicePort(slot.id),
      state: slot.machine.state,
      since: new Date(slot.machine.since).toISOString(),
      restarts: slot.machine.restarts,
      lastError: slot.machine.lastError,
    };
  }

  list(): SliceInfo[] {
    return [...this.slots.values()].sort((a, b) => a.id - b.id).map((s) => this.infoOf(s));
  }

  /** Instance id (container id or pid) of the running instance, for tests and operators. */
  instanceOf(id: number): string | null {
    return this.slots.get(id)?.instanceId ?? null;
  }

  async create(id: number): Promise<SliceCreated> {
    this.checkId(id);
    const existing = this.slots.get(id);
    // A new slice owns a new store, unless it is one removed without purge coming back.
    const storeGeneration = existing?.record.storeGeneration ?? this.opts.records.keptGeneration(id) ?? crypto.randomBytes(12).toString('base64url');
    // Checked before anything is made: a refused create leaves nothing behind.
    await this.opts.runtime.prepare(id, storeGeneration);
    await provisionSlice(this.opts.adminDb, id);
    if (existing) return { ...this.infoOf(existing), created: false };
    const record: SliceRecord = { id, token: crypto.randomBytes(32).toString('base64url'), desired: 'stopped', createdAt: new Date().toISOString(), storeGeneration };
    this.opts.records.save(record);
    const slot = this.newSlot(record);
    this.dispatch(slot, { type: 'FOUND_STOPPED' });
    return { ...this.infoOf(slot), token: record.token, created: true };
  }

  start(id: number): Promise<SliceInfo> {
    const slot = this.slot(id);
    return this.serial(slot, async () => {
      this.setDesired(slot, 'running');
      if (slot.machine.state === 'STOPPING') await this.waitFor(slot, (s) => s === 'STOPPED', (this.opts.timing.stopwaitsecs + 30) * 1000);
      this.dispatch(slot, { type: 'START' });
      return this.infoOf(slot);
    });
  }

  stop(id: number): Promise<SliceInfo> {
    const slot = this.slot(id);
    return this.serial(slot, async () => {
      this.setDesired(slot, 'stopped');
      await this.stopAndWait(slot);
      return this.infoOf(slot);
    });
  }

  private async stopAndWait(slot: Slot): Promise<void> {
    this.dispatch(slot, { type: 'STOP' });
    await this.waitFor(slot, (s) => !SIGNALLABLE_STATES.includes(s), (this.opts.timing.stopwaitsecs + 30) * 1000);
  }

  restart(id: number): Promise<SliceInfo> {
    const slot = this.slot(id);
    return this.serial(slot, async () => {
      this.setDesired(slot, 'running');
      await this.stopAndWait(slot);
      this.dispatch(slot, { type: 'START' });
      return this.infoOf(slot);
    });
  }

  async remove(id: number, purgeData: boolean): Promise<Record<string, never>> {
    this.checkId(id);
    const slot = this.slots.get(id);
    if (slot) {
      await this.serial(slot, async () => {
        await this.stopAndWait(slot);
        slot.removed = true;
        this.stopProbe(slot);
        if (slot.timer) clearTimeout(slot.timer);
        this.slots.delete(id);
        this.opts.records.delete(id, purgeData ? null : { storeGeneration: slot.record.storeGeneration });
      });
    } else if (!purgeData) {
      throw new AppError('SLICE_NOT_FOUND', `slice ${id} does not exist`);
    }
    await this.opts.runtime.remove(id);
    if (purgeData) {
      await this.opts.runtime.purge(id);
      await dropSlice(this.opts.adminDb, id);
      this.opts.records.delete(id); // and the tombstone of an earlier remove, if any
    }
    return {};
  }

  /** slice.findRemnants: what of slice N is left in the database, the runtime and the records. */
  async findRemnants(id: number): Promise<string[]> {
    this.checkId(id);
    const name = sliceRoleName(id);
    const found: string[] = [];
    const db = await sql<{ schema: number; role: number }>`
      select (select count(*) from pg_namespace where nspname = ${name})::int as schema,
             (select count(*) from pg_roles where rolname = ${name})::int as role`.execute(this.opts.adminDb);
    if (db.rows[0]!.schema > 0) found.push(`schema ${name}`);
    if (db.rows[0]!.role > 0) found.push(`role ${name}`);
    found.push(...(await this.opts.runtime.remnants(id)));
    if (this.slots.has(id)) found.push(`supervisor record of slice ${id}`);
    else if (this.opts.records.keptGeneration(id) !== null) found.push(`supervisor tombstone of slice ${id} (its store was kept)`);
    return found;
  }

  async health(id: number): Promise<SliceHealth> {
    const slot = this.slot(id);
    const state = slot.machine.state;
    const checkedAt = new Date(this.now()).toISOString();
    const live = slot.instanceId !== null && (state === 'RUNNING' || state === 'STARTING');
    if (!live) {
      return { ok: false, state, wa: null, rssBytes: null, checkedAt, detail: `slice is ${state}${slot.machine.lastError ? `: ${slot.machine.lastError}` : ''}`, slice: null };
    }
    const [answer, rssBytes] = await Promise.all([this.askHealth(slot, 3000), this.opts.runtime.memoryBytes(id).catch(() => null)]);
    const body = answer.body as { ok?: unknown; wa?: unknown } | null;
    const wa = body && typeof body.wa === 'object' && body.wa !== null && typeof (body.wa as { state?: unknown }).state === 'string' ? (body.wa as { state: string }) : null;
    const sliceOk = answer.ok && body?.ok === true;
    const ok = state === 'RUNNING' && sliceOk;
    const detail = !answer.ok ? answer.detail : !sliceOk ? 'the slice reports a problem' : state !== 'RUNNING' ? `slice is ${state}` : 'healthy';
    return { ok, state, wa, rssBytes, checkedAt, detail, ...(answer.timedOut ? { slow: true } : {}), slice: answer.body ?? null };
  }

  async tailLog(id: number, lines: number): Promise<string[]> {
    this.slot(id);
    return this.opts.runtime.tailLog(id, lines);
  }

  private setDesired(slot: Slot, desired: SliceRecord['desired']): void {
    if (slot.record.desired === desired) return;
    slot.record = { ...slot.record, desired };
    this.opts.records.save(slot.record);
  }

  /** Daemon shutdown: timers and probes stop; instances are the runtime's business. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots.values()) {
      this.stopProbe(slot);
      if (slot.timer) clearTimeout(slot.timer);
    }
    this.removeAllListeners();
  }
}
