// Teams (issue 16). The tenant becomes the account: it owns the slice and the subscription, and
// has members (owner, admin, agent) who are users. Every existing user becomes the owner of an
// account of their own whose id is the user's id, so slices, subscriptions and Stripe metadata
// made before (all keyed by the user's id) keep pointing at the right tenant and nothing is lost.
// Also: email verification, two-factor login, single-use tokens (password reset, email check),
// invitations, and what the list of one's sessions shows. Never import app code here.
import { sql, type Kysely } from 'kysely';

/** The gateway's schema. Raw SQL is not qualified by withSchema(), so it is named here. */
const S = 'gateway';
const t = (name: string) => sql.table(`${S}.${name}`);

async function dropForeignKeys(db: Kysely<any>, table: string, column: string): Promise<void> {
  const found = await sql<{ conname: string }>`
    select c.conname from pg_constraint c
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
    where c.conrelid = ${`${S}.${table}`}::regclass and c.contype = 'f' and a.attname = ${column}`.execute(db);
  for (const { conname } of found.rows) await sql`alter table ${t(table)} drop constraint ${sql.id(conname)}`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 120`))
    .addColumn('round_robin', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('agents_see_own_chats_only', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('deleting_since', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`
    insert into ${t('accounts')} (id, name, created_at)
    select u.id, left(coalesce(u.business_name, u.name, split_part(u.email, '@', 1), 'My business'), 120), u.created_at
    from ${t('users')} u order by u.id`.execute(db);
  // New accounts number on from the highest migrated id.
  await sql`select setval(pg_get_serial_sequence(${`${S}.accounts`}, 'id'), greatest((select max(id) from ${t('accounts')}), 1))`.execute(db);

  await db.schema
    .createTable('members')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'agent')`))
    .addColumn('available', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('members_account_user_key', ['account_id', 'user_id'])
    .execute();
  await db.schema.createIndex('members_user_id_idx').on('members').column('user_id').execute();
  await sql`insert into ${t('members')} (id, account_id, user_id, role, created_at) select id, id, id, 'owner', created_at from ${t('users')} order by id`.execute(db);
  await sql`select setval(pg_get_serial_sequence(${`${S}.members`}, 'id'), greatest((select max(id) from ${t('members')}), 1))`.execute(db);

  // The slice and the subscription belong to the account (same ids as the users they had).
  await dropForeignKeys(db, 'slices', 'user_id');
  await sql`alter table ${t('slices')} rename column user_id to account_id`.execute(db);
  await sql`alter table ${t('slices')} add constraint slices_account_id_fkey foreign key (account_id) references ${t('accounts')} (id) on delete restrict`.execute(db);
  await dropForeignKeys(db, 'subscriptions', 'user_id');
  await sql`alter table ${t('subscriptions')} rename column user_id to account_id`.execute(db);
  await sql`alter table ${t('subscriptions')} add constraint subscriptions_account_id_fkey foreign key (account_id) references ${t('accounts')} (id) on delete cascade`.execute(db);

  // The audit trail outlives an account (no foreign key): who did what stays readable.
  await db.schema.alterTable('audit_log').addColumn('account_id', 'bigint').execute();
  await sql`update ${t('audit_log')} set account_id = user_id where user_id is not null`.execute(db);
  await db.schema.createIndex('audit_log_account_at_idx').on('audit_log').columns(['account_id', 'at']).execute();

  await db.schema
    .alterTable('users')
    .addColumn('email_verified_at', 'timestamptz')
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled_at', 'timestamptz')
    .addColumn('last_account_id', 'bigint')
    .execute();

  await db.schema
    .alterTable('sessions')
    .addColumn('user_agent', 'text')
    .addColumn('ip', 'text')
    .addColumn('last_seen_at', 'timestamptz')
    .execute();

  // Single-use links mailed to a user: only a hash of the token is kept.
  await db.schema
    .createTable('user_tokens')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('password_reset', 'email_verify')`))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('user_tokens_user_id_idx').on('user_tokens').column('user_id').execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('recovery_codes_user_id_idx').on('recovery_codes').column('user_id').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull().check(sql`length(email) between 3 and 254`))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'agent')`))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('invited_by_member_id', 'bigint', (c) => c.references('members.id').onDelete('set null'))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('invitations_account_id_idx').on('invitations').column('account_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['invitations', 'recovery_codes', 'user_tokens']) await db.schema.dropTable(table).ifExists().execute();
  await db.schema.alterTable('sessions').dropColumn('user_agent').dropColumn('ip').dropColumn('last_seen_at').execute();
  await db.schema.alterTable('users').dropColumn('email_verified_at').dropColumn('totp_secret').dropColumn('totp_enabled_at').dropColumn('last_account_id').execute();
  await db.schema.dropIndex('audit_log_account_at_idx').ifExists().execute();
  await db.schema.alterTable('audit_log').dropColumn('account_id').execute();
  for (const table of ['subscriptions', 'slices']) {
    await dropForeignKeys(db, table, 'account_id');
    await sql`alter table ${t(table)} rename column account_id to user_id`.execute(db);
    await sql`alter table ${t(table)} add foreign key (user_id) references ${t('users')} (id)`.execute(db);
  }
  await db.schema.dropTable('members').ifExists().execute();
  await db.schema.dropTable('accounts').ifExists().execute();
}
