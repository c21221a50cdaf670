// A name typed in the CRM is kept apart from WhatsApp's (contacts.saved_name): the page keeps
// contacts.name current, and a saved name is shown instead of it everywhere. Never import app code.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('contacts').addColumn('saved_name', 'text', (c) => c.check(sql`length(saved_name) between 1 and 200`)).execute();
  // Until now the page wrote a contact's name once and only the CRM changed it afterwards, while a
  // chat's name always followed the page: a contact name that differs from its chat's was typed
  // by a person, so it is kept as the saved name.
  await db
    .updateTable('contacts as k')
    .from('chats as c')
    .set({ saved_name: sql.ref('k.name') })
    .whereRef('c.contact_id', '=', 'k.id')
    .where('k.name', 'is not', null)
    .where(sql<boolean>`k.name is distinct from c.name`)
    .where(sql<boolean>`length(k.name) between 1 and 200`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.updateTable('contacts').set({ name: sql.ref('saved_name') }).where('saved_name', 'is not', null).execute();
  await db.schema.alterTable('contacts').dropColumn('saved_name').execute();
}
