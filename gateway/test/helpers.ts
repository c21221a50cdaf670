// Test helpers: a database of the test file's own with the gateway role provisioned, build() for
// the app (app.inject), and a tiny cookie-keeping browser that speaks our CSRF rules.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { startTestCluster } from '../../test-support/pg.ts';
import { build as buildApp, type BuildOptions } from '../app.ts';
import { loadGatewayConfig } from '../config.ts';
import { provisionGatewayUrl } from '../lib/database-url.ts';

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

export async function startDb(t: Tap, name: string): Promise<TestDb> {
  const cluster = await startTestCluster(name);
  t.teardown(() => cluster.stop());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-test-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const gatewayUrl = await provisionGatewayUrl(cluster.adminUrl, dataDir);
  return { adminUrl: cluster.adminUrl, gatewayUrl, dataDir };
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

/** One browser: keeps the session cookie, sends our Origin and the CSRF token it was given. */
export class Browser {
  cookie: string | null = null;
  csrfToken: string | null = null;
  address = '203.0.113.10';

  constructor(private readonly app: FastifyInstance) {}

  async request(method: Method, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const h: Record<string, string> = { 'x-forwarded-for': this.address, ...headers };
    if (method !== 'GET') {
      if (!('origin' in h)) h.origin = ORIGIN;
      if (this.csrfToken && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrfToken;
    }
    if (this.cookie && !('cookie' in h)) h.cookie = this.cookie;
    const res = await this.app.inject({ method, url, headers: h, ...(body === undefined ? {} : { payload: body as object }) });
    const setCookie = res.cookies.find((c) => c.name === 'queunir_sid');
    if (setCookie) this.cookie = setCookie.value ? `queunir_sid=${setCookie.value}` : null;
    if (res.headers['content-type']?.toString().includes('json') && res.statusCode < 300) {
      const json = res.json() as { csrfToken?: string };
      if (json && typeof json.csrfToken === 'string') this.csrfToken = json.csrfToken;
    }
    return res;
  }

  async register(email: string, password = 'correct horse battery'): Promise<LightMyRequestResponse> {
    return this.request('POST', '/api/auth/register', { email, password });
  }

  async login(email: string, password = 'correct horse battery'): Promise<LightMyRequestResponse> {
    return this.request('POST', '/api/auth/login', { email, password });
  }
}
