// Everything under /api/ that the gateway does not own goes to the caller's slice, on
// http://127.0.0.1:{port}, with the slice's bearer token and a request id. The browser's cookies,
// its Authorization and hop-by-hop headers never reach a slice, and a slice cannot set cookies on
// our origin (support/proxy-headers.ts). Connections to slices are kept alive and reused (undici,
// pooled per origin); nothing is logged per request at info level: this path is the hot one.
//
// Two ways answer a proxied request, with the same rules:
// - Fastify with @fastify/http-proxy: every hook (session, user, CSRF), the database when a cache
//   misses, request bodies, and every error;
// - the fast path, in front of Fastify (app.ts's serverFactory): a GET or HEAD whose session, user
//   and slice this process already holds in memory is streamed to the slice with no Fastify
//   request, no session object and no hook chain. It declines anything else, and Fastify answers.
//   It declines a request that carries an Authorization header (an API key: Fastify's hooks
//   check it, its rate and its scope). It exists because on a small server the proxy's CPU is taken from the slice and PostgreSQL
//   on the same cores: this way costs a fraction of the Fastify way's CPU (the README has the
//   figures of bench/gateway-cpu.bench.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import httpProxy from '@fastify/http-proxy';
import { Agent } from 'undici';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toHttpError } from '../../lib/errors.ts';
import { browserResponseHeaderList, browserResponseHeaders, sliceRequestHeaders } from '../support/proxy-headers.ts';
import { requestIdOf } from '../support/request-id.ts';
import type { SliceAssignment } from './slice-lifecycle.ts';
import { signActingMember, type ActingMember } from '../../lib/acting-member.ts';

/** The signed acting-member headers made lately, by slice token and member: the fast path signs once per member, not per request. */
class ActingHeaders {
  private readonly made = new Map<string, string>();
  for(member: ActingMember, slice: SliceAssignment): string {
    const apiKey = member.apiKey ? `${member.apiKey.id}\u0000${member.apiKey.scopes.join(',')}` : '';
    const key = `${slice.token}\u0000${member.id}\u0000${member.role}\u0000${member.name}\u0000${member.accountId}\u0000${apiKey}`;
    let value = this.made.get(key);
    if (value === undefined) {
      if (this.made.size >= 20_000) this.made.clear();
      value = signActingMember(member, slice.token);
      this.made.set(key, value);
    }
    return value;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    slice: SliceAssignment | null;
  }
  interface FastifyInstance {
    /** Answers a request without Fastify when it can (true); false: Fastify must. */
    proxyFastPath(req: IncomingMessage, res: ServerResponse): boolean;
  }
}

export interface ProxyOptions {
  /** The first path segments under /api/ that the gateway's own routes use (me, auth, events…). */
  gatewaySegments: ReadonlySet<string>;
  /** The security headers every response carries (app.ts computes them from helmet once). */
  securityHeaders: readonly (readonly [string, string | string[]])[];
  /** Believe nginx's X-Request-Id from a loopback peer (config TRUST_PROXY), as genReqId does. */
  trustLoopback: boolean;
}

const UNDICI_OPTIONS = { connections: 128, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 };
/** reply-from's default: a slice that has not answered in 10 s is unavailable. */
const UPSTREAM_TIMEOUT_MS = 10_000;
/** The route label the request-duration metric gives proxied requests on both paths. */
const PROXY_ROUTE = '/api/*';

/** The first path segment after /api/ ("chats" for /api/chats/7?x=1), or null for another path. */
export function apiSegment(url: string): string | null {
  if (!url.startsWith('/api/')) return null;
  let end = 5;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    end++;
  }
  return url.slice(5, end);
}

