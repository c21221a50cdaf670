// Search that ignores accents and case: the schema's own text search configuration, crm_search, is
// 'simple' (no stemming, any language) with unaccent before it, and the messages' index is rebuilt
// on it. "orcamento" finds "orçamento", "JOSE" finds "José". unaccent lives in queunir_text (see
// sql/provision.ts). Never import app code here.
import { sql, type Kysely } from 'kysely';

/** The schema this migration runs in: raw SQL is not rewritten by withSchema, so ask a query. */
function schemaOf(db: Kysely<any>): string {
  const compiled = db.selectFrom('messages').selectAll().compile().sql;
  const schema = /^select \* from "([^"]+)"\."messages"$/.exec(compiled)?.[1];
  if (!schema) throw new Error(`cannot tell the schema from ${compiled}`);
  return schema;
}

export async function up(db: Kysely<any>): Promise<void> {
  const schema = schemaOf(db);
  const config = sql.id(schema, 'crm_search');
  await sql`create text search configuration ${config} (copy = pg_catalog.simple)`.execute(db);
  await sql`alter text search configuration ${config}
    alter mapping for asciiword, asciihword, hword_asciipart, word, hword, hword_part with queunir_text.unaccent, pg_catalog.simple`.execute(db);
  await db.schema.dropIndex('messages_body_fts_idx').execute();
  await db.schema
    .createIndex('messages_body_search_idx')
    .on('messages')
    .using('gin')
    .expression(sql`to_tsvector(${sql.lit(`${schema}.crm_search`)}::regconfig, body)`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  const schema = schemaOf(db);
  await db.schema.dropIndex('messages_body_search_idx').execute();
  await db.schema.createIndex('messages_body_fts_idx').on('messages').using('gin').expression(sql`to_tsvector('simple'::regconfig, body)`).execute();
  await sql`drop text search configuration ${sql.id(schema, 'crm_search')}`.execute(db);
}
