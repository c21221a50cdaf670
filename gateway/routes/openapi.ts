// GET /api/openapi.json: the API's description (plugins/openapi.ts builds it), and GET /api/docs:
// the reference page (@fastify/swagger-ui, its scripts and styles served from node_modules, so it
// works with no network; the gateway's CSP allows it as is: no inline script, nothing external).
// Both public: the document says what the API is, never what an account holds.
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { DOCS_PREFIX } from '../plugins/openapi.ts';

export default async function openapiRoutes(app: FastifyInstance) {
  app.get(
    '/api/openapi.json',
    {
      config: { access: 'public', scope: 'public' },
      schema: {
        description: "This document: OpenAPI 3.1, the gateway's routes and the CRM's as a client calls them.",
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async () => app.openapi.document(),
  );

  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // The page loads ./json: the same document as /api/openapi.json, built before the hook lets the request on.
    uiHooks: {
      preHandler: async (request) => {
        if (request.url.split('?', 1)[0]!.endsWith('/json')) await app.openapi.document();
      },
    },
    transformSpecification: () => app.openapi.built() ?? {},
    transformSpecificationClone: false,
    uiConfig: { deepLinking: true, docExpansion: 'list', tryItOutEnabled: false },
    theme: { title: 'Queunir API' },
  });
}
