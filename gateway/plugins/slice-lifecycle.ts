// The one owner of a slice's lifecycle in the gateway: who has which slice (rows of gateway.slices,
// cached in memory for the proxy's hot path), and every change to one. Only this module writes
// gateway.slices, calls the supervisor's slice.create/start/stop/restart/remove, invalidates the
// cache, writes the slice rows of the audit log and publishes slice.state events. The others ask
// it to act and say why: the user (connect), the monitor (health), billing (payment), an operator.
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import { AppError, isAppError, toAppError } from '../../lib/errors.ts';
import { slicePort } from '../../supervisor/protocol.ts';
import type { SliceRow, StoppedBy } from '../../sql/gateway/slices.table.ts';
import { writeAudit, type AuditActor } from '../support/audit.ts';
import { lifecycleCalls } from './supervisor.ts';

/** An account's slice as the gateway knows it (a row of gateway.slices) and the proxy reaches it. */
export interface SliceAssignment {
  id: number;
  accountId: string;
  port: number;
  token: string;
  desiredState: SliceRow['desired_state'];
  observedState: string;
  health: Record<string, unknown> | null;
  healthCheckedAt: Date | null;
  unhealthySince: Date | null;
  /** http://127.0.0.1:{port}, built once */
  upstream: string;
  /** 127.0.0.1:{port}, the Host header a slice receives */
  host: string;
  authorization: string;
}

/** Who asked for a change; it lands in the audit row (its actor) and, for a stop, in stopped_by. */
export type LifecycleReason = 'user' | 'monitor' | 'billing' | 'operator';

declare module 'fastify' {
  interface FastifyInstance {
    slices: {
      forAccount(accountId: string): Promise<SliceAssignment | null>;
      /** The cached record (null: known to have none), or undefined when forAccount must ask the database. */
      cachedForAccount(accountId: string): SliceAssignment | null | undefined;
      byId(id: number): Promise<SliceAssignment | null>;
      all(): Promise<SliceAssignment[]>;
      /** Drop cached records (all, or one account's): the next read asks the database. */
      invalidate(accountId?: string): void;
      /** A member asks: give the account a slice (idempotent) and have it running. */
      connect(accountId: string, byUserId: string): Promise<SliceAssignment>;
      /** Called whenever a slice is seen RUNNING (after a start, a restart, an adoption): what the slice must be told again (the team) is sent from here. */
      onRunning(listener: (slice: SliceAssignment) => void): void;
      /** Called once per logout the slice reports (its /health's wa.lastLogout, kept until READY
       * again): the owner is told from there. Seen by the monitor, so within one interval. */
      onUnlinked(listener: (slice: SliceAssignment, logout: WaLogoutSeen) => void): void;
      /**
       * Make the supervisor run what the table says should run (it lost the slice, or never
       * started it): create it when unknown, keep its token, start it. No decision changes, so no
       * audit row.
       */
      repair(record: SliceAssignment): Promise<SliceAssignment>;
      /**
       * Restart an unhealthy slice seen in `observed` state (a FATAL one is started: the only way
       * out of FATAL). The state and details land in the audit row.
       */
      restart(record: SliceAssignment, reason: LifecycleReason, observed: string, details: Record<string, unknown>): Promise<void>;
      /**
       * Stop a slice on purpose (desired_state 'stopped', stopped_by the reason: nothing restarts
       * it; data and login are kept). Asked again for a slice already stopped for the same
       * reason, it only asks the supervisor again.
       */
      stop(id: number, reason: StoppedBy, details: Record<string, unknown>): Promise<void>;
      /** Start again a slice that was stopped for this reason (and only then). */
      resume(id: number, reason: StoppedBy, details: Record<string, unknown>): Promise<void>;
      /** Remove a slice with its data (schema, role, session volume) through the supervisor. */
      remove(id: number, reason: StoppedBy, details: Record<string, unknown>): Promise<void>;
      /**
       * The account is being deleted: its slice removed with its data (again, when an earlier
       * removal already ran: purging is idempotent) and its gateway.slices row deleted. The slice's
       * id, or null when the account had none.
       */
      removeForDeletion(accountId: string, details: Record<string, unknown>): Promise<number | null>;
      /** The supervisor said the slice changed state. */
      recordObserved(id: number, state: string, why: string): Promise<SliceAssignment | null>;
      /** The monitor's health check of one slice. */
      recordHealth(id: number, values: { state: string; health: unknown; ok: boolean }): Promise<void>;
    };
  }
}

const CACHE_MS = 10_000;
/** advisory-lock key for slice id allocation (first key: "QGWY") */
const ALLOCATION_LOCK: [number, number] = [0x5147_5759, 1];