export default fp<ProxyOptions>(
  async (app, options) => {
    app.decorateRequest('slice', null);
    const acting = new ActingHeaders();

    function unavailableError(slice: SliceAssignment | null, cause: string, log: { debug: (o: object, m: string) => void }) {
      if (slice) app.monitor.checkSoon(slice.id);
      log.debug({ slice: slice?.id, cause }, 'slice unavailable');
      const state = slice?.observedState ?? 'UNKNOWN';
      return toHttpError(
        new AppError(
          'SLICE_UNAVAILABLE',
          `your WhatsApp workspace is not answering (state ${state}); it is being checked and restarted if needed: retry in a few seconds`,
        ),
      );
    }

    function attach(request: FastifyRequest, slice: SliceAssignment | null): AppError | undefined {
      if (!usable(slice)) {
        return new AppError('SLICE_NOT_CONNECTED', 'no WhatsApp workspace yet: connect first (POST /api/connect)');
      }
      request.slice = slice;
      app.metrics.countProxied('fastify');
      return undefined;
    }

    await app.register(httpProxy, {
      upstream: '',
      prefix: '/api',
      rewritePrefix: '/api',
      // The web app and Fastify's 404 handle the rest; only /api/ is a slice's.
      undici: UNDICI_OPTIONS,
      disableRequestLogging: true,
      // What a key needs here is the slice's to say: its acting-member plugin checks each proxied
      // route's own scope from the signed header, which carries the key's scopes.
      config: { scope: 'public' },
      // A callback hook: with the slice cached (all but one request per user per 10 s) no promise.
      preHandler: (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
        let member;
        try {
          member = app.auth.requireMember(request);
        } catch (err) {
          return done(err as Error);
        }
        const cached = app.slices.cachedForAccount(member.accountId);
        if (cached !== undefined) return done(attach(request, cached));
        app.slices.forAccount(member.accountId).then((slice) => done(attach(request, slice)), done);
      },
      replyOptions: {
        getUpstream: (request: FastifyRequest) => (request.slice as SliceAssignment).upstream,
        // No retries: a GET answered 503 by a slice must come back at once, not after ten tries.
        retryDelay: () => null,
        rewriteRequestHeaders: (request: FastifyRequest, headers: Record<string, string>) =>
          sliceRequestHeaders(headers, request.slice as SliceAssignment, request.id, acting.for(request.member!, request.slice as SliceAssignment)),
        rewriteHeaders: (headers: Record<string, string>) => browserResponseHeaders(headers),
        onError: (reply: FastifyReply, { error }: { error: Error & { statusCode?: number } }) => {
          const status = error.statusCode ?? 502;
          if (status === 503 || status === 502 || status === 504 || status === 500) {
            const { status: code, body } = unavailableError(reply.request.slice, error.message, reply.log);
            reply.code(code).header('retry-after', '5').send(body);
            return;
          }
          reply.send(error);
        },
      },
    } as never);

    // ---- the fast path ---------------------------------------------------------------------------
    const agent = new Agent(UNDICI_OPTIONS);
    let closing = false;
    app.addHook('preClose', (done) => {
      closing = true;
      done();
    });
    app.addHook('onClose', async () => {
      await agent.close();
    });

    function forward(req: IncomingMessage, res: ServerResponse, slice: SliceAssignment, member: ActingMember): void {
      const started = performance.now();
      const method = req.method as 'GET' | 'HEAD';
      const done = (status: number) => app.metrics.observeRequest(method, PROXY_ROUTE, status, (performance.now() - started) / 1000);
      agent.stream(
        {
          origin: slice.upstream,
          path: req.url!,
          method,
          headers: sliceRequestHeaders(req.headers, slice, requestIdOf(req, options.trustLoopback), acting.for(member, slice)),
          headersTimeout: UPSTREAM_TIMEOUT_MS,
          bodyTimeout: UPSTREAM_TIMEOUT_MS,
        },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, browserResponseHeaderList(headers, options.securityHeaders) as string[]);
          return res;
        },
        (err) => {
          if (!err) return done(res.statusCode);
          if (res.headersSent) {
            // The slice went away mid-body: the browser sees a cut connection, as on Fastify's path.
            res.destroy();
            return done(res.statusCode);
          }
          const { status, body } = unavailableError(slice, err.message, app.log);
          const json = JSON.stringify(body);
          const list = browserResponseHeaderList({ 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'retry-after': '5' }, options.securityHeaders);
          res.writeHead(status, list as string[]);
          res.end(method === 'HEAD' ? undefined : json);
          done(status);
        },
      );
    }

    app.decorate('proxyFastPath', (req: IncomingMessage, res: ServerResponse): boolean => {
      if (closing) return false;
      const method = req.method;
      if (method !== 'GET' && method !== 'HEAD') return false;
      const url = req.url;
      if (url === undefined) return false;
      const segment = apiSegment(url);
      if (segment === null || segment === '' || options.gatewaySegments.has(segment)) return false;
      const headers = req.headers;
      if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined || headers.upgrade !== undefined) return false;
      // An API key (or any other Authorization): Fastify's way, whose hooks check keys.
      if (headers.authorization !== undefined) return false;
      const cookie = headers.cookie;
      if (!cookie) return false;
      const sid = app.sessionCookie.sessionIdOf(cookie);
      if (sid === null) return false;
      const session = app.sessionStore.peek(sid);
      if (!session) return false;
      const principal = app.auth.peek(session);
      // No member (in no account): Fastify answers with the error.
      const member = principal?.member;
      if (!member) return false;
      const slice = app.slices.cachedForAccount(member.accountId);
      if (!usable(slice)) return false;
      app.metrics.countProxied('fast');
      forward(req, res, slice, member);
      return true;
    });
  },
  { name: 'proxy', dependencies: ['auth', 'api-keys', 'slice-lifecycle', 'monitor', 'metrics', 'session'] },
);

function usable(slice: SliceAssignment | null | undefined): slice is SliceAssignment {
  return !!slice && !!slice.token && slice.desiredState !== 'removed';
}
