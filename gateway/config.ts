// The gateway's configuration, from the environment, validated at start.
import { loadConfig, Fields, Type, type Env } from '../lib/config.ts';
import { AppError } from '../lib/errors.ts';
import { DEFAULT_SOCKET } from '../supervisor/protocol.ts';
import { parseAllowList } from './support/webhook-address.ts';

const GatewayConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(Fields.url('the PostgreSQL URL of role wank_gateway; unset: embedded under .data/pg')),
  PG_EMBEDDED_PORT: Fields.port(54320, 'port of the embedded PostgreSQL'),
  SUPERVISOR_SOCKET: Type.String({ minLength: 1, default: DEFAULT_SOCKET, description: 'path of the supervisor socket' }),
  SUPERVISOR_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 60_000, description: 'milliseconds to wait for one supervisor call' }),
  PORT: Fields.port(3000),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'the address to listen on' }),
  SESSION_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'the cookie secret, at least 32 characters' })),
  SESSION_TTL_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 365, default: 24 * 14, description: 'hours a login session lasts' }),
  PUBLIC_URL: Type.String({ pattern: '^https?://[^/]+$', default: 'http://localhost:3000', description: 'the public origin, scheme://host[:port]' }),
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ pattern: '^(sk|rk)_', description: 'a Stripe secret key sk_…' })),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_', description: 'a Stripe webhook secret whsec_…' })),
  STRIPE_PRICE_ID: Type.Optional(Type.String({ pattern: '^price_[A-Za-z0-9_]+(,price_[A-Za-z0-9_]+)*$', description: 'Stripe price ids price_…, comma-separated; the first is the default plan' })),
  STRIPE_API_URL: Type.Optional(Type.String({ pattern: '^https?://[^/]+$', description: 'where the Stripe client talks, scheme://host:port (tests: the fake Stripe API); default Stripe itself' })),
  BILLING_TRIAL_DAYS: Type.Integer({ minimum: 0, maximum: 730, default: 14, description: 'free trial days of a new subscription (0: none)' }),
  BILLING_GRACE_DAYS: Type.Integer({ minimum: 0, maximum: 365, default: 7, description: 'days a past-due account keeps its slice running' }),
  BILLING_RETENTION_DAYS: Type.Integer({ minimum: 0, maximum: 3650, default: 30, description: 'days data is kept after a subscription ended, then removed' }),
  BILLING_ENFORCE_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 86_400_000, default: 300_000, description: 'milliseconds between billing enforcement passes' }),
  MONITOR_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000, description: 'milliseconds between health checks' }),
  MONITOR_UNHEALTHY_CHECKS: Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'failed checks in a row before a restart' }),
  MONITOR_SLOW_CHECKS: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'checks in a row a running slice may not answer /health in time (a loaded host) before it is restarted as hung' }),
  MAX_SLICES: Type.Integer({ minimum: 1, maximum: 30000, default: 200, description: 'the highest slice id (as the supervisor has it)' }),
  LOGIN_LIMIT_PER_ADDRESS: Type.Integer({ minimum: 1, maximum: 100_000, default: 30, description: 'login/register attempts per address per window' }),
  LOGIN_LIMIT_PER_ACCOUNT: Type.Integer({ minimum: 1, maximum: 100_000, default: 5, description: 'failed logins per account per window' }),
  LOGIN_LIMIT_WINDOW_S: Type.Integer({ minimum: 1, maximum: 86_400, default: 900, description: 'seconds of the login rate-limit window' }),
  API_KEY_RATE_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 600, description: 'requests one API key may make per minute on this gateway (more: 429 RATE_LIMITED with retry-after)' }),
  CONNECT_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 10_000, default: 30, description: 'POST /api/connect calls per user per minute (each may create or start a slice)' }),
  EVENTS_MAX_STREAMS_PER_USER: Type.Integer({ minimum: 1, maximum: 100_000, default: 20, description: 'open /api/events streams one user may hold on this gateway (more: 429 TOO_MANY_STREAMS)' }),
  EVENTS_MAX_STREAMS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'open /api/events streams this gateway holds in all (more: 429 TOO_MANY_STREAMS)' }),
  EVENTS_SESSION_CHECK_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000, description: 'milliseconds between checks that the sessions of open event streams still exist (ended by another process)' }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://', description: 'where mail is sent, smtp://user:pass@host:port (smtps:// for TLS); unset: mails are written as .eml files under MAIL_OUTBOX_DIR' })),
  MAIL_FROM: Type.String({ minLength: 3, maxLength: 254, default: 'Queunir <no-reply@localhost>', description: 'the From of every mail, "Name <address>"' }),
  MAIL_OUTBOX_DIR: Type.Optional(Type.String({ minLength: 1, description: 'where mails go without SMTP_URL (default DATA_DIR/outbox)' })),
  INVITATION_TTL_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 72, description: 'hours an invitation link works' }),
  EMAIL_VERIFY_TTL_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 72, description: 'hours an email-verification link works' }),
  PASSWORD_RESET_TTL_MINUTES: Type.Integer({ minimum: 5, maximum: 24 * 60, default: 60, description: 'minutes a password-reset link works' }),
  TEAM_SYNC_RETRY_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000, description: 'milliseconds between retries of a team push (PUT /internal/team) a slice did not take' }),
  WEBHOOK_ALLOW_HOSTS: Type.Optional(Type.String({ maxLength: 4000, description: 'hosts or addresses/CIDRs webhooks may reach although private or loopback, comma-separated (e.g. 127.0.0.1,hooks.internal,10.1.0.0/16); unset: public addresses only' })),
  WEBHOOK_POLL_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 5_000, description: "milliseconds between the webhook worker's passes over the accounts' slice event logs when no live event woke it" }),
  WEBHOOK_RETRY_BASE_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 10_000, description: 'the first retry delay of a failed webhook delivery, doubled per attempt (full jitter, at most an hour), for 24 h' }),
  WEBHOOK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 4, description: 'webhook deliveries this gateway posts at the same time' }),
  WEB_DIR: Type.Optional(Type.String({ minLength: 1, description: 'the built web app to serve (default dist/web when it exists)' })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1, description: 'where dev secrets are kept (default .data)' })),
  TRUST_PROXY: Type.Boolean({ default: true, description: 'true behind nginx on loopback: take the client address from X-Forwarded-For' }),
  LOG_LEVEL: Fields.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
});

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Env = process.env) {
  const config = loadConfig('gateway', GatewayConfigSchema, env);
  // Billing on (a secret key) needs the webhook secret and at least one price: fail naming the key.
  if (config.STRIPE_SECRET_KEY) {
    const missing = (['STRIPE_WEBHOOK_SECRET', 'STRIPE_PRICE_ID'] as const).filter((k) => !config[k]);
    if (missing.length > 0) {
      throw new AppError('CONFIG_INVALID', `gateway config: ${missing.map((k) => `${k} is required when STRIPE_SECRET_KEY is set`).join('; ')}`, {
        details: { keys: missing },
      });
    }
  }
  // A bad entry fails the start naming it, not the first delivery.
  parseAllowList(config.WEBHOOK_ALLOW_HOSTS);
  return config;
}
