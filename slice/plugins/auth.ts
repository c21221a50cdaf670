// Every request carries the slice's bearer token (the gateway and the supervisor add it). The
// comparison is constant-time over equal-length digests, so neither the token's content nor its
// length leaks through timing.
import crypto from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value, 'utf8').digest();
}

function tokenMatches(expectedDigest: Buffer, presented: string | undefined): boolean {
  // Always compare, even with nothing presented, so a missing header takes the same path.
  const ok = crypto.timingSafeEqual(expectedDigest, digest(presented ?? ''));
  return ok && presented !== undefined;
}

/** Paths of the slice's own API: everything else is the self-hosted web app's static files. */
export const API_PATH = /^\/(api|events|health|sim)(\/|\?|$)/;

/** The path as the router saw it (%xx decoded), or null when it does not decode. */
export function routedPath(url: string): string | null {
  try {
    return decodeURIComponent(url.split('?')[0]!);
  } catch {
    return null;
  }
}

/** Whether a request may skip the token: a GET/HEAD whose matched route is not the API's (the
 * raw URL is not enough: the router decodes %xx, so /%61pi/chats is the route /api/chats). */
function isPublicStatic(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const route = req.routeOptions.url;
  if (route === undefined || API_PATH.test(route)) return false;
  // The app's catch-all route (/*) answers any path: an API-looking one still needs the token.
  const decoded = routedPath(req.url);
  return decoded !== null && !API_PATH.test(decoded);
}

/** An EventSource cannot send headers, so the /events route may carry the token as ?token= instead. */
function queryToken(req: FastifyRequest): string | undefined {
  if (req.method !== 'GET' || req.routeOptions.url !== '/events') return undefined;
  const value = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof value === 'string' ? value : undefined;
}

const auth: FastifyPluginAsync<{ token: string; publicStatic?: boolean }> = async (app, opts) => {
  const expected = digest(opts.token);
  app.addHook('onRequest', async (req) => {
    // The self-hosted web app's files hold no data; the token is asked for in the browser.
    if (opts.publicStatic && isPublicStatic(req)) return;
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : queryToken(req);
    if (!tokenMatches(expected, presented)) {
      throw new AppError('UNAUTHENTICATED', header ? 'the bearer token is not valid' : 'a bearer token is required');
    }
  });
};

export default fp(auth, { name: 'slice-auth', fastify: '5.x' });
