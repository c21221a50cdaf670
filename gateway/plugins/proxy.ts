// Everything under /api/ that the gateway does not own goes to the caller's slice, on
// http://127.0.0.1:{port}, with the slice's bearer token and a request id. The browser's cookies,
// its Authorization and hop-by-hop headers never reach a slice, and a slice cannot set cookies on
// our origin. Connections to slices are kept alive and reused (one undici agent, pooled per
// origin); nothing is logged per request at info level: this path is the hot one.
import fp from 'fastify-plugin';
import httpProxy from '@fastify/http-proxy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toHttpError } from '../../lib/errors.ts';
import type { SliceRecord } from './slices.ts';

declare module 'fastify' {
  interface FastifyRequest {
    slice: SliceRecord | null;
  }
}

const STRIPPED_REQUEST_HEADERS = [
  'cookie',
  'authorization',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-csrf-token',
  'x-request-id',
];

export default fp(
  async (app) => {
    app.decorateRequest('slice', null);

    function unavailable(reply: FastifyReply, slice: SliceRecord | null, cause: string): void {
      if (slice) app.monitor.checkSoon(slice.id);
      const state = slice?.observedState ?? 'UNKNOWN';
      const err = new AppError(
        'SLICE_UNAVAILABLE',
        `your WhatsApp workspace is not answering (state ${state}); it is being checked and restarted if needed: retry in a few seconds`,
      );
      const { status, body } = toHttpError(err);
      reply.log.debug({ slice: slice?.id, cause }, 'slice unavailable');
      reply.code(status).header('retry-after', '5').send(body);
    }

    function attach(request: FastifyRequest, slice: SliceRecord | null): AppError | undefined {
      if (!slice || !slice.token || slice.desiredState === 'removed') {
        return new AppError('SLICE_NOT_CONNECTED', 'no WhatsApp workspace yet: connect first (POST /api/connect)');
      }
      request.slice = slice;
      return undefined;
    }

    await app.register(httpProxy, {
      upstream: '',
      prefix: '/api',
      rewritePrefix: '/api',
      // The web app and Fastify's 404 handle the rest; only /api/ is a slice's.
      undici: { connections: 128, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 },
      disableRequestLogging: true,
      // A callback hook: with the slice cached (all but one request per user per 10 s) no promise.
      preHandler: (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
        let user;
        try {
          user = app.users.require(request);
        } catch (err) {
          return done(err as Error);
        }
        const cached = app.slices.cachedForUser(user.id);
        if (cached !== undefined) return done(attach(request, cached));
        app.slices.forUser(user.id).then((slice) => done(attach(request, slice)), done);
      },
      replyOptions: {
        getUpstream: (request: FastifyRequest) => (request.slice as SliceRecord).upstream,
        // No retries: a GET answered 503 by a slice must come back at once, not after ten tries.
        retryDelay: () => null,
        rewriteRequestHeaders: (request: FastifyRequest, headers: Record<string, unknown>) => {
          for (const name of STRIPPED_REQUEST_HEADERS) delete headers[name];
          headers.authorization = (request.slice as SliceRecord).authorization;
          headers['x-request-id'] = request.id;
          return headers;
        },
        rewriteHeaders: (headers: Record<string, unknown>) => {
          delete headers['set-cookie'];
          return headers;
        },
        onError: (reply: FastifyReply, { error }: { error: Error & { statusCode?: number } }) => {
          const status = error.statusCode ?? 502;
          if (status === 503 || status === 502 || status === 504 || status === 500) {
            unavailable(reply, reply.request.slice, error.message);
            return;
          }
          reply.send(error);
        },
      },
    } as never);
  },
  { name: 'proxy', dependencies: ['auth', 'slices', 'monitor'] },
);
