// The account's API keys (issue 18): an owner or admin, signed in (never a key: scope `session`),
// makes one with a name and scopes, sees it once, lists them (revoked ones too, newest first) and
// revokes one, which stops it working at once in this process (plugins/api-keys.ts) and within
// seconds in others. Each change leaves an audit row.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { API_SCOPES } from '../../lib/api-scopes.ts';
import { AppError } from '../../lib/errors.ts';
import { writeAudit } from '../support/audit.ts';
import { memberNameOf } from '../plugins/auth.ts';
import { newApiKey } from '../plugins/api-keys.ts';

const ScopeSchema = Type.Union(
  API_SCOPES.map((s) => Type.Literal(s)),
  { description: 'read: GET the account\'s data; send: messages and reactions; manage: every other change of the CRM\'s data and the integrations' },
);
const CreateSchema = Type.Object(
  {
    // No control characters: the name is shown to people and stored as text by the slice (who sent).
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]+$', description: 'what the key is for, e.g. "order system"' }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: API_SCOPES.length, uniqueItems: true, description: 'what the key may do' }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ pattern: '^\\d{1,19}$', description: 'an API key id' }) });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const CreatedSchema = Type.Object({
  id: Type.String(),
  key: Type.String({ description: 'the key itself: shown this once, never again' }),
  prefix: Type.String({ description: 'the first 11 characters, to tell keys apart' }),
  name: Type.String(),
  scopes: Type.Array(ScopeSchema),
  createdAt: Type.String(),
});
const KeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(ScopeSchema),
  createdAt: Type.String(),
  createdBy: Type.Object({ memberId: Type.String(), name: Type.String() }),
  lastUsedAt: Nullable(Type.String()),
  lastUsedAddress: Nullable(Type.String()),
  revokedAt: Nullable(Type.String()),
});

const ACCESS = { access: 'admin' as const, scope: 'session' as const };

export default async function apiKeyRoutes(app: FastifyInstance) {
  app.post<{ Body: Static<typeof CreateSchema> }>(
    '/api/keys',
    { config: ACCESS, schema: { body: CreateSchema, response: { 201: CreatedSchema } } },
    async (request, reply) => {
      const me = app.auth.requireMember(request, 'admin');
      const user = request.user!;
      const name = request.body.name.trim();
      // In the order API_SCOPES lists them, whatever order they came in.
      const scopes = API_SCOPES.filter((s) => request.body.scopes.includes(s));
      const made = newApiKey();
      const row = await app.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('api_keys')
          .values({ account_id: me.accountId, name, scopes, prefix: made.prefix, key_hash: made.hash, created_by_member_id: me.id })
          .returning(['id', 'created_at'])
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          actor: `user:${user.id}`,
          userId: user.id,
          accountId: me.accountId,
          action: 'api_key.created',
          details: { keyId: String(inserted.id), name, scopes, prefix: made.prefix },
        });
        return inserted;
      });
      reply.code(201);
      return { id: String(row.id), key: made.key, prefix: made.prefix, name, scopes, createdAt: row.created_at.toISOString() };
    },
  );

  app.get('/api/keys', { config: ACCESS, schema: { response: { 200: Type.Object({ items: Type.Array(KeySchema) }) } } }, async (request) => {
    const me = app.auth.requireMember(request, 'admin');
    const rows = await app.db
      .selectFrom('api_keys')
      .innerJoin('members', 'members.id', 'api_keys.created_by_member_id')
      .innerJoin('users', 'users.id', 'members.user_id')
      .select([
        'api_keys.id',
        'api_keys.name',
        'api_keys.prefix',
        'api_keys.scopes',
        'api_keys.created_at',
        'api_keys.created_by_member_id',
        'api_keys.last_used_at',
        'api_keys.last_used_address',
        'api_keys.revoked_at',
        'users.name as user_name',
        'users.email as user_email',
      ])
      .where('api_keys.account_id', '=', me.accountId)
      .orderBy('api_keys.id', 'desc')
      .execute();
    return {
      items: rows.map((r) => ({
        id: String(r.id),
        name: r.name,
        prefix: r.prefix,
        scopes: r.scopes,
        createdAt: r.created_at.toISOString(),
        createdBy: { memberId: String(r.created_by_member_id), name: memberNameOf({ name: r.user_name, email: r.user_email }) },
        lastUsedAt: r.last_used_at?.toISOString() ?? null,
        lastUsedAddress: r.last_used_address,
        revokedAt: r.revoked_at?.toISOString() ?? null,
      })),
    };
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/keys/:id', { config: ACCESS, schema: { params: IdParams } }, async (request, reply) => {
    const me = app.auth.requireMember(request, 'admin');
    const user = request.user!;
    const id = request.params.id;
    await app.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('api_keys').select(['id', 'name', 'prefix', 'revoked_at']).where('id', '=', id).where('account_id', '=', me.accountId).forUpdate().executeTakeFirst();
      if (!row) throw new AppError('API_KEY_NOT_FOUND', `API key ${id} not found in this account`);
      // Revoking twice is the same as once: one audit row, the first time.
      if (row.revoked_at !== null) return;
      await trx.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', id).execute();
      await writeAudit(trx, { actor: `user:${user.id}`, userId: user.id, accountId: me.accountId, action: 'api_key.revoked', details: { keyId: id, name: row.name, prefix: row.prefix } });
    });
    app.apiKeys.forget(id);
    reply.code(204).send();
  });
}
