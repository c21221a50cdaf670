// The self-hosted web app (built without VITE_SAAS): static files at /, and index.html for the app's
// own routes (/inbox/12, /pipeline …) so a reload lands in the app. The API keeps its 404s.
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { API_PATH, routedPath } from '../plugins/auth.ts';

const webAppRoutes: FastifyPluginAsync<{ root: string }> = async (app, opts) => {
  const root = path.resolve(opts.root);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new AppError('CONFIG_INVALID', `WEB_DIR ${root} has no index.html: build the web app first (npx vite build --config web/vite.config.ts)`);
  }
  await app.register(fastifyStatic, { root, wildcard: false, index: 'index.html' });
  // Files are routes of their own (wildcard: false); any other GET that is not the API and not a
  // file name is one of the app's own routes.
  app.get('/*', { config: { minRole: 'agent', scope: 'public' } }, (req, reply) => {
    // Judged on the decoded path, as the router matched it: /%61pi/x is the API's, not the app's.
    const pathname = routedPath(req.url) ?? req.url.split('?')[0]!;
    if (API_PATH.test(pathname) || /\.[a-z0-9]+$/i.test(pathname)) {
      throw new AppError('NOT_FOUND', `no route GET ${pathname}`);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
};

export default webAppRoutes;
