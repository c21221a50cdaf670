// Teams (issue 16): the account's members as the gateway last told the slice (team_members; a
// member who left stays, inactive, so old messages keep who sent them), the account's team
// settings (one row), who a chat is assigned to, and who sent an outgoing message (the name as it
// was then: a later rename does not rewrite history). Never import app code here.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('team_members')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^[0-9]{1,19}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'agent')`))
    .addColumn('available', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('last_assigned_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('team_settings')
    // One row: the key can only be true.
    .addColumn('id', 'boolean', (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn('round_robin', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('agents_see_own_chats_only', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`insert into team_settings (id) values (true)`.execute(db);
  await db.schema
    .alterTable('chats')
    .addColumn('assignee_member_id', 'text', (c) => c.references('team_members.id'))
    .execute();
  await db.schema.createIndex('chats_assignee_idx').on('chats').column('assignee_member_id').where(sql.ref('assignee_member_id'), 'is not', null).execute();
  await db.schema
    .alterTable('messages')
    .addColumn('sent_by_member_id', 'text')
    .addColumn('sent_by_name', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('sent_by_name').dropColumn('sent_by_member_id').execute();
  await db.schema.dropIndex('chats_assignee_idx').execute();
  await db.schema.alterTable('chats').dropColumn('assignee_member_id').execute();
  await db.schema.dropTable('team_settings').execute();
  await db.schema.dropTable('team_members').execute();
}
