// Who is calling: the session's user, checked against gateway.users on every request (through a
// short-lived cache) so that a revoked session (users.sessions_valid_after) or a deleted account
// stops working at once in this process and within seconds elsewhere.
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';

export interface AuthUser {
  id: string;
  email: string;
  role: 'user' | 'admin';
  name: string | null;
  businessName: string | null;
}

/** The columns of gateway.users an AuthUser is made of, and how. */
export const AUTH_USER_COLUMNS = ['id', 'email', 'role', 'name', 'business_name'] as const;
export function toAuthUser(row: { id: string | number; email: string; role: 'user' | 'admin'; name: string | null; business_name: string | null }): AuthUser {
  return { id: String(row.id), email: row.email, role: row.role, name: row.name, businessName: row.business_name };
}

interface CachedUser {
  user: AuthUser | null;
  validAfter: number;
  until: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
  interface FastifyInstance {
    auth: {
      /** The signed-in user, or an Unauthenticated error. */
      require(request: FastifyRequest): AuthUser;
      /**
       * The user a session's data signs in, when this process has that user in its cache: null
       * for none (no user id, a deleted account, a revoked session), undefined when only the
       * database can say. Never a round trip; the proxy's fast path calls it.
       */
      peek(session: { userId?: unknown; issuedAt?: unknown }): AuthUser | null | undefined;
      forget(userId: string): void;
      /** End every session of the user: the row's sessions_valid_after moves to now. */
      revokeSessions(userId: string): Promise<void>;
    };
  }
}

const USER_CACHE_MS = 5_000;

export default fp(
  async (app) => {
    const cache = new Map<string, CachedUser>();

    const loading = new Map<string, Promise<CachedUser>>();
    /** Bumped by forget/revoke: a load that began before must not cache what it read. */
    let generation = 0;
    /** The user's row, cached; one query however many requests missed at once. */
    function load(userId: string): Promise<CachedUser> {
      const hit = cache.get(userId);
      if (hit && hit.until > Date.now()) return Promise.resolve(hit);
      let waiting = loading.get(userId);
      if (!waiting) {
        waiting = query(userId).finally(() => loading.delete(userId));
        loading.set(userId, waiting);
      }
      return waiting;
    }

    async function query(userId: string): Promise<CachedUser> {
      const started = generation;
      const row = await app.db
        .selectFrom('users')
        .select([...AUTH_USER_COLUMNS, 'sessions_valid_after'])
        .where('id', '=', userId)
        .executeTakeFirst();
      const entry: CachedUser = row
        ? { user: toAuthUser(row), validAfter: row.sessions_valid_after.getTime(), until: Date.now() + USER_CACHE_MS }
        : { user: null, validAfter: 0, until: Date.now() + USER_CACHE_MS };
      if (started !== generation) return entry;
      if (cache.size > 50_000) cache.clear();
      cache.set(userId, entry);
      return entry;
    }

    app.decorateRequest('user', null);
    const DIGITS = /^\d{1,19}$/;
    function signedIn(issuedAt: unknown, entry: CachedUser): AuthUser | null {
      if (!entry.user) return null;
      // timestamptz has microseconds, Date ms: a login in the same millisecond as a revocation counts as revoked.
      if ((typeof issuedAt === 'number' ? issuedAt : 0) <= entry.validAfter) return null;
      return entry.user;
    }
    function accept(request: FastifyRequest, entry: CachedUser): void {
      request.user = signedIn(request.session.issuedAt, entry);
    }
    // A callback hook: a cached user (every request but one per user per USER_CACHE_MS) costs no
    // promise and no database round trip.
    app.addHook('onRequest', (request, _reply, done) => {
      const userId = request.session?.userId;
      // Malformed ids never reach the database (bigint parse error would be a 500).
      if (!userId || !DIGITS.test(userId)) return done();
      const hit = cache.get(userId);
      if (hit && hit.until > Date.now()) {
        accept(request, hit);
        return done();
      }
      load(userId).then((entry) => {
        accept(request, entry);
        done();
      }, done);
    });

    app.decorate('auth', {
      require(request: FastifyRequest): AuthUser {
        if (!request.user) throw new AppError('UNAUTHENTICATED', 'sign in first');
        return request.user;
      },
      peek(session) {
        const userId = session.userId;
        if (typeof userId !== 'string' || !DIGITS.test(userId)) return null;
        const hit = cache.get(userId);
        return hit && hit.until > Date.now() ? signedIn(session.issuedAt, hit) : undefined;
      },
      forget(userId: string) {
        generation += 1;
        loading.delete(userId);
        cache.delete(userId);
      },
      async revokeSessions(userId: string) {
        generation += 1;
        await app.db.updateTable('users').set({ sessions_valid_after: new Date(), updated_at: new Date() }).where('id', '=', userId).execute();
        generation += 1;
        loading.delete(userId);
        cache.delete(userId);
        await app.sessionStore.destroyAllOfUser(userId);
      },
    });
  },
  { name: 'auth', dependencies: ['db', 'session'] },
);
