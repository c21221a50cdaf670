// What a webhook receiver checks, and when a failed delivery is tried again. The signature is
// Stripe's scheme, which receivers know: `Queunir-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
// of "<t>.<raw body>">` with the endpoint's secret; the timestamp inside the signed text lets a
// receiver refuse old replays.
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'queunir-signature';
/** The prefix of a signing secret: it tells people what the string is when they find it. */
export const SECRET_PREFIX = 'whsec_';

export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
}

/** The Queunir-Signature header for this raw body, signed at `at` (unix seconds). */
export function signatureHeader(secret: string, rawBody: string, at: number): string {
  const v1 = crypto.createHmac('sha256', secret).update(`${at}.${rawBody}`).digest('hex');
  return `t=${at},v1=${v1}`;
}

/** Retries stop this long after the first attempt; the delivery is then failed. */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const BASE_DELAY_MS = 10_000;
const MAX_DELAY_MS = 60 * 60 * 1000;

/**
 * The wait before attempt `attempts + 1`, after `attempts` failed ones: exponential (10 s, 20 s, 40 s
 * … at most an hour) with full jitter (anywhere from 0 to that), so the receivers that all failed
 * together at an outage are not all retried at the same instant when it ends.
 */
export function retryDelayMs(attempts: number, baseMs = BASE_DELAY_MS, random: () => number = Math.random): number {
  return Math.floor(random() * retryCeilingMs(attempts, baseMs));
}

/** The ceiling retryDelayMs draws below (for the tests and the docs). */
export function retryCeilingMs(attempts: number, baseMs = BASE_DELAY_MS): number {
  return Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}
