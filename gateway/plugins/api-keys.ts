// API keys (issue 18): `Authorization: Bearer qk_…` authenticates a request as the account's
// integration instead of a person's session. This plugin recognises the key (by its SHA-256, through
// a short cache that a revocation in this process clears at once), rate-limits it, records its last
// use at most once a minute, and sets who acts: `request.apiKey`, no user, and the key's acting member
// (the creating member's id, role admin, named after the key), so the slice sees the whole account.
// What a key may call is the route's `config.scope`, checked by the auth plugin (gateway routes) and
// the slice (proxied routes, from the signed acting-member header that carries the key's scopes).
//
// A key request never counts as a session: the session plugin drops its Cookie header and never
// sets a cookie on its answer, and the CSRF check does not apply (a key is not sent by a browser on
// its own). A key that is unknown, malformed, revoked, or of an account being deleted is refused
// with one answer, API_KEY_INVALID, that never says which.
import crypto from 'node:crypto';
import net from 'node:net';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_KEY_PREFIX, type ApiScope } from '../../lib/api-scopes.ts';
import { AppError } from '../../lib/errors.ts';
import { Throttle } from '../support/throttle.ts';
import type { AuthMember } from './auth.ts';

/** Who a key request acts as (gateway.api_keys). */
export interface ApiKeyIdentity {
  id: string;
  accountId: string;
  name: string;
  scopes: ApiScope[];
}

interface CachedKey {
  /** null: no usable key has this hash (unknown, revoked, account being deleted) */
  key: (ApiKeyIdentity & { memberId: string; accountName: string }) | null;
  until: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the API key the request authenticated with; null: none (a session, or nobody) */
    apiKey: ApiKeyIdentity | null;
  }
  interface FastifyInstance {
    apiKeys: {
      /** Stop a key working in this process at once (other processes: within their cache time). */
      forget(keyId: string): void;
    };
  }
}

/** Bytes of randomness in a key: 32, base64url → 43 characters after the prefix. */
const KEY_BYTES = 32;
const KEY_FORMAT = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9_-]{43}$`);
/** The characters of a key kept for display: `qk_` + 8. */
export const KEY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
/** How long this process trusts what it read of a key: a revocation elsewhere takes at most this. */
const KEY_CACHE_MS = 5_000;
const LAST_USE_EVERY_MS = 60_000;
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The key a request's Authorization header carries (anything that starts `qk_`), or null when it carries none. */
export function bearerApiKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  const token = BEARER.exec(header)?.[1];
  return token !== undefined && token.startsWith(API_KEY_PREFIX) ? token : null;
}

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key: shown to its creator once; only its hash and prefix are kept. */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + crypto.randomBytes(KEY_BYTES).toString('base64url');
  return { key, prefix: key.slice(0, KEY_PREFIX_LENGTH), hash: hashApiKey(key) };
}

function invalid(): AppError {
  return new AppError('API_KEY_INVALID', 'the API key is not valid (unknown, malformed or revoked)');
}

export default fp(
  async (app) => {
    const cache = new Map<string, CachedKey>();
    const loading = new Map<string, Promise<CachedKey>>();
    /** Bumped by forget(): a lookup that began before must not cache what it read. */
    let generation = 0;
    const throttle = new Throttle(app.config.API_KEY_RATE_PER_MINUTE, 60_000);
    /** When this process last wrote a key's last use (ms). */
    const lastUseWritten = new Map<string, number>();

    async function query(hash: string): Promise<CachedKey> {
      const started = generation;
      const row = await app.db
        .selectFrom('api_keys')
        .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
        .select(['api_keys.id', 'api_keys.account_id', 'api_keys.name', 'api_keys.scopes', 'api_keys.created_by_member_id', 'api_keys.last_used_at', 'accounts.name as account_name'])
        .where('api_keys.key_hash', '=', hash)
        .where('api_keys.revoked_at', 'is', null)
        .where('accounts.deleting_since', 'is', null)
        .executeTakeFirst();
      const entry: CachedKey = {
        key: row
          ? { id: String(row.id), accountId: String(row.account_id), name: row.name, scopes: row.scopes, memberId: String(row.created_by_member_id), accountName: row.account_name }
          : null,
        until: Date.now() + KEY_CACHE_MS,
      };
      if (row?.last_used_at && !lastUseWritten.has(String(row.id))) lastUseWritten.set(String(row.id), row.last_used_at.getTime());
      if (started !== generation) return entry;
      if (cache.size > 50_000) cache.clear();
      cache.set(hash, entry);
      return entry;
    }

    function lookup(hash: string): Promise<CachedKey> {
      const hit = cache.get(hash);
      if (hit && hit.until > Date.now()) return Promise.resolve(hit);
      let waiting = loading.get(hash);
      if (!waiting) {
        waiting = query(hash).finally(() => loading.delete(hash));
        loading.set(hash, waiting);
      }
      return waiting;
    }

    /** Last use, at most once a minute per key (also across processes: the row's own time decides). */
    async function recordUse(request: FastifyRequest, keyId: string): Promise<void> {
      const now = Date.now();
      if (now - (lastUseWritten.get(keyId) ?? 0) < LAST_USE_EVERY_MS) return;
      lastUseWritten.set(keyId, now);
      if (lastUseWritten.size > 50_000) lastUseWritten.clear();
      const address = net.isIP(request.ip) ? request.ip : null;
      try {
        await app.db
          .updateTable('api_keys')
          .set({ last_used_at: sql<Date>`now()`, last_used_address: address })
          .where('id', '=', keyId)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(now - LAST_USE_EVERY_MS))]))
          .execute();
      } catch (err) {
        // Bookkeeping: a failed write must not fail the request it describes.
        request.log.warn({ err: (err as Error).message, apiKey: keyId }, 'recording an API key last use failed');
      }
    }

    async function accept(request: FastifyRequest, reply: FastifyReply, entry: CachedKey): Promise<void> {
      const key = entry.key;
      if (key === null) throw invalid();
      const wait = throttle.hit(key.id);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new AppError('RATE_LIMITED', `this API key made more than ${app.config.API_KEY_RATE_PER_MINUTE} requests in a minute: try again in ${wait} s`);
      }
      request.apiKey = { id: key.id, accountId: key.accountId, name: key.name, scopes: key.scopes };
      const member: AuthMember = {
        id: key.memberId,
        role: 'admin',
        name: `API key ${key.name}`,
        accountId: key.accountId,
        accountName: key.accountName,
        available: false,
        apiKey: { id: key.id, scopes: key.scopes },
      };
      request.user = null;
      request.member = member;
      request.memberships = [];
      await recordUse(request, key.id);
    }

    app.decorateRequest('apiKey', null);
    // Before the auth plugin's hook (registered after this one): a key request has no session.
    app.addHook('onRequest', (request, reply, done) => {
      const key = bearerApiKey(request.headers.authorization);
      if (key === null) return done();
      if (!KEY_FORMAT.test(key)) return done(invalid());
      lookup(hashApiKey(key))
        .then((entry) => accept(request, reply, entry))
        .then(() => done(), done);
    });

    app.decorate('apiKeys', {
      forget(keyId: string) {
        generation += 1;
        loading.clear();
        for (const [hash, entry] of cache) if (entry.key?.id === keyId) cache.delete(hash);
      },
    });
  },
  { name: 'api-keys', dependencies: ['db', 'session'] },
);
