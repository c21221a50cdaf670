// Who is calling: the session's user and the member they act as (session → user → member →
// account), checked against gateway.users and gateway.members on every request (through a
// short-lived cache) so that a revoked session (users.sessions_valid_after), a removed member or a
// deleted account stops working at once in this process and within seconds elsewhere.
//
// Every route declares who may call it (`config.access`, see RouteAccess); one hook here enforces
// it, so the rule for a route is written once, beside the route, and tested per route × role.
// Every route also declares the scope an API key needs (`config.scope`, lib/api-scopes.ts): an
// /api/ route without one is refused when registered; a key request (plugins/api-keys.ts: no user,
// the key's acting member) is held to it here before the route's access is checked.
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { roleAtLeast, type ActingMember, type MemberRole } from '../../lib/acting-member.ts';
import { ROUTE_SCOPES, type RouteScope } from '../../lib/api-scopes.ts';
import { scopeRefusal } from '../../lib/scope-check.ts';

export interface AuthUser {
  id: string;
  email: string;
  role: 'user' | 'admin';
  name: string | null;
  businessName: string | null;
  emailVerified: boolean;
  totpEnabled: boolean;
}

/** The member a request acts as: one user in one account. */
export interface AuthMember extends ActingMember {
  accountName: string;
  available: boolean;
}

/**
 * Who may call a route:
 * - `public`: anyone (login, register, the Stripe webhook, health);
 * - `user`: a signed-in user, member of an account or not (me, logout, own password and sessions);
 * - `agent` | `admin` | `owner`: a member of the account with at least that role;
 * - `operator`: a user whose users.role is admin (the operators' /api/admin/*).
 */
export type RouteAccess = 'public' | 'user' | MemberRole | 'operator';

/** The columns of gateway.users an AuthUser is made of, and how. */
export const AUTH_USER_COLUMNS = ['id', 'email', 'role', 'name', 'business_name', 'email_verified_at', 'totp_enabled_at'] as const;
export function toAuthUser(row: {
  id: string | number;
  email: string;
  role: 'user' | 'admin';
  name: string | null;
  business_name: string | null;
  email_verified_at: Date | null;
  totp_enabled_at: Date | null;
}): AuthUser {
  return {
    id: String(row.id),
    email: row.email,
    role: row.role,
    name: row.name,
    businessName: row.business_name,
    emailVerified: row.email_verified_at !== null,
    totpEnabled: row.totp_enabled_at !== null,
  };
}

/** The name a team sees for a user: their own, else the local part of their email. */
export function memberNameOf(user: { name: string | null; email: string }): string {
  return user.name ?? user.email.split('@', 1)[0] ?? user.email;
}

/** A user's memberships in accounts not being deleted, oldest first. */
export async function membershipsOf(db: Kysely<GatewayDatabase>, userId: string, name: string): Promise<AuthMember[]> {
  const rows = await db
    .selectFrom('members')
    .innerJoin('accounts', 'accounts.id', 'members.account_id')
    .select(['members.id', 'members.account_id', 'members.role', 'members.available', 'accounts.name as account_name'])
    .where('members.user_id', '=', userId)
    .where('accounts.deleting_since', 'is', null)
    .orderBy('members.id')
    .execute();
  return rows.map((m) => ({ id: String(m.id), accountId: String(m.account_id), accountName: m.account_name, role: m.role, name, available: m.available }));
}

interface CachedUser {
  user: AuthUser | null;
  /** the user's memberships, oldest first, in accounts not being deleted */
  members: AuthMember[];
  lastAccountId: string | null;
  validAfter: number;
  until: number;
}

/** What a session signs in: the user, and the member they act as (null: in no account). */
export interface Principal {
  user: AuthUser;
  member: AuthMember | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
    member: AuthMember | null;
    /** every account the signed-in user is a member of (oldest first); [] when signed out */
    memberships: AuthMember[];
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyInstance {
    auth: {
      /** The signed-in user, or an Unauthenticated error. */
      require(request: FastifyRequest): AuthUser;
      /** The member the request acts as, with at least this role; Unauthenticated or ROLE_REQUIRED otherwise. */
      requireMember(request: FastifyRequest, needed?: MemberRole): AuthMember;
      /**
       * What a session's data signs in, when this process has that user in its cache: null for
       * nothing (no user id, a deleted account, a revoked session), undefined when only the
       * database can say. Never a round trip; the proxy's fast path calls it.
       */
      peek(session: { userId?: unknown; issuedAt?: unknown; accountId?: unknown }): Principal | null | undefined;
      /** Drop what is cached of this user (their row or memberships changed). */
      forget(userId: string): void;
      /** Drop everything cached (an account's name or settings changed, for all its members). */
      forgetAll(): void;
      /** End every session of the user: the row's sessions_valid_after moves to now. */
      revokeSessions(userId: string): Promise<void>;
      /** Each route, who may call it and the scope a key needs, as declared (the route × role and scope tests read it). */
      routes(): DeclaredRoute[];
    };
  }
}

export interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess;
  scope: RouteScope;
}

const USER_CACHE_MS = 5_000;

/** A route's declared access; undeclared, an /api/ route needs a member and anything else (the web app's files) is public. */
function accessOf(url: string, config: { access?: RouteAccess } | undefined): RouteAccess {
  return config?.access ?? (url.startsWith('/api') ? 'agent' : 'public');
}
/** A route's declared scope; only what is not under /api/ (the web app's files, health) defaults, to public. */
function scopeOf(url: string, config: { scope?: RouteScope } | undefined): RouteScope | undefined {
  return config?.scope ?? (url.startsWith('/api') ? undefined : 'public');
}
const DIGITS = /^\d{1,19}$/;

