// The second factor of a login: a TOTP code from the user's authenticator app (otplib, RFC 6238,
// 30 s steps, one step of clock drift either way) or one of their recovery codes, each usable once.
// Every way in that checks a password (login, accepting an invitation as an existing user) asks
// here next when the user turned two-factor on.
import crypto from 'node:crypto';
import { generate, generateSecret, generateURI, verify } from 'otplib';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { PRODUCT_NAME } from './mailer.ts';

export interface SecondFactor {
  totp?: string;
  recoveryCode?: string;
}

export const TOTP_PATTERN = '^[0-9]{6}$';
export const RECOVERY_CODE_PATTERN = '^[A-Za-z0-9]{5}-?[A-Za-z0-9]{5}$';

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, email: string): string {
  return generateURI({ issuer: PRODUCT_NAME, label: email, secret });
}

/** Tests and the setup check: the code for now. */
export function totpNow(secret: string): Promise<string> {
  return generate({ secret });
}

export async function totpMatches(secret: string, code: string): Promise<boolean> {
  if (!/^[0-9]{6}$/.test(code)) return false;
  const result = await verify({ secret, token: code, epochTolerance: 30 });
  return result.valid;
}

/** Recovery codes as shown once to the user (xxxxx-xxxxx) and the hash kept of each. */
export function newRecoveryCodes(count = 10): { codes: string[]; hashes: string[] } {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = crypto.randomBytes(10);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    codes.push(`${chars.slice(0, 5)}-${chars.slice(5)}`);
  }
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

export function hashRecoveryCode(code: string): string {
  const normal = code.toLowerCase().replace(/-/g, '');
  return crypto.createHash('sha256').update(normal, 'utf8').digest('hex');
}

/**
 * Passes when the user has no second factor, or the one given is right (a recovery code is used
 * up). Throws TOTP_REQUIRED when one is needed and none was given, TOTP_INVALID when it is wrong.
 */
export async function verifySecondFactor(app: FastifyInstance, userId: string, given: SecondFactor): Promise<void> {
  const row = await app.db.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', userId).executeTakeFirst();
  if (!row?.totp_enabled_at || !row.totp_secret) return;
  if (given.totp) {
    if (await totpMatches(row.totp_secret, given.totp)) return;
    throw new AppError('TOTP_INVALID', 'the two-factor code is wrong or too old: use the current code of your authenticator app');
  }
  if (given.recoveryCode) {
    const used = await app.db
      .updateTable('recovery_codes')
      .set({ used_at: new Date() })
      .where('user_id', '=', userId)
      .where('code_hash', '=', hashRecoveryCode(given.recoveryCode))
      .where('used_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (used) return;
    throw new AppError('TOTP_INVALID', 'this recovery code is wrong or was used already');
  }
  throw new AppError('TOTP_REQUIRED', 'two-factor sign-in is on: send the code from your authenticator app (totp) or a recovery code', {
    details: { secondFactor: ['totp', 'recoveryCode'] },
  });
}
