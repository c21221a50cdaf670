// The webhook signature as a receiver checks it (the README's snippet, run here against what the
// sender signs), and the retry delays' bounds (exponential ceiling, full jitter, at most an hour).
import crypto from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { BASE_DELAY_MS, newSigningSecret, retryCeilingMs, retryDelayMs, signatureHeader } from '../support/webhook-signing.ts';

/** A receiver's check, as the README documents it (Node, no library). */
function verify(secret: string, rawBody: string, header: string, toleranceS = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceS || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(parts.v1!, 'hex'));
}

t.test('a receiver accepts what is signed and refuses a changed body, another secret or an old timestamp', async (t) => {
  const secret = newSigningSecret();
  t.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/, 'a whsec_ secret of 32 random bytes');
  const body = JSON.stringify({ id: 'evt_1_42', type: 'message.received', createdAt: new Date().toISOString(), data: { body: 'héllo' } });
  const now = Math.floor(Date.now() / 1000);
  const header = signatureHeader(secret, body, now);
  t.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
  t.ok(verify(secret, body, header), 'the signed body verifies');
  t.notOk(verify(secret, body.replace('héllo', 'hello'), header), 'a changed body does not');
  t.notOk(verify(newSigningSecret(), body, header), 'another secret does not');
  t.notOk(verify(secret, body, signatureHeader(secret, body, now - 3600)), 'a signature an hour old is refused (replay)');
  t.notOk(verify(secret, body, header.replace(/t=\d+/, `t=${now + 1}`)), 'the timestamp is part of what is signed');
});

t.test('retry delays: full jitter under a doubling ceiling that stops at an hour', async (t) => {
  t.equal(retryCeilingMs(1), BASE_DELAY_MS);
  t.equal(retryCeilingMs(2), 2 * BASE_DELAY_MS);
  t.equal(retryCeilingMs(50), 3_600_000, 'capped at an hour');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 10, max: 60_000 }), (attempts, r, base) => {
      const d = retryDelayMs(attempts, base, () => r);
      const ceiling = retryCeilingMs(attempts, base);
      return Number.isInteger(d) && d >= 0 && d < ceiling && ceiling <= Math.max(base, 3_600_000) && ceiling >= Math.min(base, 3_600_000);
    }),
  );
  // Full jitter spans the whole range: near 0 and near the ceiling both happen.
  t.equal(retryDelayMs(3, 1000, () => 0), 0);
  t.equal(retryDelayMs(3, 1000, () => 0.9999), 3999);
  // Enough attempts fit in 24 h for a receiver down a day to be tried again many times.
  let total = 0;
  let n = 0;
  while (total < 24 * 3600_000) total += retryCeilingMs(++n);
  t.ok(n > 20, `at least 20 attempts within the day at the ceilings (${n})`);
});
