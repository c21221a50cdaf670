// Cross-site request forgery: every state-changing request (POST, PUT, PATCH, DELETE) must come
// from our own origin (Origin, or Sec-Fetch-Site: same-origin when a browser sends no Origin) and
// carry the session's token in x-csrf-token. Routes opt out with config.csrf: 'origin-only'
// (register, login: no session yet) or false (the Stripe webhook, signed by Stripe).
import crypto from 'node:crypto';
import fp from 'fastify-plugin';
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

export default fp(
  async (app) => {
    const origin = new URL(app.config.PUBLIC_URL).origin;
    app.addHook('onRequest', async (request) => {
      if (SAFE.has(request.method)) return;
      const mode = request.routeOptions.config?.csrf ?? 'full';
      if (mode === false) return;
      const sentOrigin = request.headers.origin;
      if (sentOrigin !== undefined) {
        if (sentOrigin !== origin) throw new AppError('CSRF_REJECTED', `cross-origin request refused: Origin ${sentOrigin} is not ${origin}`);
      } else if (request.headers['sec-fetch-site'] !== 'same-origin') {
        throw new AppError('CSRF_REJECTED', 'cross-origin request refused: no Origin header and no Sec-Fetch-Site: same-origin');
      }
      if (mode === 'origin-only') return;
      const expected = request.session?.csrfToken;
      const sent = request.headers['x-csrf-token'];
      if (!expected || typeof sent !== 'string' || !sameToken(sent, expected)) {
        throw new AppError('CSRF_REJECTED', 'missing or wrong x-csrf-token header: send the csrfToken from GET /api/me');
      }
    });
  },
  { name: 'csrf', dependencies: ['session'] },
);
