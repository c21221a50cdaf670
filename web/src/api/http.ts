// The one fetch wrapper. SaaS: cookies (same origin) + the CSRF token from /api/me on writes.
// Self-hosted: the slice token from localStorage as a bearer token.
import { SAAS } from '../env.ts';

export interface ApiErrorBody {
  kind: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly kind: string;
  readonly code: string;
  /** Seconds to wait before trying again, from a 429's `retry-after` header. */
  readonly retryAfter: number | null;
  constructor(status: number, body: ApiErrorBody, retryAfter: number | null = null) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.kind = body.kind;
    this.code = body.code;
    this.retryAfter = retryAfter;
  }
}

const TOKEN_KEY = 'queunir.sliceToken';
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getSliceToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setSliceToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** Listeners told when the server says we are not (or no longer) authenticated. */
const unauthenticatedListeners = new Set<() => void>();
export function onUnauthenticated(fn: () => void): () => void {
  unauthenticatedListeners.add(fn);
  return () => unauthenticatedListeners.delete(fn);
}

export type Query = Record<string, string | number | boolean | null | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
}

/** The headers that prove who we are: the CSRF token on SaaS writes, the slice token self-hosted. */
export function authHeaders(method: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (SAAS) {
    if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  } else {
    const token = getSliceToken();
    if (token) headers.authorization = `Bearer ${token}`;
  }
  return headers;
}

export const NETWORK_ERROR_BODY: ApiErrorBody = { kind: 'Unavailable', code: 'NETWORK', message: 'Cannot reach the server. Check your connection.' };

/** A failed answer's text (the API's `{error}` or anything else) → the ApiError, telling the listeners on 401. */
export function failure(status: number, text: string, retryAfterHeader?: string | null): ApiError {
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  const body = (data as { error?: ApiErrorBody } | undefined)?.error;
  // Only the delay-seconds form: the gateway sends no HTTP dates.
  const wait = retryAfterHeader && /^\d+$/.test(retryAfterHeader.trim()) ? Number(retryAfterHeader) : null;
  const error = new ApiError(status, body ?? { kind: 'Internal', code: `HTTP_${status}`, message: `Request failed (${status})` }, wait);
  if (status === 401) for (const fn of unauthenticatedListeners) fn();
  return error;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(method) };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, NETWORK_ERROR_BODY);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!res.ok) throw failure(res.status, text, res.headers.get('retry-after'));
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  return data as T;
}

export function isApiError(err: unknown, code?: string): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}
