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

const auth: FastifyPluginAsync<{ token: string }> = async (app, opts) => {
  const expected = digest(opts.token);
  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!tokenMatches(expected, presented)) {
      throw new AppError('UNAUTHENTICATED', header ? 'the bearer token is not valid' : 'a bearer token is required');
    }
  });
};

export default fp(auth, { name: 'slice-auth', fastify: '5.x' });
