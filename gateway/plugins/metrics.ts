// Prometheus metrics: request durations by route, open event streams, slices by state. A
// registry per app instance (tests build many apps in one process).
import fp from 'fastify-plugin';
import { Registry, Histogram, Gauge, Counter, collectDefaultMetrics } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: {
      registry: Registry;
      /** One request answered outside Fastify's hooks (the proxy's fast path). */
      observeRequest(method: string, route: string, status: number, seconds: number): void;
      /** One request sent to a slice, by the way it went: 'fast' (no Fastify) or 'fastify'. */
      countProxied(way: 'fast' | 'fastify'): void;
    };
  }
}

export default fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
    const duration = new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'HTTP request durations by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    new Gauge({
      name: 'gateway_event_streams_open',
      help: 'browser event streams open now',
      registers: [registry],
      collect() {
        this.set(app.events.openStreams());
      },
    });
    new Gauge({
      name: 'gateway_slices',
      help: 'slices by observed state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        this.reset();
        const rows = await app.db
          .selectFrom('slices')
          .select((eb) => ['observed_state', eb.fn.countAll<string>().as('n')])
          .where('desired_state', '!=', 'removed')
          .groupBy('observed_state')
          .execute();
        for (const row of rows) this.set({ state: row.observed_state }, Number(row.n));
      },
    });
    const proxied = new Counter({
      name: 'gateway_proxied_requests_total',
      help: "requests sent to slices, by the way the gateway answered them: 'fast' (in memory, no Fastify) or 'fastify'",
      labelNames: ['way'],
      registers: [registry],
    });
    const fast = proxied.labels('fast');
    const viaFastify = proxied.labels('fastify');
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, never the raw URL: ids in paths must not explode the label set.
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
      done();
    });
    app.decorate('metrics', {
      registry,
      observeRequest(method: string, route: string, status: number, seconds: number) {
        duration.observe({ method, route, status }, seconds);
      },
      countProxied(way: 'fast' | 'fastify') {
        (way === 'fast' ? fast : viaFastify).inc();
      },
    });
  },
  { name: 'metrics', dependencies: ['events', 'db'] },
);
