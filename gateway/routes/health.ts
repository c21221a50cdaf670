// GET /healthz for load balancers and systemd; GET /metrics for Prometheus, loopback only (and
// never through nginx, which adds X-Forwarded-For).
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { AppError } from '../../lib/errors.ts';

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', { config: { scope: 'public' } }, async (_request, reply) => {
    let database = 'ok';
    try {
      await sql`select 1`.execute(app.db);
    } catch {
      database = 'unavailable';
    }
    const supervisor = app.monitor.supervisorConnected() ? 'ok' : 'unavailable';
    reply.code(database === 'ok' ? 200 : 503);
    return { status: database === 'ok' ? 'ok' : 'degraded', database, supervisor };
  });

  app.get('/metrics', { config: { scope: 'public' } }, async (request, reply) => {
    if (!isLoopback(request.socket.remoteAddress) || request.headers['x-forwarded-for'] !== undefined) {
      throw new AppError('PERMISSION_DENIED', 'metrics are served to loopback clients only');
    }
    reply.header('content-type', app.metrics.registry.contentType);
    return app.metrics.registry.metrics();
  });
}
