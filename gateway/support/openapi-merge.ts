// The public API's OpenAPI document (issue 18), put together from two: the gateway's own routes and
// the slice's as a client reaches them through the gateway (the /api paths the gateway does not
// own are proxied to the caller's slice unchanged). Pure: plugins/openapi.ts gets both documents.
import { SESSION_COOKIE } from './session-cookie.ts';

type Json = Record<string, unknown>;
type Operation = Json & { 'x-queunir-scope'?: string; security?: unknown; tags?: string[] };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export const SECURITY_SCHEMES = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description:
      'A person signed in in a browser (POST /api/auth/login). State-changing requests also carry the x-csrf-token header (from GET /api/me) and a same-origin Origin.',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'qk_…',
    description:
      "Authorization: Bearer qk_… with an API key (POST /api/keys). No cookie, no CSRF token. An operation names the key's scope it needs in x-queunir-scope (read, send, manage); session: people only; public: no credentials.",
  },
} as const;

/** The first path segment after /api/ ("chats" for /api/chats/{id}), or null outside /api/. */
export function apiSegmentOf(path: string): string | null {
  return /^\/api\/([^/{}]+)/.exec(path)?.[1] ?? null;
}

/** Who may call an operation, from the scope it declares: none for public, a session for session, else a session or a key holding the scope. */
function securityOf(scope: string | undefined): unknown[] | undefined {
  if (scope === undefined) return undefined;
  if (scope === 'public') return [];
  if (scope === 'session') return [{ session: [] }];
  return [{ session: [] }, { apiKey: [scope] }];
}

/** Every `$ref` to `#/components/schemas/<name>` in `value`, renamed by `rename`. */
function renameRefs(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/') ? `#/components/schemas/${rename(v.slice(21))}` : renameRefs(v, rename);
  }
  return out;
}

export interface MergeInput {
  /** The gateway's document (@fastify/swagger over its routes). */
  gateway: Json;
  /** The slice's (slice/openapi.ts), paths as the slice serves them. */
  slice: Json;
  /** The /api/ segments whose routes the gateway answers itself: the slice's routes there are not reachable. */
  gatewaySegments: ReadonlySet<string>;
  publicUrl: string;
}

export function mergeOpenapi({ gateway, slice, gatewaySegments, publicUrl }: MergeInput): Json {
  // The slice's shared schemas get a prefix: two programs may name theirs alike.
  const rename = (name: string) => `slice.${name}`;
  const sliceSchemas = ((slice.components as Json | undefined)?.schemas ?? {}) as Json;
  const slicePaths = renameRefs(slice.paths ?? {}, rename) as Record<string, Json>;
  const paths: Record<string, Json> = { ...((gateway.paths ?? {}) as Record<string, Json>) };
  for (const [path, item] of Object.entries(slicePaths)) {
    const segment = apiSegmentOf(path);
    if (segment === null || gatewaySegments.has(segment) || paths[path]) continue;
    paths[path] = item;
  }
  const sorted: Record<string, Json> = {};
  for (const path of Object.keys(paths).sort()) {
    const item = paths[path]!;
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (!op) continue;
      const security = securityOf(op['x-queunir-scope']);
      if (security !== undefined) op.security = security;
      if (!op.tags?.length) op.tags = [apiSegmentOf(path) ?? 'service'];
    }
    sorted[path] = item;
  }
  const schemas: Json = { ...(((gateway.components as Json | undefined)?.schemas ?? {}) as Json) };
  for (const [name, schema] of Object.entries(sliceSchemas)) schemas[rename(name)] = renameRefs(schema, rename);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Queunir API',
      version: '1',
      description:
        "Queunir's HTTP API: the gateway's routes and the CRM's, one document. JSON everywhere; errors are {error: {kind, code, message}}. Each operation names what an API key needs in x-queunir-scope.",
    },
    servers: [{ url: publicUrl }],
    // An operation that declares no scope yet: a session or any key, until it says.
    security: [{ session: [] }, { apiKey: [] }],
    paths: sorted,
    components: { schemas, securitySchemes: SECURITY_SCHEMES },
  };
}
