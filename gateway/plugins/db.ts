// The gateway's database: Kysely over pg as role wank_gateway, every table qualified with schema
// gateway. Closed with the app.
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { createDb, checkConnection } from '../../sql/database.ts';
import { GATEWAY_SCHEMA, type GatewayDatabase } from '../../sql/gateway/schema.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<GatewayDatabase>;
  }
}

export default fp(
  async (app, opts: { databaseUrl: string }) => {
    const root = createDb<GatewayDatabase>(opts.databaseUrl, {
      max: 20,
      applicationName: 'queunir-gateway',
      // A new connection costs PostgreSQL a process and a SCRAM exchange (milliseconds of CPU); the
      // gateway's queries come in bursts (every cached session and user expires every few seconds),
      // so the connections a burst opened are kept for the next ones.
      idleTimeoutMillis: 600_000,
    });
    await checkConnection(root, opts.databaseUrl);
    app.decorate('db', root.withSchema(GATEWAY_SCHEMA));
    app.addHook('onClose', async () => {
      await root.destroy();
    });
  },
  { name: 'db' },
);
