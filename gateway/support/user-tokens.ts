// Single-use links mailed to a user (password reset, email verification): the token goes in the
// mail, its sha256 in gateway.user_tokens. Using one is a single UPDATE that claims it only while
// unused and unexpired, so two clicks racing each other cannot both pass.
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import { AppError } from '../../lib/errors.ts';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';
import type { UserTokenPurpose } from '../../sql/gateway/user-tokens.table.ts';
import { hashLinkToken, newLinkToken } from './tokens.ts';

type Db = Kysely<GatewayDatabase> | Transaction<GatewayDatabase>;

/** A new link token for the user; returns the token itself (only the mail carries it). */
export async function issueUserToken(db: Db, userId: string, purpose: UserTokenPurpose, ttlMs: number): Promise<string> {
  const { token, hash } = newLinkToken();
  await db.insertInto('user_tokens').values({ user_id: userId, purpose, token_hash: hash, expires_at: new Date(Date.now() + ttlMs) }).execute();
  return token;
}

/**
 * Claims the token: its user's id, or TOKEN_INVALID (unknown, used, expired, another purpose: one
 * answer for all). The other unused tokens of the same purpose and user are spent with it.
 */
export async function consumeUserToken(db: Db, purpose: UserTokenPurpose, token: string): Promise<string> {
  const claimed = await db
    .updateTable('user_tokens')
    .set({ used_at: sql`now()` })
    .where('token_hash', '=', hashLinkToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('user_id')
    .executeTakeFirst();
  if (!claimed) {
    throw new AppError('TOKEN_INVALID', purpose === 'password_reset' ? 'this reset link is used, expired or unknown: ask for a new one' : 'this verification link is used, expired or unknown: ask for a new one');
  }
  const userId = String(claimed.user_id);
  await db.updateTable('user_tokens').set({ used_at: sql`now()` }).where('user_id', '=', userId).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
  return userId;
}
