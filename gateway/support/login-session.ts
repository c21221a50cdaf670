// A login session begins: a fresh session id (no fixation), its CSRF token, the instant it was
// issued (older than users.sessions_valid_after → revoked), the account it works in and the
// device it came from (the list of one's sessions shows it). Every way in (login, register,
// accepting an invitation, the second factor) ends here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newCsrfToken } from '../plugins/csrf.ts';
import { AUTH_USER_COLUMNS, memberNameOf, membershipsOf, toAuthUser } from '../plugins/auth.ts';

export async function startLoginSession(app: FastifyInstance, request: FastifyRequest, userId: string, accountId?: string): Promise<void> {
  await request.session.regenerate();
  request.session.userId = userId;
  request.session.csrfToken = newCsrfToken();
  request.session.issuedAt = Date.now();
  request.session.userAgent = String(request.headers['user-agent'] ?? '').slice(0, 300);
  request.session.ip = request.ip;
  const row = await app.db.selectFrom('users').select([...AUTH_USER_COLUMNS, 'last_account_id']).where('id', '=', userId).executeTakeFirstOrThrow();
  const wanted = accountId ?? (row.last_account_id === null ? undefined : String(row.last_account_id));
  // request.user and request.member for the body answered now; onRequest ran before the login.
  app.auth.forget(userId);
  request.user = toAuthUser(row);
  const members = await membershipsOf(app.db, userId, memberNameOf(row));
  const chosen = members.find((m) => m.accountId === wanted) ?? members[0];
  request.member = chosen ?? null;
  request.memberships = members;
  if (chosen) {
    request.session.accountId = chosen.accountId;
    if (chosen.accountId !== (row.last_account_id === null ? null : String(row.last_account_id))) {
      await app.db.updateTable('users').set({ last_account_id: chosen.accountId }).where('id', '=', userId).execute();
    }
  }
}
