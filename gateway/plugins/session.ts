// Login sessions: @fastify/session with its store in gateway.sessions (see lib/session-store.ts).
// The cookie is HttpOnly, SameSite=Lax, and Secure when the public origin is https.
import fp from 'fastify-plugin';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { PgSessionStore } from '../lib/session-store.ts';

export const SESSION_COOKIE = 'queunir_sid';

declare module 'fastify' {
  interface Session {
    userId?: string;
    csrfToken?: string;
    /** ms since the epoch when the login happened; older than users.sessions_valid_after → revoked */
    issuedAt?: number;
  }
  interface FastifyInstance {
    sessionStore: PgSessionStore;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const store = new PgSessionStore(app.db);
    app.decorate('sessionStore', store);
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: app.sessionSecret,
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
    const sweep = setInterval(() => void store.deleteExpired().catch(() => {}), 3_600_000);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
  },
  { name: 'session', dependencies: ['db'] },
);
