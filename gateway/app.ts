// The gateway as a Fastify app, in the shape of fastify/demo: plugins first (each named, wrapped
// in fastify-plugin, its decorators typed), then routes, then one error handler that speaks
// lib/errors.ts. main.ts listens; tests call build() and app.inject().
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import helmet from 'helmet';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import fastifyStatic from '@fastify/static';
import { AppError, frameworkErrors, fromFastifyError, toAppError, toHttpError } from '../lib/errors.ts';
import { pgUnavailable } from '../sql/errors.ts';
import { loggerOptions } from '../lib/logger.ts';
import type { GatewayConfig } from './config.ts';
import dbPlugin from './plugins/db.ts';
import sessionPlugin from './plugins/session.ts';
import authPlugin from './plugins/auth.ts';
import apiKeysPlugin from './plugins/api-keys.ts';
import csrfPlugin from './plugins/csrf.ts';
import supervisorPlugin, { type SupervisorApi } from './plugins/supervisor.ts';
import eventsPlugin from './plugins/events.ts';
import mailerPlugin from './plugins/mailer.ts';
import sliceLifecyclePlugin from './plugins/slice-lifecycle.ts';
import monitorPlugin from './plugins/monitor.ts';
import metricsPlugin from './plugins/metrics.ts';
import billingPolicyPlugin from './plugins/billing-policy.ts';
import billingPlugin from './plugins/billing.ts';
import proxyPlugin from './plugins/proxy.ts';
import teamSyncPlugin from './plugins/team-sync.ts';
import waNoticesPlugin from './plugins/wa-notices.ts';
import webhooksPlugin from './plugins/webhooks.ts';
import openapiPlugin from './plugins/openapi.ts';
import authRoutes from './routes/auth.ts';
import meRoutes from './routes/me.ts';
import connectRoutes from './routes/connect.ts';
import eventsRoutes from './routes/events.ts';
import adminRoutes from './routes/admin.ts';
import healthRoutes from './routes/health.ts';
import billingRoutes from './routes/billing.ts';
import teamRoutes from './routes/team.ts';
import invitationRoutes from './routes/invitations.ts';
import accountSettingsRoutes from './routes/account-settings.ts';
import accountAuditRoutes from './routes/account-audit.ts';
import apiKeyRoutes from './routes/keys.ts';
import passwordRoutes from './routes/password.ts';
import emailVerificationRoutes from './routes/email-verification.ts';
import totpRoutes from './routes/totp.ts';
import sessionRoutes from './routes/sessions.ts';
import accountDeletionRoutes from './routes/account-deletion.ts';
import webhookRoutes from './routes/webhooks.ts';
import openapiRoutes from './routes/openapi.ts';
import { repoRootFrom } from '../lib/repo-root.ts';
import { requestIdOf } from './support/request-id.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: GatewayConfig;
    sessionSecret: string;
  }
}

export interface BuildOptions {
  config: GatewayConfig;
  /** PostgreSQL as role wank_gateway */
  databaseUrl: string;
  sessionSecret: string;
  /** Another supervisor client (the bench's stand-in); default: the real one on SUPERVISOR_SOCKET. */
  supervisor?: SupervisorApi;
  /** The monitor's timer and supervisor subscription; tests may drive checkAll() themselves. */
  monitor?: boolean;
  /** The built web app; null: none. Default: WEB_DIR, else dist/web when it exists. */
  webDir?: string | null;
  logger?: boolean;
}

export const ROOT = repoRootFrom(import.meta.url);

/** The headers helmet sets with these options, captured once. */
function staticHelmetHeaders(options: Parameters<typeof helmet>[0]): [string, string | string[]][] {
  const headers: [string, string | string[]][] = [];
  const res = {
    setHeader(name: string, value: string | string[]) {
      headers.push([name.toLowerCase(), value]);
    },
    removeHeader() {},
  } as unknown as ServerResponse;
  helmet(options)({} as IncomingMessage, res, () => {});
  return headers;
}

