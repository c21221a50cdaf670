// What crosses the proxy, in both directions. Pure functions shared by the two ways a proxied
// request is answered (Fastify with @fastify/http-proxy, and the in-memory fast path in
// plugins/proxy.ts), so that both strip and add exactly the same headers.

import { ACTING_MEMBER_HEADER } from '../../lib/acting-member.ts';

type HeaderValue = string | string[] | number | undefined;
export type Headers = Record<string, HeaderValue>;

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never the next one. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/**
 * Never forwarded to a slice: the browser's credentials for the gateway (the session cookie, any
 * Authorization), the CSRF token, a request id the browser made up, an acting-member header it
 * made up (only the gateway says who acts), and hop-by-hop headers.
 */
const STRIPPED_REQUEST_HEADERS: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'cookie', 'authorization', 'x-csrf-token', 'x-request-id', 'host', ACTING_MEMBER_HEADER]);

/** Never passed back to the browser: a slice cannot set cookies on our origin. */
const STRIPPED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'set-cookie']);

/** Header names a Connection header lists are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(headers: Headers): string[] {
  const connection = headers.connection;
  if (typeof connection !== 'string') return [];
  return connection
    .toLowerCase()
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/**
 * The headers a slice receives: the browser's, minus what is stripped, plus the slice's own
 * bearer token, the gateway's request id, the slice's host and who acts (the signed
 * acting-member header, lib/acting-member.ts). Header names are lower case.
 */
export function sliceRequestHeaders(
  incoming: Headers,
  slice: { authorization: string; host: string },
  requestId: string,
  actingMember: string,
): Record<string, string | string[]> {
  const out = without(incoming, STRIPPED_REQUEST_HEADERS);
  out.host = slice.host;
  out.authorization = slice.authorization;
  out['x-request-id'] = requestId;
  out[ACTING_MEMBER_HEADER] = actingMember;
  return out;
}

/** The headers minus the stripped ones and those the Connection header lists; values as strings. */
function without(headers: Headers, stripped: ReadonlySet<string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = connectionListed(headers);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || stripped.has(name) || (listed.length > 0 && listed.includes(name))) continue;
    out[name] = typeof value === 'number' ? String(value) : value;
  }
  return out;
}

/** The slice's response headers as the browser gets them. */
export function browserResponseHeaders(upstream: Headers): Record<string, string | string[]> {
  return without(upstream, STRIPPED_RESPONSE_HEADERS);
}

/**
 * browserResponseHeaders plus the gateway's security headers, as the flat [name, value, …] list
 * ServerResponse.writeHead takes. A header the slice set wins over the gateway's default, as it
 * does on the Fastify path (reply headers set after the onRequest hook's).
 */
export function browserResponseHeaderList(upstream: Headers, securityHeaders: readonly (readonly [string, string | string[]])[]): (string | string[])[] {
  const kept = browserResponseHeaders(upstream);
  const list: (string | string[])[] = [];
  for (const name in kept) list.push(name, kept[name]!);
  for (const [name, value] of securityHeaders) if (kept[name] === undefined) list.push(name, value);
  return list;
}
