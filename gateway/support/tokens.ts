// Tokens mailed in links (invitations, password resets, email checks): 32 random bytes,
// base64url. Only their sha256 is stored, so a copy of the database opens nothing.
import crypto from 'node:crypto';

export function newLinkToken(): { token: string; hash: string } {
  const token = crypto.randomBytes(32).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}

export function hashLinkToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A link under PUBLIC_URL carrying the token as ?token= (what the contract promises). */
export function linkWithToken(publicUrl: string, pathname: string, token: string): string {
  const url = new URL(pathname, publicUrl);
  url.searchParams.set('token', token);
  return url.toString();
}

/** The schema of a token as a route receives it. */
export const LINK_TOKEN_PATTERN = '^[A-Za-z0-9_-]{43}$';