export async function build(options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options;
  // The proxy's fast path (plugins/proxy.ts) sees each request before Fastify does; it is set
  // once the app is ready. app.inject() goes to Fastify directly.
  let fastPath: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null;
  const app = Fastify({
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => {
        if (fastPath !== null) {
          try {
            if (fastPath(req, res)) return;
          } catch (err) {
            // Nothing was sent yet (it throws before forwarding or not at all): Fastify answers.
            app.log.error({ err, url: req.url }, 'proxy fast path failed; answered by Fastify');
          }
        }
        handler(req, res);
      });
      // What Fastify sets on a server it creates itself (its defaults).
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = 0;
      server.setTimeout(0);
      return server;
    },
    logger: options.logger === false ? false : loggerOptions('gateway', config.LOG_LEVEL),
    // No log line per request: the proxy path is the hot one (errors are still logged).
    logController: new LogController({ disableRequestLogging: true }),
    // Behind nginx on the same machine: the client address comes from X-Forwarded-For, only when
    // the direct peer is loopback.
    trustProxy: config.TRUST_PROXY ? 'loopback' : false,
    // nginx's X-Request-Id when nginx sent it, so one id finds a request in every log.
    genReqId: (req) => requestIdOf(req, config.TRUST_PROXY),
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: true,
    frameworkErrors,
  });

  app.decorate('config', config);
  app.decorate('sessionSecret', options.sessionSecret);

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appErr = fromFastifyError(err) ?? pgUnavailable(err) ?? toAppError(err);
    const { status, body } = toHttpError(appErr);
    if (status >= 500) request.log.error({ err, code: appErr.code, url: request.url }, appErr.message);
    reply.code(status).send(body);
  });

  // Security headers (helmet's). @fastify/helmet builds its middleware again on every request and
  // adds two onRequest hooks (one async) to every request even with global: false; the headers
  // never vary here (no per-route helmet options, no CSP nonces), so helmet itself computes them
  // once and one synchronous hook sets them from a plain array.
  const helmetOptions = {
    contentSecurityPolicy: {
      directives: {
        'default-src': ["'self'"],
        'img-src': ["'self'", 'data:', 'blob:'],
        'style-src': ["'self'", "'unsafe-inline'"],
        'connect-src': ["'self'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    hsts: config.PUBLIC_URL.startsWith('https:'),
  };
  const securityHeaders = staticHelmetHeaders(helmetOptions);
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of securityHeaders) reply.raw.setHeader(name, value);
    done();
  });
  // The /api/ path segments the gateway's own routes use: the proxy's fast path leaves them to
  // Fastify, and the API's document lists the slice's routes under the others.
  const gatewaySegments = new Set<string>();
  // First: it sees the routes registered after it (the document), and marks the reference page's public before auth reads them.
  await app.register(openapiPlugin, { gatewaySegments });
  await app.register(dbPlugin, { databaseUrl: options.databaseUrl });
  await app.register(sessionPlugin);
  await app.register(apiKeysPlugin);
  await app.register(authPlugin);
  await app.register(csrfPlugin);
  await app.register(supervisorPlugin, options.supervisor ? { supervisor: options.supervisor } : {});
  await app.register(eventsPlugin);
  await app.register(mailerPlugin);
  await app.register(sliceLifecyclePlugin);
  await app.register(teamSyncPlugin);
  await app.register(waNoticesPlugin);
  await app.register(webhooksPlugin);
  await app.register(monitorPlugin, { startTimer: options.monitor !== false });
  await app.register(metricsPlugin);
  await app.register(billingPolicyPlugin);
  await app.register(billingPlugin);

  app.addHook('onRoute', (route) => {
    const segment = /^\/api\/([^/:*]+)/.exec(route.url)?.[1];
    if (segment) gatewaySegments.add(segment);
  });
  await app.register(authRoutes);
  await app.register(meRoutes);
  await app.register(connectRoutes);
  await app.register(eventsRoutes);
  await app.register(adminRoutes);
  await app.register(billingRoutes);
  await app.register(passwordRoutes);
  await app.register(emailVerificationRoutes);
  await app.register(totpRoutes);
  await app.register(sessionRoutes);
  await app.register(accountDeletionRoutes);
  await app.register(healthRoutes);
  await app.register(teamRoutes);
  await app.register(invitationRoutes);
  await app.register(accountSettingsRoutes);
  await app.register(accountAuditRoutes);
  await app.register(webhookRoutes);
  await app.register(openapiRoutes);
  await app.register(apiKeyRoutes);
  await app.register(proxyPlugin, { gatewaySegments, securityHeaders, trustLoopback: config.TRUST_PROXY });
  app.addHook('onReady', (done) => {
    fastPath = app.proxyFastPath;
    done();
  });

  const webDir = options.webDir === undefined ? (config.WEB_DIR ?? path.join(ROOT, 'dist', 'web')) : options.webDir;
  const hasWeb = webDir !== null && fs.existsSync(path.join(webDir, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, { root: webDir, wildcard: true, index: ['index.html'] });
  }
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?', 1)[0] ?? '/';
    // The web app routes in the browser: any other GET page is index.html.
    if (hasWeb && (request.method === 'GET' || request.method === 'HEAD') && !url.startsWith('/api/') && url !== '/api') {
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    const { status, body } = toHttpError(new AppError('NOT_FOUND', `no route ${request.method} ${url}`));
    return reply.code(status).send(body);
  });

  return app;
}
