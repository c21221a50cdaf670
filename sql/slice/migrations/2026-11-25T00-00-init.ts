// The slice template's first migration, applied to every slice_N schema by the slice's own role.
// Never import app code here.
import { sql, type Kysely } from 'kysely';

const DEFAULT_STAGES = ['New lead', 'Contacted', 'Qualified', 'Proposal', 'Won', 'Lost'];
const STAGE_COLORS = ['#64748b', '#0ea5e9', '#8b5cf6', '#f59e0b', '#16a34a', '#dc2626'];

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pipeline_stages')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique().check(sql`length(name) between 1 and 80`))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('color', 'text', (c) => c.notNull().defaultTo('#64748b'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db
    .insertInto('pipeline_stages')
    .values(DEFAULT_STAGES.map((name, i) => ({ name, position: i, color: STAGE_COLORS[i] })))
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('wa_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('company', 'text')
    .addColumn('custom_fields', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('chats')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('wa_id', 'text', (c) => c.notNull().unique())
    .addColumn('contact_id', 'bigint', (c) => c.references('contacts.id').onDelete('set null'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('is_group', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('preview', 'text')
    .addColumn('last_message_at', 'timestamptz')
    .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`unread_count >= 0`))
    .addColumn('stage_id', 'integer', (c) => c.references('pipeline_stages.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The inbox: newest activity first, id as the keyset tie-breaker; chats never active sort last.
  await db.schema
    .createIndex('chats_activity_idx')
    .on('chats')
    .expression(sql`coalesce(last_message_at, '-infinity'::timestamptz) desc, id desc`)
    .execute();
  await db.schema.createIndex('chats_stage_idx').on('chats').column('stage_id').execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('wa_id', 'text', (c) => c.notNull().unique())
    .addColumn('chat_id', 'bigint', (c) => c.notNull().references('chats.id').onDelete('cascade'))
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('in', 'out')`))
    .addColumn('author', 'text')
    .addColumn('body', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ack', 'smallint', (c) => c.notNull().defaultTo(0).check(sql`ack between -1 and 4`))
    .addColumn('media_kind', 'text')
    .addColumn('quoted_wa_id', 'text')
    .addColumn('quoted_body', 'text')
    .addColumn('recalled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('messages_chat_time_idx').on('messages').columns(['chat_id', 'sent_at desc', 'id desc']).execute();
  // Full-text search in any language: the 'simple' configuration does no stemming, so Portuguese,
  // Hindi and emoji-laden bodies are all tokenised the same way. Queries must use this expression.
  await db.schema
    .createIndex('messages_body_fts_idx')
    .on('messages')
    .using('gin')
    .expression(sql`to_tsvector('simple'::regconfig, body)`)
    .execute();

  await db.schema
    .createTable('labels')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique().check(sql`length(name) between 1 and 60`))
    .addColumn('color', 'text', (c) => c.notNull().defaultTo('#0ea5e9'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('chat_labels')
    .addColumn('chat_id', 'bigint', (c) => c.notNull().references('chats.id').onDelete('cascade'))
    .addColumn('label_id', 'integer', (c) => c.notNull().references('labels.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('chat_labels_pkey', ['chat_id', 'label_id'])
    .execute();
  await db.schema.createIndex('chat_labels_label_idx').on('chat_labels').column('label_id').execute();

  await db.schema
    .createTable('notes')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('chat_id', 'bigint', (c) => c.notNull().references('chats.id').onDelete('cascade'))
    .addColumn('body', 'text', (c) => c.notNull().check(sql`length(body) between 1 and 10000`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('notes_chat_idx').on('notes').columns(['chat_id', 'created_at']).execute();

  await db.schema
    .createTable('sync_state')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('cursor', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('complete', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // The events table's identity is the SSE id: strictly increasing, so Last-Event-ID resumes.
  await db.schema
    .createTable('events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('events_created_at_idx').on('events').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['events', 'sync_state', 'notes', 'chat_labels', 'labels', 'messages', 'chats', 'contacts', 'pipeline_stages']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