/** A logout as the slice's /health reports it (slice/wa/types.ts WaLogout). */
export interface WaLogoutSeen {
  at: string;
  by: 'phone' | 'user';
}

/** The logout in a recorded health document, if it carries one. */
function logoutIn(health: unknown): WaLogoutSeen | null {
  const l = (health as { wa?: { lastLogout?: { at?: unknown; by?: unknown } | null } } | null)?.wa?.lastLogout;
  if (!l || typeof l.at !== 'string' || (l.by !== 'phone' && l.by !== 'user')) return null;
  return { at: l.at, by: l.by };
}

function toRecord(row: SliceRow): SliceAssignment {
  return {
    id: row.id,
    accountId: String(row.account_id),
    port: row.port,
    token: row.token,
    desiredState: row.desired_state,
    observedState: row.observed_state,
    health: row.health,
    healthCheckedAt: row.health_checked_at,
    unhealthySince: row.unhealthy_since,
    upstream: `http://127.0.0.1:${row.port}`,
    host: `127.0.0.1:${row.port}`,
    authorization: `Bearer ${row.token}`,
  };
}

function actorOf(reason: LifecycleReason, accountId: string): AuditActor {
  return reason === 'user' ? `account:${accountId}` : reason;
}

/**
 * The audit action of a lifecycle change. Billing's keep their `billing.` prefix: operators'
 * queries of the audit log already read them under those names.
 */
function actionOf(reason: LifecycleReason, verb: 'allocate' | 'start' | 'stop' | 'restart' | 'remove'): string {
  return reason === 'billing' ? `billing.slice.${verb}` : `slice.${verb}`;
}

function notFound(err: unknown): boolean {
  const e = toAppError(err);
  return e.code === 'SLICE_NOT_FOUND' || e.kind === 'NotFound';
}

