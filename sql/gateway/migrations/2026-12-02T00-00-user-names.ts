// Who signed up: the person's name and their business's, asked at sign-up (both optional, as
// accounts made before have neither). Never import app code here.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('name', 'text', (c) => c.check(sql`length(name) between 1 and 100`))
    .addColumn('business_name', 'text', (c) => c.check(sql`length(business_name) between 1 and 120`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('name').dropColumn('business_name').execute();
}
