// Login sessions: @fastify/session with its store in gateway.sessions (see support/session-store.ts).
// The cookie is HttpOnly, SameSite=Lax, and Secure when the public origin is https.
// A request with an API key (plugins/api-keys.ts) has no session: its Cookie header is dropped
// before the cookie is read, nothing of a session is saved, and no cookie is set on its answer.
import fp from 'fastify-plugin';
import fastifyCookie, { Signer, type FastifyCookie } from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { SESSION_COOKIE } from '../support/session-cookie.ts';
import { PgSessionStore } from '../support/session-store.ts';
import { bearerApiKey } from './api-keys.ts';

declare module 'fastify' {
  interface Session {
    userId?: string;
    /** the account this login works in (a user may be a member of several) */
    accountId?: string;
    csrfToken?: string;
    /** ms since the epoch when the login happened; older than users.sessions_valid_after → revoked */
    issuedAt?: number;
    /** the browser it was made from, for the list of one's sessions */
    userAgent?: string;
    ip?: string;
  }
  interface FastifyInstance {
    sessionStore: PgSessionStore;
    sessionCookie: {
      /** The verified session id a Cookie header carries, or null (none, or a bad signature). */
      sessionIdOf(cookieHeader: string): string | null;
    };
  }
}

type Unsigned = ReturnType<Signer['unsign']>;

/**
 * @fastify/cookie's signer, remembering the signed values it has verified: a browser sends the
 * same cookie on every request, and the HMAC is then paid once per cookie, not per request. Only
 * valid results are kept (bounded), so forged values cannot fill the memory.
 */
export class RememberingSigner {
  private readonly signer: Signer;
  private readonly verified = new Map<string, Unsigned>();

  constructor(secret: string, private readonly maxEntries = 20_000) {
    // @fastify/session checks this itself only when it is given the secret, not a signer.
    if (secret.length < 32) throw new Error('the session secret must have 32 characters or more');
    this.signer = new Signer(secret);
  }

  sign(value: string): string {
    return this.signer.sign(value);
  }

  unsign(signedValue: string): Unsigned {
    const hit = this.verified.get(signedValue);
    if (hit) return hit;
    const result = this.signer.unsign(signedValue);
    if (result.valid) {
      if (this.verified.size >= this.maxEntries) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(signedValue, result);
    }
    return result;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const store = new PgSessionStore(app.db);
    const signer = new RememberingSigner(app.sessionSecret);
    app.decorate('sessionStore', store);
    app.decorate('sessionCookie', {
      sessionIdOf(cookieHeader: string) {
        const value = (fastifyCookie as unknown as FastifyCookie).parse(cookieHeader)[SESSION_COOKIE];
        if (!value) return null;
        const unsigned = signer.unsign(value);
        return unsigned.valid && unsigned.value ? unsigned.value : null;
      },
    });
    // Both before @fastify/cookie's and @fastify/session's own hooks (hooks run in the order added).
    app.addHook('onRequest', (request, _reply, done) => {
      if (bearerApiKey(request.headers.authorization) !== null) delete request.headers.cookie;
      done();
    });
    app.addHook('onSend', (request, _reply, payload, done) => {
      // @fastify/session saves and sets nothing for a request without a session object.
      if (bearerApiKey(request.headers.authorization) !== null) (request as { session: unknown }).session = null;
      done(null, payload);
    });
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: signer,
      cookieName: SESSION_COOKIE,
      store,
      saveUninitialized: false,
      rolling: false,
      cookie: {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: config.PUBLIC_URL.startsWith('https:'),
        maxAge: config.SESSION_TTL_HOURS * 3_600_000,
      },
    });
    // After both plugins' own onSend hooks: no cookie of any kind, whatever a route set, goes out
    // on an answer to a key.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (bearerApiKey(request.headers.authorization) !== null) reply.removeHeader('set-cookie');
      done(null, payload);
    });
    const sweep = setInterval(() => void store.deleteExpired().catch(() => {}), 3_600_000);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
  },
  { name: 'session', dependencies: ['db'] },
);
