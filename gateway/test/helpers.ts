// Test helpers: a database of the test file's own with the gateway role provisioned, build() for
// the app (app.inject), and a tiny cookie-keeping browser that speaks our CSRF rules, through
// app.inject() or, given the listening address, real HTTP on loopback (then the proxy's fast
// path answers the GETs it can, as in production).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { startTestCluster, type TestCluster, type TestClusterOptions } from '../../test-support/pg.ts';
import { build as buildApp, type BuildOptions } from '../app.ts';
import { loadGatewayConfig } from '../config.ts';
import { provisionGatewayUrl } from '../support/database-url.ts';

export const ORIGIN = 'http://localhost:3000';
export const SESSION_SECRET = 'test-session-secret-of-at-least-32-characters';

interface Tap {
  teardown(fn: () => unknown): void;
}

export interface TestDb {
  adminUrl: string;
  gatewayUrl: string;
  dataDir: string;
}

/** A cluster of the test file's own with the gateway provisioned in it; `cluster` for the fault
 * tests that stop its server or fill its disk. */
export async function startDb(t: Tap, name: string, options: TestClusterOptions = {}): Promise<TestDb & { cluster: TestCluster }> {
  const cluster = await startTestCluster(name, options);
  t.teardown(() => cluster.stop());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-test-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const gatewayUrl = await provisionGatewayUrl(cluster.adminUrl, dataDir);
  return { adminUrl: cluster.adminUrl, gatewayUrl, dataDir, cluster };
}

export async function build(
  t: Tap,
  db: TestDb,
  options: { env?: Record<string, string>; supervisor?: BuildOptions['supervisor']; monitor?: boolean } = {},
): Promise<FastifyInstance> {
  const config = loadGatewayConfig({
    SUPERVISOR_SOCKET: path.join(db.dataDir, 'no-supervisor.sock'),
    LOG_LEVEL: 'warn',
    PUBLIC_URL: ORIGIN,
    ...options.env,
  });
  const app = await buildApp({
    config,
    databaseUrl: db.gatewayUrl,
    sessionSecret: SESSION_SECRET,
    webDir: null,
    monitor: options.monitor ?? false,
    logger: false,
    ...(options.supervisor ? { supervisor: options.supervisor } : {}),
  });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The part of an inject() response the tests read, also built from a real HTTP response. */
export type TestResponse = Pick<LightMyRequestResponse, 'statusCode' | 'body' | 'headers' | 'json'> & {
  cookies: { name: string; value: string; httpOnly?: boolean; sameSite?: string; secure?: boolean }[];
};

/** A request over real HTTP, answered in inject()'s shape. */
async function httpRequest(base: string, method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<TestResponse> {
  const h = { ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  const r = await fetch(`${base}${url}`, { method, headers: h, redirect: 'manual', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  const out: Record<string, string | string[]> = {};
  r.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  const setCookies = r.headers.getSetCookie();
  if (setCookies.length > 0) out['set-cookie'] = setCookies;
  return {
    statusCode: r.status,
    body: text,
    headers: out,
    json: () => JSON.parse(text),
    cookies: setCookies.map((line) => {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair!.indexOf('=');
      const attribute = (name: string) => attributes.find((a) => a.toLowerCase().split('=')[0] === name.toLowerCase());
      return {
        name: pair!.slice(0, at),
        value: pair!.slice(at + 1),
        httpOnly: attribute('HttpOnly') !== undefined,
        secure: attribute('Secure') !== undefined,
        sameSite: attribute('SameSite')?.split('=')[1],
      };
    }),
  };
}

/** One browser: keeps the session cookie, sends our Origin and the CSRF token it was given. */
export class Browser {
  cookie: string | null = null;
  /** The known-device cookie a sign-in leaves (support/known-device.ts); kept across logouts, as a browser does. */
  deviceCookie: string | null = null;
  csrfToken: string | null = null;
  address = '203.0.113.10';

  /** base: the gateway's http://127.0.0.1:port to speak real HTTP to; none: app.inject(). */
  constructor(
    private readonly app: FastifyInstance,
    private readonly base?: string,
  ) {}

  async request(method: Method, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse> {
    const h: Record<string, string> = { 'x-forwarded-for': this.address, ...headers };
    if (method !== 'GET') {
      if (!('origin' in h)) h.origin = ORIGIN;
      if (this.csrfToken && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrfToken;
    }
    if (!('cookie' in h)) {
      const jar = [this.cookie, url.startsWith('/api/auth/') ? this.deviceCookie : null].filter(Boolean);
      if (jar.length > 0) h.cookie = jar.join('; ');
    }
    const res: TestResponse = this.base
      ? await httpRequest(this.base, method, url, h, body)
      : await this.app.inject({ method, url, headers: h, ...(body === undefined ? {} : { payload: body as object }) });
    const setCookie = res.cookies.find((c) => c.name === 'queunir_sid');
    if (setCookie) this.cookie = setCookie.value ? `queunir_sid=${setCookie.value}` : null;
    const device = res.cookies.find((c) => c.name === 'queunir_device');
    if (device) this.deviceCookie = device.value ? `queunir_device=${device.value}` : null;
    if (res.headers['content-type']?.toString().includes('json') && res.statusCode < 300) {
      const json = res.json() as { csrfToken?: string };
      if (json && typeof json.csrfToken === 'string') this.csrfToken = json.csrfToken;
    }
    return res;
  }

  async register(email: string, password = 'correct horse battery'): Promise<TestResponse> {
    return this.request('POST', '/api/auth/register', { email, password });
  }

  async login(email: string, password = 'correct horse battery'): Promise<TestResponse> {
    return this.request('POST', '/api/auth/login', { email, password });
  }
}