export default fp(
  async (app) => {
    const cache = new Map<string, CachedUser>();
    const loading = new Map<string, Promise<CachedUser>>();
    /** Bumped by forget/revoke: a load that began before must not cache what it read. */
    let generation = 0;

    /** The user's row and memberships, cached; one query pair however many requests missed at once. */
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
        .select([...AUTH_USER_COLUMNS, 'sessions_valid_after', 'last_account_id'])
        .where('id', '=', userId)
        .executeTakeFirst();
      const members = row ? await membershipsOf(app.db, userId, memberNameOf(row)) : [];
      const entry: CachedUser = row
        ? {
            user: toAuthUser(row),
            members,
            lastAccountId: row.last_account_id === null ? null : String(row.last_account_id),
            validAfter: row.sessions_valid_after.getTime(),
            until: Date.now() + USER_CACHE_MS,
          }
        : { user: null, members: [], lastAccountId: null, validAfter: 0, until: Date.now() + USER_CACHE_MS };
      if (started !== generation) return entry;
      if (cache.size > 50_000) cache.clear();
      cache.set(userId, entry);
      return entry;
    }

    function signedIn(session: { issuedAt?: unknown; accountId?: unknown }, entry: CachedUser): Principal | null {
      if (!entry.user) return null;
      // timestamptz has microseconds, Date ms: a login in the same millisecond as a revocation counts as revoked.
      if ((typeof session.issuedAt === 'number' ? session.issuedAt : 0) <= entry.validAfter) return null;
      const wanted = typeof session.accountId === 'string' ? session.accountId : entry.lastAccountId;
      const member = entry.members.find((m) => m.accountId === wanted) ?? entry.members[0] ?? null;
      return { user: entry.user, member };
    }

    function accept(request: FastifyRequest, entry: CachedUser): void {
      const principal = signedIn(request.session, entry);
      request.user = principal?.user ?? null;
      request.member = principal?.member ?? null;
      request.memberships = principal ? entry.members : [];
    }

    app.decorateRequest('user', null);
    app.decorateRequest('member', null);
    app.decorateRequest('memberships', null as unknown as AuthMember[]);
    // A callback hook: a cached user (every request but one per user per USER_CACHE_MS) costs no
    // promise and no database round trip.
    app.addHook('onRequest', (request, _reply, done) => {
      // A key request: the api-keys plugin (before this one) has said who acts.
      if (request.apiKey !== null) return done();
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

    function requireUser(request: FastifyRequest): AuthUser {
      if (!request.user) throw new AppError('UNAUTHENTICATED', 'sign in first');
      return request.user;
    }

    function requireMember(request: FastifyRequest, needed: MemberRole = 'agent'): AuthMember {
      // A key acts as a member with no user behind the request.
      if (request.apiKey === null) requireUser(request);
      const member = request.member;
      if (!member) throw new AppError('ROLE_REQUIRED', 'you are not a member of any account: ask for an invitation', { details: { needed, role: null } });
      if (!roleAtLeast(member.role, needed)) {
        throw new AppError('ROLE_REQUIRED', `this needs the ${needed} role or higher; you are an ${member.role} here`, {
          details: { needed, role: member.role },
        });
      }
      return member;
    }

    const declared: DeclaredRoute[] = [];
    app.addHook('onRoute', (route) => {
      const access = accessOf(route.url, route.config as { access?: RouteAccess } | undefined);
      const scope = scopeOf(route.url, route.config as { scope?: RouteScope } | undefined);
      if (scope === undefined || !ROUTE_SCOPES.includes(scope)) throw new Error(`route ${route.url} declares no config.scope (one of ${ROUTE_SCOPES.join(', ')})`);
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        // Fastify's own HEAD twin of a GET route shares its config.
        if (method !== 'HEAD') declared.push({ method, url: route.url, access, scope });
      }
    });

    // After routing (the route's access is known) and before the body is parsed or validated: a
    // caller without the right learns nothing of what the route expects.
    app.addHook('preParsing', (request, _reply, payload, done) => {
      const url = request.routeOptions.url;
      // No route matched: the 404 answers, whoever asks.
      const access = url === undefined ? 'public' : accessOf(url, request.routeOptions.config);
      try {
        if (request.apiKey !== null && url !== undefined) {
          const refused = scopeRefusal(`${request.method} ${url}`, scopeOf(url, request.routeOptions.config) ?? 'session', request.apiKey.scopes);
          if (refused) throw refused;
        }
        if (access === 'user') requireUser(request);
        else if (access === 'operator') {
          if (requireUser(request).role !== 'admin') throw new AppError('PERMISSION_DENIED', 'operators only');
        } else if (access !== 'public') requireMember(request, access);
      } catch (err) {
        return done(err as Error);
      }
      done(null, payload);
    });

    app.decorate('auth', {
      require: requireUser,
      requireMember,
      peek(session) {
        const userId = session.userId;
        if (typeof userId !== 'string' || !DIGITS.test(userId)) return null;
        const hit = cache.get(userId);
        return hit && hit.until > Date.now() ? signedIn(session, hit) : undefined;
      },
      forget(userId: string) {
        generation += 1;
        loading.delete(userId);
        cache.delete(userId);
      },
      forgetAll() {
        generation += 1;
        loading.clear();
        cache.clear();
      },
      async revokeSessions(userId: string) {
        generation += 1;
        await app.db.updateTable('users').set({ sessions_valid_after: new Date(), updated_at: new Date() }).where('id', '=', userId).execute();
        generation += 1;
        loading.delete(userId);
        cache.delete(userId);
        await app.sessionStore.destroyAllOfUser(userId);
      },
      routes: () => [...declared],
    });
  },
  { name: 'auth', dependencies: ['db', 'session', 'api-keys'] },
);
