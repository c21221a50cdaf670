// API keys (issue 18): an account's integrations authenticate with `Authorization: Bearer qk_…`.
// Only a key's SHA-256 is kept (a key is 32 random bytes, so a fast hash is enough and a slow one
// would cost every request), with its first 11 characters for people to tell keys apart. Removing
// the member who made a key removes the key. Never import app code here: the scopes are spelled
// out as they were when this ran.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 100`))
    .addColumn('scopes', sql`text[]`, (c) => c.notNull().check(sql`cardinality(scopes) > 0 and scopes <@ array['read', 'send', 'manage']::text[]`))
    .addColumn('prefix', 'text', (c) => c.notNull().check(sql`length(prefix) = 11`))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique().check(sql`key_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('created_by_member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('last_used_address', sql`inet`)
    .execute();
  await db.schema.createIndex('api_keys_account_id_idx').on('api_keys').columns(['account_id', 'id']).execute();
  await db.schema.createIndex('api_keys_created_by_member_id_idx').on('api_keys').column('created_by_member_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_keys').ifExists().execute();
}