export default fp(
  async (app) => {
    const log = app.log.child({ component: 'slices' });
    const supervisor = lifecycleCalls(app);
    const byAccount = new Map<string, { record: SliceAssignment | null; until: number }>();
    const inFlight = new Map<string, Promise<SliceAssignment>>();
    const runningListeners: ((slice: SliceAssignment) => void)[] = [];
    const unlinkedListeners: ((slice: SliceAssignment, logout: WaLogoutSeen) => void)[] = [];
    function sawRunning(slice: SliceAssignment): void {
      for (const listener of runningListeners) {
        try {
          listener(slice);
        } catch (err) {
          log.warn({ err, slice: slice.id }, 'a RUNNING listener failed');
        }
      }
    }

    // ---- reads ----

    async function loadForAccount(accountId: string): Promise<SliceAssignment | null> {
      const row = await app.db.selectFrom('slices').selectAll().where('account_id', '=', accountId).executeTakeFirst();
      return row ? toRecord(row) : null;
    }

    async function forAccount(accountId: string): Promise<SliceAssignment | null> {
      const hit = byAccount.get(accountId);
      if (hit && hit.until > Date.now()) return hit.record;
      const record = await loadForAccount(accountId);
      if (byAccount.size > 50_000) byAccount.clear();
      byAccount.set(accountId, { record, until: Date.now() + CACHE_MS });
      return record;
    }

    async function byId(id: number): Promise<SliceAssignment | null> {
      const row = await app.db.selectFrom('slices').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    }

    function invalidate(accountId?: string): void {
      if (accountId === undefined) byAccount.clear();
      else byAccount.delete(accountId);
    }

    function publishState(accountId: string, id: number, state: string, reason: string): void {
      app.events.publish(accountId, 'slice.state', { id, state, reason, at: new Date().toISOString() });
    }

    // ---- the user's connect ----

    async function allocate(accountId: string, byUserId: string): Promise<SliceAssignment> {
      const max = app.config.MAX_SLICES;
      return app.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${ALLOCATION_LOCK[0]}, ${ALLOCATION_LOCK[1]})`.execute(trx);
        const existing = await trx.selectFrom('slices').selectAll().where('account_id', '=', accountId).executeTakeFirst();
        if (existing) return toRecord(existing);
        const free = await sql<{ id: number }>`
          select g as id from generate_series(1, ${max}::int) g
          where not exists (select 1 from gateway.slices s where s.id = g) order by g limit 1`.execute(trx);
        const id = free.rows[0]?.id;
        if (id === undefined) throw new AppError('RESOURCE_EXHAUSTED', `every slice (1..${max}) is taken: raise MAX_SLICES or free one`);
        const row = await trx
          .insertInto('slices')
          .values({ id, account_id: accountId, port: slicePort(id), token: '', desired_state: 'running' })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, { actor: `user:${byUserId}`, userId: byUserId, accountId, action: actionOf('user', 'allocate'), details: { id } });
        return toRecord(row);
      });
    }

    async function storeToken(id: number, token: string): Promise<void> {
      await app.db.updateTable('slices').set({ token, updated_at: new Date() }).where('id', '=', id).execute();
    }

    async function repair(record: SliceAssignment): Promise<SliceAssignment> {
      let created = await supervisor.call('slice.create', { id: record.id });
      if (created.token) {
        await storeToken(record.id, created.token);
      } else if (!record.token) {
        // The supervisor made this slice earlier but we never stored its token (a crash between the
        // two): have it forget the slice, keeping its data, and create it again for a fresh token.
        await supervisor.call('slice.remove', { id: record.id });
        created = await supervisor.call('slice.create', { id: record.id });
        if (!created.token) throw new AppError('INTERNAL', `the supervisor returned no token for slice ${record.id}`);
        await storeToken(record.id, created.token);
      }
      const info = await supervisor.call('slice.start', { id: record.id });
      const updated = await setObserved(record.id, info.state);
      return updated ?? record;
    }

    /** observed_state written and the fresh record cached. */
    async function setObserved(id: number, state: string): Promise<SliceAssignment | null> {
      const row = await app.db
        .updateTable('slices')
        .set({ observed_state: state, updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      const record = toRecord(row);
      byAccount.set(record.accountId, { record, until: Date.now() + CACHE_MS });
      return record;
    }

    async function connectOnce(accountId: string, byUserId: string): Promise<SliceAssignment> {
      let record = await loadForAccount(accountId);
      if (!record) {
        try {
          record = await allocate(accountId, byUserId);
        } catch (err) {
          // Another gateway process won the race for this account (unique account_id): take its row.
          if (!isAppError(err) && (err as { code?: string }).code === '23505') record = await loadForAccount(accountId);
          if (!record) throw err;
        }
      }
      if (record.desiredState !== 'running') {
        await app.db.updateTable('slices').set({ desired_state: 'running', stopped_by: null, updated_at: new Date() }).where('id', '=', record.id).execute();
      }
      invalidate(accountId);
      try {
        return await repair(record);
      } finally {
        invalidate(accountId);
        app.events.sliceChanged(accountId);
      }
    }

    // ---- the monitor's, billing's and operators' changes ----

    async function restart(record: SliceAssignment, reason: LifecycleReason, observed: string, details: Record<string, unknown>): Promise<void> {
      if (observed === 'FATAL') await supervisor.call('slice.start', { id: record.id });
      else await supervisor.call('slice.restart', { id: record.id });
      await writeAudit(app.db, { actor: actorOf(reason, record.accountId), accountId: record.accountId, action: actionOf(reason, 'restart'), details: { id: record.id, state: observed, ...details } });
    }

    async function stop(id: number, reason: StoppedBy, details: Record<string, unknown>): Promise<void> {
      const marked = await app.db
        .updateTable('slices')
        .set({ desired_state: 'stopped', stopped_by: reason, updated_at: new Date() })
        .where('id', '=', id)
        .where('desired_state', '=', 'running')
        .returning('account_id')
        .executeTakeFirst();
      let accountId: string;
      if (marked) {
        accountId = String(marked.account_id);
        await writeAudit(app.db, { actor: actorOf(reason, accountId), accountId, action: actionOf(reason, 'stop'), details: { id, ...details } });
        invalidate(accountId);
        log.info({ slice: id, account: accountId, reason }, 'stopping the slice on purpose (data and login kept)');
      } else {
        // Not running in the table: only a slice already stopped for this reason is asked again
        // (the supervisor may not have confirmed the first stop); anything else changed under us.
        const row = await app.db.selectFrom('slices').select(['account_id', 'desired_state', 'stopped_by']).where('id', '=', id).executeTakeFirst();
        if (!row || row.desired_state !== 'stopped' || row.stopped_by !== reason) return;
        accountId = String(row.account_id);
      }
      try {
        const info = await supervisor.call('slice.stop', { id });
        await setObserved(id, info.state);
        publishState(accountId, id, info.state, reason);
      } catch (err) {
        if (!notFound(err)) throw err;
        await setObserved(id, 'STOPPED');
      }
      // setObserved cached the record as it is now: nothing left to invalidate.
    }

    async function resume(id: number, reason: StoppedBy, details: Record<string, unknown>): Promise<void> {
      const marked = await app.db
        .updateTable('slices')
        .set({ desired_state: 'running', stopped_by: null, updated_at: new Date() })
        .where('id', '=', id)
        .where('desired_state', '=', 'stopped')
        .where('stopped_by', '=', reason)
        .returning('account_id')
        .executeTakeFirst();
      if (!marked) return;
      const accountId = String(marked.account_id);
      await writeAudit(app.db, { actor: actorOf(reason, accountId), accountId, action: actionOf(reason, 'start'), details: { id, ...details } });
      invalidate(accountId);
      log.info({ slice: id, account: accountId, reason }, 'starting again the slice that was stopped on purpose');
      const record = await byId(id);
      if (record) await repair(record);
      invalidate(accountId);
      app.events.sliceChanged(accountId);
    }

    async function remove(id: number, reason: StoppedBy, details: Record<string, unknown>): Promise<void> {
      // Stopped first, so nothing restarts it while the supervisor removes it.
      const row = await app.db
        .updateTable('slices')
        .set({ desired_state: 'stopped', stopped_by: reason, updated_at: new Date() })
        .where('id', '=', id)
        .where('desired_state', '!=', 'removed')
        .returning('account_id')
        .executeTakeFirst();
      if (!row) return;
      const accountId = String(row.account_id);
      invalidate(accountId);
      try {
        await supervisor.call('slice.remove', { id, purgeData: true });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
      await app.db.updateTable('slices').set({ desired_state: 'removed', observed_state: 'REMOVED', updated_at: new Date() }).where('id', '=', id).execute();
      await writeAudit(app.db, { actor: actorOf(reason, accountId), accountId, action: actionOf(reason, 'remove'), details: { id, purgeData: true, ...details } });
      invalidate(accountId);
      log.info({ slice: id, account: accountId, reason }, 'slice and its data removed');
    }

    async function removeForDeletion(accountId: string, details: Record<string, unknown>): Promise<number | null> {
      const record = await loadForAccount(accountId);
      if (!record) return null;
      await remove(record.id, 'user', details);
      if (record.desiredState === 'removed') {
        try {
          await supervisor.call('slice.remove', { id: record.id, purgeData: true });
        } catch (err) {
          if (!notFound(err)) throw err;
        }
      }
      await app.db.deleteFrom('slices').where('id', '=', record.id).execute();
      invalidate(accountId);
      log.info({ slice: record.id, account: accountId }, 'slice row deleted with its account');
      return record.id;
    }

    async function recordObserved(id: number, state: string, why: string): Promise<SliceAssignment | null> {
      const slice = await setObserved(id, state);
      if (!slice) return null;
      publishState(slice.accountId, id, state, why);
      if (state === 'RUNNING') {
        app.events.sliceChanged(slice.accountId);
        sawRunning(slice);
      }
      return slice;
    }

    async function recordHealth(id: number, values: { state: string; health: unknown; ok: boolean }): Promise<void> {
      const now = new Date();
      const before = await byId(id);
      // The previous health read under the row's lock: two checks of one slice at once (the timer
      // and checkSoon) see a new logout once between them, so the owner gets one mail.
      const previousHealth = await app.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('slices').select('health').where('id', '=', id).forUpdate().executeTakeFirst();
        await trx
          .updateTable('slices')
          .set((eb) => ({
            observed_state: values.state,
            health: JSON.stringify(values.health),
            health_checked_at: now,
            unhealthy_since: values.ok ? null : eb.fn.coalesce('unhealthy_since', eb.val(now)),
            updated_at: now,
          }))
          .where('id', '=', id)
          .execute();
        return row?.health ?? null;
      });
      const logout = logoutIn(values.health);
      if (before && logout && logout.at !== logoutIn(previousHealth)?.at) {
        for (const listener of unlinkedListeners) {
          try {
            listener(before, logout);
          } catch (err) {
            log.warn({ err, slice: id }, 'an unlinked listener failed');
          }
        }
      }
      if (before) {
        invalidate(before.accountId);
        if (before.observedState !== values.state) {
          publishState(before.accountId, id, values.state, 'health check');
          if (values.state === 'RUNNING') sawRunning({ ...before, observedState: values.state });
        }
      }
    }

    app.decorate('slices', {
      forAccount,
      cachedForAccount(accountId: string) {
        const hit = byAccount.get(accountId);
        return hit && hit.until > Date.now() ? hit.record : undefined;
      },
      byId,
      async all() {
        const rows = await app.db.selectFrom('slices').selectAll().orderBy('id').execute();
        return rows.map(toRecord);
      },
      invalidate,
      onUnlinked(listener) {
        unlinkedListeners.push(listener);
      },
      onRunning(listener) {
        runningListeners.push(listener);
      },
      connect(accountId: string, byUserId: string) {
        // Ten concurrent clicks make one flow here; the advisory lock covers other processes.
        const running = inFlight.get(accountId);
        if (running) return running;
        const p = connectOnce(accountId, byUserId).finally(() => inFlight.delete(accountId));
        inFlight.set(accountId, p);
        return p;
      },
      repair,
      restart,
      stop,
      resume,
      remove,
      removeForDeletion,
      recordObserved,
      recordHealth,
    });
  },
  { name: 'slice-lifecycle', dependencies: ['db', 'supervisor', 'events'] },
);
