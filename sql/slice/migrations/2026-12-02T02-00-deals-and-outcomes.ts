// The pipeline as a sales team uses it: a stage may close a deal (outcome won or lost; new stages
// go before those), and a chat may carry the value of its deal. Never import app code here.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('pipeline_stages')
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('won', 'lost')`))
    .execute();
  // The first migration's default stages "Won" and "Lost" are the closing ones.
  await db.updateTable('pipeline_stages').set({ outcome: 'won' }).where('name', '=', 'Won').execute();
  await db.updateTable('pipeline_stages').set({ outcome: 'lost' }).where('name', '=', 'Lost').execute();
  await db.schema
    .alterTable('chats')
    .addColumn('deal_value', sql`numeric(14, 2)`, (c) => c.check(sql`deal_value >= 0`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('chats').dropColumn('deal_value').execute();
  await db.schema.alterTable('pipeline_stages').dropColumn('outcome').execute();
}
