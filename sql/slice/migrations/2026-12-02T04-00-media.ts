// Media, reactions, link previews and edits (issue 15). A message's file is a `media` row (one per
// message); its bytes live on disk by sha256, and `media_blobs` has one row per file there, so the
// quota is a sum over it and two messages with the same bytes share one file. Reactions and the
// preview are what the page shows now (jsonb, replaced whole); earlier texts of an edited message
// go to `message_edits`. Existing rows keep everything: a row with a media kind becomes kind
// 'media'. Never import app code here.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('messages')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('text').check(sql`kind in ('text', 'media', 'system')`))
    .addColumn('reactions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('link_preview', 'jsonb')
    .addColumn('edited_at', 'timestamptz')
    .execute();
  await sql`update messages set kind = 'media' where media_kind is not null`.execute(db);

  await db.schema
    .createTable('media')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('message_id', 'bigint', (c) => c.notNull().unique().references('messages.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('image', 'video', 'audio', 'voice', 'document', 'sticker', 'location', 'contact')`),
    )
    .addColumn('mime_type', 'text')
    .addColumn('size', 'bigint')
    .addColumn('file_name', 'text')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('duration_ms', 'integer')
    .addColumn('sha256', 'text')
    .addColumn('thumb_sha256', 'text')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending').check(sql`state in ('pending', 'stored', 'failed', 'too_large')`))
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('details', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('media_blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey().check(sql`sha256 ~ '^[0-9a-f]{64}$'`))
    .addColumn('size', 'bigint', (c) => c.notNull().check(sql`size >= 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('message_edits')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('message_id', 'bigint', (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('replaced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('message_edits_message_idx').on('message_edits').columns(['message_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('message_edits').execute();
  await db.schema.dropTable('media_blobs').execute();
  await db.schema.dropTable('media').execute();
  await db.schema.alterTable('messages').dropColumn('edited_at').dropColumn('link_preview').dropColumn('reactions').dropColumn('kind').execute();
}
