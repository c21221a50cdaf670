// The gateway's configuration, from the environment, validated at start.
import { loadConfig, Fields, Type, type Env } from '../lib/config.ts';

export const GatewayConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(Fields.url('the PostgreSQL URL of role wank_gateway; unset: embedded under .data/pg')),
  PG_EMBEDDED_PORT: Fields.port(54320, 'port of the embedded PostgreSQL'),
  SUPERVISOR_SOCKET: Type.String({ minLength: 1, default: '/run/wank/supervisor.sock', description: 'path of the supervisor socket' }),
  PORT: Fields.port(3000),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'the address to listen on' }),
  SESSION_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'the cookie secret, at least 32 characters' })),
  PUBLIC_URL: Type.String({ pattern: '^https?://[^/]+$', default: 'http://localhost:3000', description: 'the public origin, scheme://host[:port]' }),
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ pattern: '^(sk|rk)_', description: 'a Stripe secret key sk_…' })),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_', description: 'a Stripe webhook secret whsec_…' })),
  STRIPE_PRICE_ID: Type.Optional(Type.String({ pattern: '^price_', description: 'Stripe price ids price_…, comma-separated' })),
  MONITOR_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000, description: 'milliseconds between health checks' }),
  LOG_LEVEL: Fields.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
});

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Env = process.env) {
  return loadConfig('gateway', GatewayConfigSchema, env);
}
