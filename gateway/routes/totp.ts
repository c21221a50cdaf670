// Two-factor sign-in, the user's own switch: setup gives a secret (not yet in force), enable proves
// the authenticator app has it (a current code) and answers the ten recovery codes, shown once;
// turning it off or making new recovery codes needs the password. Login asks support/second-factor.ts.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { CurrentPasswordSchema, requirePassword } from '../support/password-check.ts';
import { TOTP_PATTERN, newRecoveryCodes, newTotpSecret, totpMatches, totpUri } from '../support/second-factor.ts';

const EnableSchema = Type.Object({ code: Type.String({ pattern: TOTP_PATTERN, description: 'the 6-digit code the authenticator app shows now' }) }, { additionalProperties: false });
const PasswordSchema = Type.Object({ password: CurrentPasswordSchema }, { additionalProperties: false });
const RecoveryCodesSchema = Type.Object({ recoveryCodes: Type.Array(Type.String(), { minItems: 10, maxItems: 10 }) });

export default async function totpRoutes(app: FastifyInstance) {
  const access = { access: 'user' as const, scope: 'session' as const };

  /** A fresh set of recovery codes replaces the old one; the codes themselves exist only in this answer. */
  async function replaceRecoveryCodes(userId: string): Promise<string[]> {
    const { codes, hashes } = newRecoveryCodes(10);
    await app.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      await trx.insertInto('recovery_codes').values(hashes.map((code_hash) => ({ user_id: userId, code_hash }))).execute();
    });
    return codes;
  }

  app.post(
    '/api/auth/totp/setup',
    { config: access, schema: { response: { 200: Type.Object({ secret: Type.String(), otpauthUrl: Type.String() }) } } },
    async (request) => {
      const user = app.auth.require(request);
      if (user.totpEnabled) throw new AppError('TOTP_ENABLED', 'two-factor sign-in is already on: turn it off first to set up another app');
      const secret = newTotpSecret();
      await app.db.updateTable('users').set({ totp_secret: secret, updated_at: new Date() }).where('id', '=', user.id).execute();
      return { secret, otpauthUrl: totpUri(secret, user.email) };
    },
  );

  app.post<{ Body: Static<typeof EnableSchema> }>(
    '/api/auth/totp/enable',
    { config: access, schema: { body: EnableSchema, response: { 200: RecoveryCodesSchema } } },
    async (request) => {
      const user = app.auth.require(request);
      if (user.totpEnabled) throw new AppError('TOTP_ENABLED', 'two-factor sign-in is already on');
      const row = await app.db.selectFrom('users').select('totp_secret').where('id', '=', user.id).executeTakeFirstOrThrow();
      if (!row.totp_secret) throw new AppError('FAILED_PRECONDITION', 'no two-factor secret to enable: call POST /api/auth/totp/setup first');
      if (!(await totpMatches(row.totp_secret, request.body.code))) {
        throw new AppError('TOTP_INVALID', 'the code does not match: check the clock of the device and enter the current code');
      }
      await app.db.updateTable('users').set({ totp_enabled_at: new Date(), updated_at: new Date() }).where('id', '=', user.id).execute();
      const recoveryCodes = await replaceRecoveryCodes(user.id);
      app.auth.forget(user.id);
      await writeAudit(app.db, { actor: `user:${user.id}`, userId: user.id, action: 'user.totp.enable', details: { ip: request.ip } });
      return { recoveryCodes };
    },
  );

  app.delete<{ Body: Static<typeof PasswordSchema> }>('/api/auth/totp', { config: access, schema: { body: PasswordSchema } }, async (request, reply) => {
    const user = app.auth.require(request);
    await requirePassword(app, user.id, request.body.password);
    await app.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ totp_secret: null, totp_enabled_at: null, updated_at: new Date() }).where('id', '=', user.id).execute();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
      await writeAudit(trx, { actor: `user:${user.id}`, userId: user.id, action: 'user.totp.disable', details: { ip: request.ip } });
    });
    app.auth.forget(user.id);
    reply.code(204).send();
  });

  app.post<{ Body: Static<typeof PasswordSchema> }>(
    '/api/auth/totp/recovery-codes',
    { config: access, schema: { body: PasswordSchema, response: { 200: RecoveryCodesSchema } } },
    async (request) => {
      const user = app.auth.require(request);
      await requirePassword(app, user.id, request.body.password);
      if (!user.totpEnabled) throw new AppError('FAILED_PRECONDITION', 'two-factor sign-in is off: recovery codes come with turning it on');
      const recoveryCodes = await replaceRecoveryCodes(user.id);
      await writeAudit(app.db, { actor: `user:${user.id}`, userId: user.id, action: 'user.totp.recovery_codes', details: { ip: request.ip } });
      return { recoveryCodes };
    },
  );
}
