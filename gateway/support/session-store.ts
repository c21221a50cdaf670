// The @fastify/session store: rows in gateway.sessions, with an in-memory copy so that a proxied
// request costs no database round trip. The copy is written through on every change made here and
// expires after a few seconds, so another gateway process's logout is seen soon too.
import type { Kysely } from 'kysely';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';

type Callback = (err?: any) => void;
// The library's Session type: what get() hands back is a plain copy of what set() stored.
type GetCallback = (err: any, session?: any) => void;

/** Sessions that ended here: one (logout) or every one of a user (revocation). */
export type SessionsEnded = { sid: string } | { userId: string };

interface Cached {
  data: Record<string, unknown> | null;
  until: number;
  /** when the session itself ends (its cookie's expiry), ms since the epoch */
  expiresAt: number;
}

export class PgSessionStore {
  private readonly cache = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<Record<string, unknown> | null>>();
  /** Bumped by every destroy: a load that began before it must not put an ended session back. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly endedListeners: ((ended: SessionsEnded) => void)[] = [];
  /** sid → when its last_seen_at was last written from here */
  private readonly touched = new Map<string, number>();
  private readonly touchEveryMs: number;

  constructor(
    private readonly db: Kysely<GatewayDatabase>,
    options: { cacheTtlMs?: number; maxEntries?: number; touchEveryMs?: number } = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 5_000;
    this.maxEntries = options.maxEntries ?? 50_000;
    this.touchEveryMs = options.touchEveryMs ?? 60_000;
  }

  set(sid: string, session: object, callback: Callback): void {
    // JSON round trip: a plain copy (the Session object carries symbols and a Cookie instance).
    const data = JSON.parse(JSON.stringify(session)) as Record<string, unknown>;
    const cookie = data.cookie as { expires?: string } | undefined;
    const expiresAt = cookie?.expires ? new Date(cookie.expires) : new Date(Date.now() + 86_400_000);
    const userId = typeof data.userId === 'string' ? data.userId : null;
    // The device columns the list of one's sessions shows, from what the login recorded.
    const device = {
      user_agent: typeof data.userAgent === 'string' ? data.userAgent.slice(0, 300) : null,
      ip: typeof data.ip === 'string' ? data.ip.slice(0, 64) : null,
    };
    this.db
      .insertInto('sessions')
      .values({ sid, user_id: userId, data: JSON.stringify(data), expires_at: expiresAt, ...device })
      .onConflict((oc) => oc.column('sid').doUpdateSet({ user_id: userId, data: JSON.stringify(data), expires_at: expiresAt, ...device }))
      .execute()
      .then(() => {
        this.remember(sid, data);
        callback();
      }, callback);
  }

  get(sid: string, callback: GetCallback): void {
    const hit = this.cache.get(sid);
    if (hit && hit.until > Date.now()) {
      if (hit.data) this.touch(sid);
      callback(null, hit.data);
      return;
    }
    // One query per session however many requests missed at once (every request of a busy
    // browser misses together when its copy expires).
    let waiting = this.loading.get(sid);
    if (!waiting) {
      const generation = this.generation;
      waiting = this.db
        .selectFrom('sessions')
        .select(['data', 'expires_at'])
        .where('sid', '=', sid)
        .executeTakeFirst()
        .then((row) => {
          const data = row && row.expires_at.getTime() > Date.now() ? row.data : null;
          if (generation === this.generation) this.remember(sid, data);
          if (data) this.touch(sid);
          return data;
        })
        .finally(() => this.loading.delete(sid));
      this.loading.set(sid, waiting);
    }
    waiting.then(
      (data) => callback(null, data),
      (err) => callback(err),
    );
  }

  /**
   * The session's data when this process holds a fresh, unexpired copy; undefined otherwise (then
   * get() asks the database, and @fastify/session deals with an expired one). Never a round trip:
   * the proxy's fast path calls it on every request.
   */
  peek(sid: string): Record<string, unknown> | undefined {
    const hit = this.cache.get(sid);
    if (!hit || hit.data === null) return undefined;
    const now = Date.now();
    if (hit.until <= now || hit.expiresAt <= now) return undefined;
    this.touch(sid);
    return hit.data;
  }

  /**
   * The session was used now: last_seen_at written at most once per TOUCH_EVERY_MS per session in
   * this process, in the background (an UPDATE: it never brings back an ended session). Every way a
   * session is read (get, the proxy's peek) passes here.
   */
  private touch(sid: string): void {
    const now = Date.now();
    const last = this.touched.get(sid);
    if (last !== undefined && now - last < this.touchEveryMs) return;
    if (this.touched.size >= this.maxEntries) this.touched.clear();
    this.touched.set(sid, now);
    this.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(now) })
      .where('sid', '=', sid)
      .execute()
      .catch(() => this.touched.delete(sid));
  }

  /**
   * Every session of the user but `keepSid` ends now (password change, "log out everywhere else"):
   * rows deleted, copies dropped, listeners told each sid (its streams end at once).
   */
  async destroyOthersOfUser(userId: string, keepSid: string): Promise<string[]> {
    this.generation += 1;
    const rows = await this.db.deleteFrom('sessions').where('user_id', '=', userId).where('sid', '!=', keepSid).returning('sid').execute();
    this.generation += 1;
    for (const [sid, entry] of this.cache) if (sid !== keepSid && entry.data?.userId === userId) this.cache.delete(sid);
    for (const { sid } of rows) {
      this.touched.delete(sid);
      this.ended({ sid });
    }
    return rows.map((r) => r.sid);
  }

  /** Told at once when a session ends in this process (what lives on with it, the event streams, ends too). */
  onEnded(listener: (ended: SessionsEnded) => void): void {
    this.endedListeners.push(listener);
  }

  private ended(what: SessionsEnded): void {
    for (const listener of this.endedListeners) listener(what);
  }

  destroy(sid: string, callback: Callback): void {
    this.ended({ sid });
    this.touched.delete(sid);
    this.generation += 1;
    this.cache.delete(sid);
    this.loading.delete(sid);
    this.db
      .deleteFrom('sessions')
      .where('sid', '=', sid)
      .execute()
      .then(() => {
        this.cache.delete(sid);
        callback();
      }, callback);
  }

  /** Every session of one user ends now (password change, operator action, logout everywhere). */
  async destroyAllOfUser(userId: string): Promise<void> {
    this.generation += 1;
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    this.generation += 1;
    for (const [sid, entry] of this.cache) if (entry.data?.userId === userId) this.cache.delete(sid);
    this.ended({ userId });
  }

  /**
   * Which of these sessions still exist and have not expired, from the database (not the copy):
   * what another gateway process ended is seen here.
   */
  async live(sids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < sids.length; i += 1000) {
      const rows = await this.db
        .selectFrom('sessions')
        .select('sid')
        .where('sid', 'in', sids.slice(i, i + 1000))
        .where('expires_at', '>', new Date())
        .execute();
      for (const row of rows) out.add(row.sid);
    }
    return out;
  }

  async deleteExpired(): Promise<number> {
    const r = await this.db.deleteFrom('sessions').where('expires_at', '<', new Date()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  private remember(sid: string, data: Record<string, unknown> | null): void {
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    // As @fastify/session decides on restore: the stored cookie's expires is when it ends.
    const ends = (data?.cookie as { expires?: string } | undefined)?.expires;
    const expiresAt = ends ? Date.parse(ends) : Infinity;
    this.cache.set(sid, { data, until: Date.now() + this.ttlMs, expiresAt: Number.isNaN(expiresAt) ? 0 : expiresAt });
  }
}
