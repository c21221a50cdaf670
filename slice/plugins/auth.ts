// Every request carries the slice's bearer token (the gateway and the supervisor add it). The
// comparison is constant-time over equal-length digests, so neither the token's content nor its
// length leaks through timing.
import crypto from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../lib/errors.ts';

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value, 'utf8').digest();
}

export function tokenMatches(expectedDigest: Buffer, presented: string | undefined): boolean {
  // Always compare, even with nothing presented, so a missing header takes the same path.
  const ok = crypto.timingSafeEqual(expectedDigest, digest(presented ?? ''));
  return ok && presented !== undefined;
}

/** Paths of the slice's own API: everything else is the self-hosted web app's static files. */
export const API_PATH = /^\/(api|events|health|sim)(\/|\?|$)/;

/** An EventSource cannot send headers, so GET /events may carry the token as ?token= instead. */
function queryToken(url: string): string | undefined {
  if (!url.startsWith('/events?')) return undefined;
  const value = new URLSearchParams(url.slice('/events?'.length)).get('token');
  return value ?? undefined;
}

const auth: FastifyPluginAsync<{ token: string; publicStatic?: boolean }> = async (app, opts) => {
  const expected = digest(opts.token);
  app.addHook('onRequest', async (req) => {
    // The self-hosted web app's files hold no data; the token is asked for in the browser.
    if (opts.publicStatic && (req.method === 'GET' || req.method === 'HEAD') && !API_PATH.test(req.url)) return;
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.method === 'GET' ? queryToken(req.url) : undefined;
    if (!tokenMatches(expected, presented)) {
      throw new AppError('UNAUTHENTICATED', header ? 'the bearer token is not valid' : 'a bearer token is required');
    }
  });
};

export default fp(auth, { name: 'slice-auth', fastify: '5.x' });
