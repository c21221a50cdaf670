// The API's OpenAPI document (issue 18). @fastify/swagger collects the gateway's routes as they are
// registered (so this plugin comes before them), each operation marked with the scope an API key
// needs (`x-queunir-scope`, from `config.scope`). The slice's part comes from the slice's own code,
// which the gateway never imports: `slice/openapi.ts` is run once as a child process, on the first
// request for the document, and what it prints is kept for the life of the process (the slice's
// routes are the code's, the same for every account, and change only with a deploy, which restarts
// the gateway too). Why not ask a running slice: the document is public and must not need any
// customer's slice to be up, nor send an anonymous request to one.
import { execFile } from 'node:child_process';
import path from 'node:path';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { repoRootFrom } from '../../lib/repo-root.ts';
import { mergeOpenapi } from '../support/openapi-merge.ts';

declare module 'fastify' {
  interface FastifyInstance {
    openapi: {
      /** The whole public document (gateway and slice routes); builds the slice's part on first use. */
      document(): Promise<Record<string, unknown>>;
      /** The document when it was built already (the reference page's synchronous hook), else null. */
      built(): Record<string, unknown> | null;
    };
  }
}

/** Where the reference page lives: its own routes (HTML, scripts, styles) are public, as the document is. */
export const DOCS_PREFIX = '/api/docs';

const ROOT = repoRootFrom(import.meta.url);
const SCRIPT = path.join(ROOT, 'slice', 'openapi.ts');
const SCRIPT_TIMEOUT_MS = 60_000;

/** Runs slice/openapi.ts and parses what it prints. Its environment is PATH and nothing else: no secret of the gateway's reaches it. */
export function runSliceOpenapiScript(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new AppError('UNAVAILABLE', `the slice's API description could not be built (${err.message.split('\n')[0]})`, { cause: stderr.slice(-2000) }));
        try {
          resolve(JSON.parse(stdout) as Record<string, unknown>);
        } catch (e) {
          reject(new AppError('UNAVAILABLE', `the slice's API description is not JSON (${(e as Error).message})`));
        }
      },
    );
  });
}

export interface OpenapiOptions {
  /** The /api/ segments the gateway's own routes use (app.ts fills it as routes register). */
  gatewaySegments: ReadonlySet<string>;
  /** Another source of the slice's document (tests); default: run slice/openapi.ts. */
  sliceDocument?: () => Promise<Record<string, unknown>>;
}

export default fp<OpenapiOptions>(
  async (app: FastifyInstance, options) => {
    // The reference page's routes are @fastify/swagger-ui's, which take no route config: declared
    // public here, before the auth plugin's onRoute hook reads them (this hook runs first).
    app.addHook('onRoute', (route) => {
      if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) {
        route.config = { ...(route.config as object), access: 'public', scope: 'public' } as typeof route.config;
      }
    });

    await app.register(swagger, {
      openapi: { openapi: '3.1.0', info: { title: 'Queunir gateway', version: '1' } },
      transform: ({ schema, url, route }) => {
        // Wildcards are the proxy's and the web app's files: what the proxy forwards is listed as the slice's routes.
        if (url.includes('*') || url === '/api' || url === '/api/') return { schema: { ...(schema ?? {}), hide: true } as typeof schema, url };
        const scope = (route.config as { scope?: string } | undefined)?.scope;
        return { schema: { ...(schema ?? {}), ...(scope ? { 'x-queunir-scope': scope } : {}) } as typeof schema, url };
      },
    });

    const sliceDocument = options.sliceDocument ?? runSliceOpenapiScript;
    let building: Promise<Record<string, unknown>> | null = null;
    let document: Record<string, unknown> | null = null;
    app.decorate('openapi', {
      document() {
        if (document) return Promise.resolve(document);
        // One build for concurrent first requests; a failed one is not kept (the next request tries again).
        building ??= sliceDocument()
          .then((slice) => {
            document = mergeOpenapi({ gateway: structuredClone(app.swagger() as unknown as Record<string, unknown>), slice, gatewaySegments: options.gatewaySegments, publicUrl: app.config.PUBLIC_URL });
            return document;
          })
          .catch((err: unknown) => {
            app.log.error({ err, detail: (err as { cause?: unknown }).cause }, 'building the OpenAPI document failed');
            throw err;
          })
          .finally(() => {
            building = null;
          });
        return building;
      },
      built: () => document,
    });
  },
  { name: 'gateway-openapi' },
);
