// Cross-site request forgery: every state-changing request (POST, PUT, PATCH, DELETE) must come
// from our own origin (Origin, or Sec-Fetch-Site: same-origin when a browser sends no Origin) and
// carry the session's token in x-csrf-token. Routes opt out with config.csrf: 'origin-only'
// (register, login: no session yet) or false (the Stripe webhook, signed by Stripe). A request
// with an API key has no session to forge and is not sent by a browser on its own: it is not checked.
// In development (PUBLIC_URL on a loopback host, NODE_ENV not production) the three spellings of
// loopback (localhost, 127.0.0.1, [::1]) with the same scheme and port are the same origin: a new
// user who opens http://127.0.0.1:3000 can register. In production only PUBLIC_URL's origin is.
import crypto from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';

export type CsrfMode = 'full' | 'origin-only' | false;

declare module 'fastify' {
  interface FastifyContextConfig {
    csrf?: CsrfMode;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function newCsrfToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** The origins a state-changing request may come from. */
export function allowedOrigins(publicUrl: string, nodeEnv: string | undefined): Set<string> {
  const url = new URL(publicUrl);
  const origins = new Set([url.origin]);
  if (nodeEnv !== 'production' && LOOPBACK_HOSTS.includes(url.hostname)) {
    for (const host of LOOPBACK_HOSTS) origins.add(`${url.protocol}//${host}${url.port ? `:${url.port}` : ''}`);
  }
  return origins;
}

export default fp(
  async (app) => {
    const origin = new URL(app.config.PUBLIC_URL).origin;
    const origins = allowedOrigins(app.config.PUBLIC_URL, process.env.NODE_ENV);
    // A callback hook, not an async one: safe methods (the proxy's hot path) pass with no promise.
    app.addHook('onRequest', (request, _reply, done) => {
      if (SAFE.has(request.method) || request.apiKey !== null) return done();
      done(check(request));
    });
    function check(request: FastifyRequest): AppError | undefined {
      const mode = request.routeOptions.config?.csrf ?? 'full';
      if (mode === false) return undefined;
      const sentOrigin = request.headers.origin;
      if (sentOrigin !== undefined) {
        if (!origins.has(sentOrigin)) return new AppError('CSRF_REJECTED', `cross-origin request refused: Origin ${sentOrigin} is not ${origin}`);
      } else if (request.headers['sec-fetch-site'] !== 'same-origin') {
        return new AppError('CSRF_REJECTED', 'cross-origin request refused: no Origin header and no Sec-Fetch-Site: same-origin');
      }
      if (mode === 'origin-only') return undefined;
      const expected = request.session?.csrfToken;
      const sent = request.headers['x-csrf-token'];
      if (!expected || typeof sent !== 'string' || !sameToken(sent, expected)) {
        return new AppError('CSRF_REJECTED', 'missing or wrong x-csrf-token header: send the csrfToken from GET /api/me');
      }
      return undefined;
    }
  },
  { name: 'csrf', dependencies: ['session', 'api-keys'] },
);
