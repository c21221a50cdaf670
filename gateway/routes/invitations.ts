// Invitations: an admin invites an email with a role; the mail carries a single-use link
// (PUBLIC_URL/invite?token=…, INVITATION_TTL_HOURS) whose token is kept only as a hash. Re-inviting
// an email revokes its earlier link. Accepting creates the user (the link proves the address) or,
// for an email that has an account, asks for its password and second factor; then the membership
// is made and the browser signed in to that account. Accept attempts are throttled per client
// address and per invitation, counted before the password is checked, as login is.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { sql } from 'kysely';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { addressKey } from '../support/client-address.ts';
import { composeMail } from '../support/mailer.ts';
import { hashPassword, verifyPassword } from '../support/passwords.ts';
import { RECOVERY_CODE_PATTERN, TOTP_PATTERN, verifySecondFactor } from '../support/second-factor.ts';
import { startLoginSession } from '../support/login-session.ts';
import { Throttle } from '../support/throttle.ts';
import { hashLinkToken, LINK_TOKEN_PATTERN, linkWithToken, newLinkToken } from '../support/tokens.ts';
import { memberNameOf } from '../plugins/auth.ts';
import { MeSchema, MemberRoleSchema, meBody } from './me.ts';

const IdParams = Type.Object({ id: Type.String({ pattern: '^\\d{1,19}$', description: 'an invitation id' }) });
const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^\\s*[^@\\s]+@[^@\\s]+\\s*$', description: 'an email address' });
const Token = Type.String({ pattern: LINK_TOKEN_PATTERN, description: 'the token of the invitation link' });

const InviteSchema = Type.Object({ email: Email, role: MemberRoleSchema }, { additionalProperties: false });
const AcceptSchema = Type.Object(
  {
    token: Token,
    password: Type.String({ minLength: 10, maxLength: 1024, description: 'at least 10 characters (an existing account: its password)' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: "the person's name (a new account)" })),
    totp: Type.Optional(Type.String({ pattern: TOTP_PATTERN, description: 'the 6-digit code of the authenticator app' })),
    recoveryCode: Type.Optional(Type.String({ pattern: RECOVERY_CODE_PATTERN, description: 'a recovery code' })),
  },
  { additionalProperties: false },
);
type Accept = Static<typeof AcceptSchema>;

const InvitationSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: MemberRoleSchema,
  expiresAt: Type.String(),
  createdAt: Type.String(),
  invitedBy: Type.Union([Type.Object({ memberId: Type.String(), name: Type.String() }), Type.Null()]),
});

const INVALID = 'this invitation link is not valid: it was used, revoked or has expired. Ask for a new one';

