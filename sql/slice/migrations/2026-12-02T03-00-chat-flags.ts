// A chat's state as WhatsApp shows it in the list: pinned (kept at the top), muted, archived (out
// of the main list). The inbox index follows the new order: pinned first, then newest activity,
// within the main list or the archived one. Never import app code here.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('chats')
    .addColumn('pinned', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('muted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createIndex('chats_list_idx')
    .on('chats')
    .expression(sql`archived, pinned desc, coalesce(last_message_at, '-infinity'::timestamptz) desc, id desc`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('chats_list_idx').execute();
  await db.schema.alterTable('chats').dropColumn('archived').dropColumn('muted').dropColumn('pinned').execute();
}
