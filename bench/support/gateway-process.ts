// The gateway as production runs it, for the benches: compiled (scripts/build-server.sh), in a
// process of its own, and a user registered through it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../test-support/pg.ts';
import { sessionCookieOf } from '../../gateway/support/session-cookie.ts';
import { waitUntil } from '../../gateway/test/system.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface GatewayProcess {
  proc: ChildProcess;
  port: number;
  base: string;
  origin: string;
  stop(): Promise<void>;
}

export async function startGateway(options: {
  dir: string;
  databaseUrl: string;
  supervisorSocket: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  logLevel?: string;
}): Promise<GatewayProcess> {
  const port = await freePort();
  execFileSync('bash', ['scripts/build-server.sh'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), 'dist/server/gateway.mjs'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      DATABASE_URL: options.databaseUrl,
      SUPERVISOR_SOCKET: options.supervisorSocket,
      PORT: String(port),
      PUBLIC_URL: `http://localhost:${port}`,
      SESSION_SECRET: 'bench-session-secret-at-least-32-characters',
      DATA_DIR: options.dir,
      WEB_DIR: path.join(options.dir, 'no-web'),
      LOG_LEVEL: options.logLevel ?? 'warn',
      LOGIN_LIMIT_PER_ADDRESS: '1000',
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil('the gateway', 60_000, async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok);
  return { proc, port, base, origin: `http://localhost:${port}`, stop };
}

/** A new user, signed in: its session cookie and CSRF token. */
export async function registerUser(gw: GatewayProcess, email = 'bench@example.com'): Promise<{ cookie: string; csrfToken: string; userId: string; accountId: string }> {
  const reg = await fetch(`${gw.base}/api/auth/register`, {
    method: 'POST',
    headers: { origin: gw.origin, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'bench password 123' }),
  });
  const cookie = sessionCookieOf(reg.headers)!;
  const { user, account, csrfToken } = (await reg.json()) as { user: { id: string }; account: { id: string }; csrfToken: string };
  return { cookie, csrfToken, userId: user.id, accountId: account.id };
}