export default async function invitationRoutes(app: FastifyInstance) {
  const windowMs = app.config.LOGIN_LIMIT_WINDOW_S * 1000;
  const perAddress = new Throttle(app.config.LOGIN_LIMIT_PER_ADDRESS, windowMs);
  const perInvitation = new Throttle(app.config.LOGIN_LIMIT_PER_ACCOUNT, windowMs);

  function throttle(limiter: Throttle, key: string, reply: FastifyReply, what: string): void {
    const wait = limiter.hit(key);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError('RATE_LIMITED', `too many ${what}: try again in ${wait} s`);
    }
  }

  /** A pending invitation by its link's token (with its account), or INVITATION_INVALID. */
  async function pending(token: string) {
    const row = await app.db
      .selectFrom('invitations')
      .innerJoin('accounts', 'accounts.id', 'invitations.account_id')
      .select(['invitations.id', 'invitations.account_id', 'invitations.email', 'invitations.role', 'invitations.expires_at', 'accounts.name as account_name'])
      .where('invitations.token_hash', '=', hashLinkToken(token))
      .where('invitations.accepted_at', 'is', null)
      .where('invitations.revoked_at', 'is', null)
      .where('invitations.expires_at', '>', new Date())
      .where('accounts.deleting_since', 'is', null)
      .executeTakeFirst();
    if (!row) throw new AppError('INVITATION_INVALID', INVALID);
    return row;
  }

  const userByEmail = (email: string) =>
    app.db
      .selectFrom('users')
      .select(['id', 'password_hash', 'email_verified_at'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .executeTakeFirst();

  // ---- the team's side ----

  app.get(
    '/api/team/invitations',
    { config: { access: 'admin', scope: 'session' }, schema: { response: { 200: Type.Object({ items: Type.Array(InvitationSchema), nextCursor: Type.Null() }) } } },
    async (request) => {
      const me = app.auth.requireMember(request, 'admin');
      const rows = await app.db
        .selectFrom('invitations')
        .leftJoin('members', 'members.id', 'invitations.invited_by_member_id')
        .leftJoin('users', 'users.id', 'members.user_id')
        .select(['invitations.id', 'invitations.email', 'invitations.role', 'invitations.expires_at', 'invitations.created_at', 'members.id as by_id', 'users.name as by_name', 'users.email as by_email'])
        .where('invitations.account_id', '=', me.accountId)
        .where('invitations.accepted_at', 'is', null)
        .where('invitations.revoked_at', 'is', null)
        .where('invitations.expires_at', '>', new Date())
        .orderBy('invitations.id', 'desc')
        .execute();
      return {
        items: rows.map((r) => ({
          id: String(r.id),
          email: r.email,
          role: r.role,
          expiresAt: r.expires_at.toISOString(),
          createdAt: r.created_at.toISOString(),
          invitedBy: r.by_id !== null && r.by_email !== null ? { memberId: String(r.by_id), name: memberNameOf({ name: r.by_name, email: r.by_email }) } : null,
        })),
        nextCursor: null,
      };
    },
  );

  app.post<{ Body: Static<typeof InviteSchema> }>(
    '/api/team/invitations',
    { config: { access: 'admin', scope: 'session' }, schema: { body: InviteSchema, response: { 201: Type.Object({ id: Type.String(), expiresAt: Type.String() }) } } },
    async (request, reply) => {
      const me = app.auth.requireMember(request, 'admin');
      const user = app.auth.require(request);
      const { role } = request.body;
      const email = request.body.email.trim();
      if (role === 'owner' && me.role !== 'owner') throw new AppError('ROLE_REQUIRED', 'only an owner invites an owner', { details: { needed: 'owner', role: me.role } });
      if (!user.emailVerified) throw new AppError('EMAIL_NOT_VERIFIED', 'verify your email address before inviting: follow the link we mailed you (or ask for a new one)');
      const already = await app.db
        .selectFrom('members')
        .innerJoin('users', 'users.id', 'members.user_id')
        .select('members.id')
        .where('members.account_id', '=', me.accountId)
        .where((eb) => eb(eb.fn('lower', ['users.email']), '=', email.toLowerCase()))
        .executeTakeFirst();
      if (already) throw new AppError('INVITATION_EMAIL_MEMBER', `${email} is a member of this account already`);
      const { token, hash } = newLinkToken();
      const expiresAt = new Date(Date.now() + app.config.INVITATION_TTL_HOURS * 3_600_000);
      const id = await app.db.transaction().execute(async (trx) => {
        // One live link per email and account: the newest.
        await trx
          .updateTable('invitations')
          .set({ revoked_at: new Date() })
          .where('account_id', '=', me.accountId)
          .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
          .where('accepted_at', 'is', null)
          .where('revoked_at', 'is', null)
          .execute();
        const row = await trx
          .insertInto('invitations')
          .values({ account_id: me.accountId, email, role, token_hash: hash, invited_by_member_id: me.id, expires_at: expiresAt })
          .returning('id')
          .executeTakeFirstOrThrow();
        await writeAudit(trx, { actor: `user:${user.id}`, userId: user.id, accountId: me.accountId, action: 'team.invite', details: { invitationId: String(row.id), email, role } });
        return String(row.id);
      });
      const hours = app.config.INVITATION_TTL_HOURS;
      try {
        await app.mailer.send(
          composeMail(email, {
            subject: `${me.name} invited you to ${me.accountName}`,
            intro: [`${me.name} (${user.email}) invited you to work in ${me.accountName} as ${role === 'agent' ? 'an agent' : `an ${role}`}: you will answer its WhatsApp chats together.`],
            action: { label: 'Accept the invitation', url: linkWithToken(app.config.PUBLIC_URL, '/invite', token) },
            outro: [`The link works once, for ${hours} hours (until ${expiresAt.toUTCString()}).`, 'If you did not expect this invitation, ignore this mail.'],
          }),
        );
      } catch (err) {
        // A link nobody received must not stay valid: the admin invites again.
        await app.db.updateTable('invitations').set({ revoked_at: new Date() }).where('id', '=', id).execute();
        throw err;
      }
      // Only the team page changes (the slice's copy of the team does not).
      app.events.publish(me.accountId, 'team.updated', {});
      reply.code(201);
      return { id, expiresAt: expiresAt.toISOString() };
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>('/api/team/invitations/:id', { config: { access: 'admin', scope: 'session' }, schema: { params: IdParams } }, async (request, reply) => {
    const me = app.auth.requireMember(request, 'admin');
    const user = app.auth.require(request);
    await app.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('invitations')
        .set({ revoked_at: new Date() })
        .where('id', '=', request.params.id)
        .where('account_id', '=', me.accountId)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .returning(['email', 'role'])
        .executeTakeFirst();
      if (!row) throw new AppError('INVITATION_INVALID', `no pending invitation ${request.params.id} in this account`);
      await writeAudit(trx, { actor: `user:${user.id}`, userId: user.id, accountId: me.accountId, action: 'team.invite.revoke', details: { invitationId: request.params.id, email: row.email, role: row.role } });
    });
    app.events.publish(me.accountId, 'team.updated', {});
    reply.code(204).send();
  });

  // ---- the invited person's side ----

  app.get<{ Querystring: { token: string } }>(
    '/api/auth/invitations/preview',
    {
      config: { access: 'public', scope: 'public' },
      schema: {
        querystring: Type.Object({ token: Token }, { additionalProperties: false }),
        response: { 200: Type.Object({ accountName: Type.String(), email: Type.String(), role: MemberRoleSchema, expiresAt: Type.String(), existingUser: Type.Boolean() }) },
      },
    },
    async (request, reply) => {
      throttle(perAddress, `preview:${addressKey(request.ip)}`, reply, 'attempts from this address');
      const inv = await pending(request.query.token);
      return { accountName: inv.account_name, email: inv.email, role: inv.role, expiresAt: inv.expires_at.toISOString(), existingUser: (await userByEmail(inv.email)) !== undefined };
    },
  );

  app.post<{ Body: Accept }>(
    '/api/auth/invitations/accept',
    { config: { access: 'public', scope: 'session', csrf: 'origin-only' }, schema: { body: AcceptSchema, response: { 200: MeSchema } } },
    async (request, reply) => {
      throttle(perAddress, `accept:${addressKey(request.ip)}`, reply, 'attempts from this address');
      const inv = await pending(request.body.token);
      const accountId = String(inv.account_id);
      // Counted before the password is checked: guesses sent in parallel each take an attempt.
      throttle(perInvitation, `invitation:${inv.id}`, reply, 'attempts for this invitation');
      const existing = await userByEmail(inv.email);
      if (existing) {
        if (!(await verifyPassword(existing.password_hash, request.body.password))) {
          throw new AppError('WRONG_PASSWORD', `${inv.email} has an account: enter its password to join`);
        }
        await verifySecondFactor(app, String(existing.id), request.body);
      }
      const passwordHash = existing ? null : await hashPassword(request.body.password);
      const userId = await accept(request, inv, existing ? String(existing.id) : null, passwordHash);
      perInvitation.reset(`invitation:${inv.id}`);
      await startLoginSession(app, request, userId, accountId);
      app.team.changed(accountId);
      return meBody(app, request);
    },
  );

  /** Single use: the invitation is claimed by the same statement that checks it is still pending. */
  async function accept(request: FastifyRequest<{ Body: Accept }>, inv: Awaited<ReturnType<typeof pending>>, existingUserId: string | null, passwordHash: string | null): Promise<string> {
    const accountId = String(inv.account_id);
    try {
      return await app.db.transaction().execute(async (trx) => {
        const claimed = await trx
          .updateTable('invitations')
          .set({ accepted_at: new Date() })
          .where('id', '=', inv.id)
          .where('accepted_at', 'is', null)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', new Date())
          .returning('id')
          .executeTakeFirst();
        if (!claimed) throw new AppError('INVITATION_INVALID', INVALID);
        let userId = existingUserId;
        if (userId === null) {
          const created = await trx
            .insertInto('users')
            .values({ email: inv.email, password_hash: passwordHash!, name: request.body.name?.trim() || null, email_verified_at: new Date() })
            .returning('id')
            .executeTakeFirstOrThrow();
          userId = String(created.id);
        } else {
          // The link reached this address: it is verified now if it was not.
          await trx.updateTable('users').set({ email_verified_at: sql`coalesce(email_verified_at, now())`, updated_at: new Date() }).where('id', '=', userId).execute();
        }
        await trx.insertInto('members').values({ account_id: accountId, user_id: userId, role: inv.role }).execute();
        await writeAudit(trx, {
          actor: `user:${userId}`,
          userId,
          accountId,
          action: 'invitation.accept',
          details: { invitationId: String(inv.id), role: inv.role, newUser: existingUserId === null },
        });
        return userId;
      });
    } catch (err) {
      if ((err as { code?: string; constraint?: string }).code === '23505') {
        if ((err as { constraint?: string }).constraint === 'members_account_user_key') throw new AppError('INVITATION_EMAIL_MEMBER', `${inv.email} is a member of this account already`);
        // The email got an account between the look-up and now: accepting again asks for its password.
        throw new AppError('EMAIL_TAKEN', `${inv.email} has just got an account: accept again with its password`);
      }
      throw err;
    }
  }
}
