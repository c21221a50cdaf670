// A browser that has signed in to an account before carries a signed "known device" cookie for
// it. Its failed logins are counted on their own, so a stranger guessing (or deliberately locking
// out) an account from elsewhere does not lock its owner out of the browsers they already use.
// The cookie names the account by a hash of its email and holds no secret of the account.
import crypto from 'node:crypto';
import { Signer } from '@fastify/cookie';

export const DEVICE_COOKIE = 'queunir_device';
export const DEVICE_COOKIE_MAX_AGE_S = 365 * 86_400;

export class KnownDevices {
  private readonly signer: Signer;

  constructor(sessionSecret: string) {
    // Derived, so a device cookie can never pass as a session cookie or the other way round.
    this.signer = new Signer(crypto.createHmac('sha256', sessionSecret).update('queunir known-device cookie').digest('hex'));
  }

  /** The cookie value for a browser that just signed in to the account with this email. */
  issue(email: string): string {
    return this.signer.sign(`${crypto.randomBytes(12).toString('base64url')}.${emailTag(email)}`);
  }

  /** The device's id when the cookie is valid and was issued for this email, else null. */
  deviceFor(cookieValue: string | undefined, email: string): string | null {
    if (!cookieValue) return null;
    const unsigned = this.signer.unsign(cookieValue);
    if (!unsigned.valid || !unsigned.value) return null;
    const [device, tag] = unsigned.value.split('.');
    return device && tag === emailTag(email) ? device : null;
  }
}

function emailTag(email: string): string {
  return crypto.createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
}
