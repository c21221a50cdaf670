// The slice's part of the API's OpenAPI document (issue 18), from its own route schemas: every
// operation carries the scope an API key needs (`x-queunir-scope`, from `config.scope`) and the
// least member role (`x-queunir-min-role`). The gateway publishes the /api part of it, as a client
// sees it through the gateway (gateway/plugins/openapi.ts); this knows nothing of the gateway.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

export async function registerOpenapi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Queunir slice', version: '1' },
    },
    transform: ({ schema, url, route }) => {
      const config = (route.config ?? {}) as { scope?: string; minRole?: string };
      const marks: Record<string, string> = {};
      if (config.scope) marks['x-queunir-scope'] = config.scope;
      if (config.minRole) marks['x-queunir-min-role'] = config.minRole;
      return { schema: { ...(schema ?? {}), ...marks } as typeof schema, url };
    },
  });
}
