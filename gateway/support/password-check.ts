// What a signed-in user re-enters to prove it is them before a change that matters (a new
// password, two-factor off, new recovery codes, deleting the account), and the end of their other
// sessions that a password change brings.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { verifyPassword } from './passwords.ts';

/** A new password, as register asks for it. */
export const NewPasswordSchema = Type.String({ minLength: 10, maxLength: 1024, description: 'at least 10 characters' });
/** The password the user has now (any length they once chose). */
export const CurrentPasswordSchema = Type.String({ minLength: 1, maxLength: 1024, description: 'your current password' });

export async function requirePassword(app: FastifyInstance, userId: string, password: string): Promise<void> {
  const row = await app.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
  if (!row || !(await verifyPassword(row.password_hash, password))) throw new AppError('WRONG_PASSWORD', 'the password is wrong');
}

/**
 * Every session of the user ends but this one. users.sessions_valid_after moves to now (so every
 * gateway process drops the others, whatever it has cached), after this session's issuedAt has
 * moved past that instant and been saved: it stays valid throughout. The other sessions' rows go
 * and their event streams end at once here.
 */
export async function endOtherSessions(app: FastifyInstance, request: FastifyRequest): Promise<number> {
  const user = app.auth.require(request);
  const now = new Date();
  request.session.issuedAt = now.getTime() + 1;
  await request.session.save();
  await app.db.updateTable('users').set({ sessions_valid_after: now, updated_at: now }).where('id', '=', user.id).execute();
  app.auth.forget(user.id);
  const ended = await app.sessionStore.destroyOthersOfUser(user.id, request.session.sessionId);
  return ended.length;
}
