// Which slice belongs to whom: rows of gateway.slices, cached in memory for the proxy's hot path
// and invalidated on every change made here (connect, monitor, supervisor notifications). Also
// the connect flow: allocate the lowest free id, ask the supervisor to create and start it.
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import { AppError, isAppError } from '../../lib/errors.ts';
import { slicePort } from '../../supervisor/protocol.ts';
import type { SliceRow } from '../../sql/gateway/slices.table.ts';

export interface SliceRecord {
  id: number;
  userId: string;
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

declare module 'fastify' {
  interface FastifyInstance {
    slices: {
      forUser(userId: string): Promise<SliceRecord | null>;
      /** The cached record (null: known to have none), or undefined when forUser must ask the database. */
      cachedForUser(userId: string): SliceRecord | null | undefined;
      byId(id: number): Promise<SliceRecord | null>;
      all(): Promise<SliceRecord[]>;
      invalidate(userId?: string): void;
      /** Give the user a slice (idempotent) and have it running. */
      connect(userId: string): Promise<SliceRecord>;
      /** Make sure the supervisor knows the slice, we hold its token, and it is started. */
      ensureStarted(record: SliceRecord): Promise<SliceRecord>;
      recordObserved(id: number, state: string): Promise<SliceRecord | null>;
    };
  }
}

const CACHE_MS = 10_000;
/** advisory-lock key for slice id allocation (first key: "QGWY") */
const ALLOCATION_LOCK: [number, number] = [0x5147_5759, 1];

function toRecord(row: SliceRow): SliceRecord {
  return {
    id: row.id,
    userId: String(row.user_id),
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

export default fp(
  async (app) => {
    const byUser = new Map<string, { record: SliceRecord | null; until: number }>();
    const inFlight = new Map<string, Promise<SliceRecord>>();

    async function loadForUser(userId: string): Promise<SliceRecord | null> {
      const row = await app.db.selectFrom('slices').selectAll().where('user_id', '=', userId).executeTakeFirst();
      return row ? toRecord(row) : null;
    }

    async function forUser(userId: string): Promise<SliceRecord | null> {
      const hit = byUser.get(userId);
      if (hit && hit.until > Date.now()) return hit.record;
      const record = await loadForUser(userId);
      if (byUser.size > 50_000) byUser.clear();
      byUser.set(userId, { record, until: Date.now() + CACHE_MS });
      return record;
    }

    async function byId(id: number): Promise<SliceRecord | null> {
      const row = await app.db.selectFrom('slices').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    }

    async function allocate(userId: string): Promise<SliceRecord> {
      const max = app.config.MAX_SLICES;
      return app.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${ALLOCATION_LOCK[0]}, ${ALLOCATION_LOCK[1]})`.execute(trx);
        const existing = await trx.selectFrom('slices').selectAll().where('user_id', '=', userId).executeTakeFirst();
        if (existing) return toRecord(existing);
        const free = await sql<{ id: number }>`
          select g as id from generate_series(1, ${max}::int) g
          where not exists (select 1 from gateway.slices s where s.id = g) order by g limit 1`.execute(trx);
        const id = free.rows[0]?.id;
        if (id === undefined) throw new AppError('RESOURCE_EXHAUSTED', `every slice (1..${max}) is taken: raise MAX_SLICES or free one`);
        const row = await trx
          .insertInto('slices')
          .values({ id, user_id: userId, port: slicePort(id), token: '', desired_state: 'running' })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('audit_log')
          .values({ actor: `user:${userId}`, user_id: userId, action: 'slice.allocate', details: JSON.stringify({ id }) })
          .execute();
        return toRecord(row);
      });
    }

    async function storeToken(id: number, token: string): Promise<void> {
      await app.db.updateTable('slices').set({ token, updated_at: new Date() }).where('id', '=', id).execute();
    }

    async function ensureStarted(record: SliceRecord): Promise<SliceRecord> {
      let created = await app.supervisor.call('slice.create', { id: record.id });
      if (created.token) {
        await storeToken(record.id, created.token);
      } else if (!record.token) {
        // The supervisor made this slice earlier but we never stored its token (a crash between the
        // two): have it forget the slice, keeping its data, and create it again for a fresh token.
        await app.supervisor.call('slice.remove', { id: record.id });
        created = await app.supervisor.call('slice.create', { id: record.id });
        if (!created.token) throw new AppError('INTERNAL', `the supervisor returned no token for slice ${record.id}`);
        await storeToken(record.id, created.token);
      }
      const info = await app.supervisor.call('slice.start', { id: record.id });
      const updated = await recordObserved(record.id, info.state);
      return updated ?? record;
    }

    async function recordObserved(id: number, state: string): Promise<SliceRecord | null> {
      const row = await app.db
        .updateTable('slices')
        .set({ observed_state: state, updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      const record = toRecord(row);
      byUser.set(record.userId, { record, until: Date.now() + CACHE_MS });
      return record;
    }

    async function connectOnce(userId: string): Promise<SliceRecord> {
      let record = await loadForUser(userId);
      if (!record) {
        try {
          record = await allocate(userId);
        } catch (err) {
          // Another gateway process won the race for this user (unique user_id): take its row.
          if (!isAppError(err) && (err as { code?: string }).code === '23505') record = await loadForUser(userId);
          if (!record) throw err;
        }
      }
      if (record.desiredState !== 'running') {
        await app.db.updateTable('slices').set({ desired_state: 'running', stopped_by: null, updated_at: new Date() }).where('id', '=', record.id).execute();
      }
      byUser.delete(userId);
      try {
        return await ensureStarted(record);
      } finally {
        byUser.delete(userId);
        app.events?.sliceChanged(userId);
      }
    }

    app.decorate('slices', {
      forUser,
      cachedForUser(userId: string) {
        const hit = byUser.get(userId);
        return hit && hit.until > Date.now() ? hit.record : undefined;
      },
      byId,
      async all() {
        const rows = await app.db.selectFrom('slices').selectAll().orderBy('id').execute();
        return rows.map(toRecord);
      },
      invalidate(userId?: string) {
        if (userId === undefined) byUser.clear();
        else byUser.delete(userId);
      },
      connect(userId: string) {
        // Ten concurrent clicks make one flow here; the advisory lock covers other processes.
        const running = inFlight.get(userId);
        if (running) return running;
        const p = connectOnce(userId).finally(() => inFlight.delete(userId));
        inFlight.set(userId, p);
        return p;
      },
      ensureStarted,
      recordObserved,
    });
  },
  { name: 'slices', dependencies: ['db', 'supervisor'] },
);
