// Roles and schemas: one role and one schema per slice, one role for the gateway. Everything here
// runs on an admin connection (the supervisor's, or the installer's) and nowhere else.
//
// Isolation rests on ownership, not on grants: slice_N owns schema slice_N and everything in it;
// nothing is granted to PUBLIC or to any other role; the database itself grants CONNECT only by
// name. Migrations run under SET ROLE so the objects they create belong to the schema's role.
// The one grant outside a role's own schema is USAGE on queunir_text, which holds no data: the
// unaccent extension the slices' search configurations use.
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { AppError } from '../lib/errors.ts';
import { GATEWAY_SCHEMA } from './gateway/schema.ts';
import { migrateGatewaySchema, migrateSliceSchema, type MigrationReport } from './migrate.ts';
import { sliceSchemaName } from './slice/schema.ts';

export const GATEWAY_ROLE = 'wank_gateway';
/** Where the unaccent extension lives for every slice's search (sql/slice/migrations: crm_search). */
export const TEXT_SEARCH_SCHEMA = 'queunir_text';
/** Connections a slice may hold: its pool plus a listener, with room for a restart's overlap. */
export const SLICE_CONNECTION_LIMIT = 8;
const GATEWAY_CONNECTION_LIMIT = 40;
/** advisory-lock namespace for provisioning (first key), the slice id or 0 for the gateway second */
const LOCK_NAMESPACE = 0x5157_4e52; // "QWNR"

export function sliceRoleName(id: number): string {
  return sliceSchemaName(id); // the role and the schema share the name slice_{N}
}

function newPassword(): string {
  return crypto.randomBytes(24).toString('base64url');
}

async function roleExists(db: Kysely<any>, role: string): Promise<boolean> {
  const r = await sql<{ n: number }>`select 1 as n from pg_roles where rolname = ${role}`.execute(db);
  return r.rows.length > 0;
}

/**
 * Roles are the cluster's, not the database's: a second Queunir database in the same cluster would
 * provision slice_1 (and wank_gateway) again and reset the first installation's password for it.
 * A role of ours that owns objects, holds grants or has per-database settings in another database
 * belongs to that installation: refuse, naming it, before anything is changed.
 */
export async function assertRoleBelongsHere(db: Kysely<any>, role: string): Promise<void> {
  const r = await sql<{ datname: string }>`
    with r as (select oid from pg_roles where rolname = ${role})
    select distinct d.datname from pg_shdepend s join pg_database d on d.oid = s.dbid, r
     where s.refclassid = 'pg_authid'::regclass and s.refobjid = r.oid and d.datname <> current_database()
    union
    select distinct d.datname from pg_db_role_setting x join pg_database d on d.oid = x.setdatabase, r
     where x.setrole = r.oid and d.datname <> current_database()
    union
    select d.datname from pg_database d, r
     where d.datname <> current_database() and exists (select 1 from aclexplode(d.datacl) a where a.grantee = r.oid)
    order by 1`.execute(db);
  if (r.rows.length === 0) return;
  const others = r.rows.map((x) => `"${x.datname}"`).join(', ');
  throw new AppError(
    'DB_ROLE_IN_OTHER_DATABASE',
    `role ${role} already belongs to database ${others} in this PostgreSQL cluster (roles are shared by every database of a cluster): ` +
      `give this installation a cluster of its own (another DATABASE_URL host or port), or remove the other installation first`,
  );
}

async function isSuperuser(db: Kysely<any>): Promise<boolean> {
  const r = await sql<{ s: boolean }>`select rolsuper as s from pg_roles where rolname = current_user`.execute(db);
  return r.rows[0]?.s === true;
}

/** Key of the lock that serialises changes to the database's own ACL (one catalog row for all). */
const DATABASE_ACL_LOCK = -1;

/**
 * Database-wide hardening, idempotent: nobody connects or creates unless granted by name; then
 * CONNECT for the role. The database ACL is one catalog row shared by every provisioning call, so
 * concurrent calls for different slices take turns here ("tuple concurrently updated" otherwise).
 */
async function grantConnectOnly(conn: Kysely<any>, role: string): Promise<void> {
  const database = sql.id(await currentDatabase(conn));
  await withDatabaseAclLock(conn, async () => {
    await sql`revoke all on database ${database} from public`.execute(conn);
    await sql`revoke all on schema public from public`.execute(conn);
    await sql`grant connect on database ${database} to ${sql.id(role)}`.execute(conn);
  });
}

async function withDatabaseAclLock(conn: Kysely<any>, fn: () => Promise<void>): Promise<void> {
  await sql`select pg_advisory_lock(${LOCK_NAMESPACE}, ${DATABASE_ACL_LOCK})`.execute(conn);
  try {
    await fn();
  } finally {
    await sql`select pg_advisory_unlock(${LOCK_NAMESPACE}, ${DATABASE_ACL_LOCK})`.execute(conn);
  }
}

/**
 * The unaccent extension in its own schema (once per database; unaccent is a trusted extension, so
 * the database's owner may create it), and USAGE on that schema for the slice's role, so its
 * search configuration can fold accents. The schema holds the dictionary and its functions only.
 */
async function grantTextSearch(conn: Kysely<any>, role: string): Promise<void> {
  await withDatabaseAclLock(conn, async () => {
    await sql`create schema if not exists ${sql.id(TEXT_SEARCH_SCHEMA)}`.execute(conn);
    await sql`revoke all on schema ${sql.id(TEXT_SEARCH_SCHEMA)} from public`.execute(conn);
    await sql`create extension if not exists unaccent with schema ${sql.id(TEXT_SEARCH_SCHEMA)}`.execute(conn);
    await sql`grant usage on schema ${sql.id(TEXT_SEARCH_SCHEMA)} to ${sql.id(role)}`.execute(conn);
  });
}

async function currentDatabase(db: Kysely<any>): Promise<string> {
  const r = await sql<{ d: string }>`select current_database() as d`.execute(db);
  return r.rows[0]!.d;
}

async function createOrUpdateRole(
  db: Kysely<any>,
  role: string,
  connectionLimit: number,
  password: string | null,
): Promise<boolean> {
  const exists = await roleExists(db, role);
  const superAdmin = await isSuperuser(db);
  const common = `login noinherit connection limit ${connectionLimit}`;
  // PostgreSQL refuses SUPERUSER, REPLICATION and BYPASSRLS in ALTER ROLE from a non-superuser
  // even to turn them off, and (16 and later) CREATEDB from a role without it (the installer's
  // admin role wank_supervisor is CREATEROLE only); a role it created has none of them, and
  // CREATE ROLE accepts them as the defaults they are.
  const attrs = sql.raw(`${common} nocreatedb nocreaterole nosuperuser noreplication nobypassrls`);
  if (!exists) {
    await sql`create role ${sql.id(role)} with ${attrs} password ${sql.lit(password ?? newPassword())}`.execute(db);
  } else {
    await sql`alter role ${sql.id(role)} with ${superAdmin ? attrs : sql.raw(`${common} nocreaterole`)}`.execute(db);
    if (password !== null) await sql`alter role ${sql.id(role)} with password ${sql.lit(password)}`.execute(db);
  }
  // A non-superuser admin needs membership to SET ROLE for migrations and to drop the role later.
  if (!superAdmin) await sql`grant ${sql.id(role)} to current_user`.execute(db);
  return !exists;
}

async function withLock<T>(admin: Kysely<any>, key: number, fn: (conn: Kysely<any>) => Promise<T>): Promise<T> {
  return admin.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${LOCK_NAMESPACE}, ${key})`.execute(conn);
    try {
      return await fn(conn);
    } finally {
      await sql`reset role`.execute(conn).catch(() => {});
      await sql`select pg_advisory_unlock(${LOCK_NAMESPACE}, ${key})`.execute(conn).catch(() => {});
    }
  });
}

async function createOwnedSchema(conn: Kysely<any>, schema: string, role: string): Promise<void> {
  await sql`create schema if not exists ${sql.id(schema)} authorization ${sql.id(role)}`.execute(conn);
  await sql`alter schema ${sql.id(schema)} owner to ${sql.id(role)}`.execute(conn);
  await sql`revoke all on schema ${sql.id(schema)} from public`.execute(conn);
  await grantConnectOnly(conn, role);
  await sql`alter role ${sql.id(role)} in database ${sql.id(await currentDatabase(conn))} set search_path = ${sql.id(schema)}`.execute(conn);
}

async function migrateAs(conn: Kysely<any>, role: string, run: (db: Kysely<any>) => Promise<MigrationReport>): Promise<MigrationReport> {
  await sql`set role ${sql.id(role)}`.execute(conn);
  try {
    return await run(conn);
  } finally {
    await sql`reset role`.execute(conn);
  }
}

export interface ProvisionedSlice {
  id: number;
  role: string;
  schema: string;
  /** Set when the role was created now, or when a new password was asked for; null otherwise. */
  password: string | null;
  created: boolean;
  migrations: string[];
}

/**
 * Create role and schema slice_N and migrate it. Idempotent and safe to run concurrently (an
 * advisory lock serialises callers for the same N). The password is returned only when the role
 * is created or `rotatePassword` is set: it is never stored by us.
 */
export async function provisionSlice(admin: Kysely<any>, id: number, options: { rotatePassword?: boolean } = {}): Promise<ProvisionedSlice> {
  const role = sliceRoleName(id);
  const schema = sliceSchemaName(id);
  return withLock(admin, id, async (conn) => {
    await assertRoleBelongsHere(conn, role);
    const wanted = options.rotatePassword ? newPassword() : null;
    const fresh = (await roleExists(conn, role)) ? null : newPassword();
    const created = await createOrUpdateRole(conn, role, SLICE_CONNECTION_LIMIT, wanted ?? fresh);
    await createOwnedSchema(conn, schema, role);
    await grantTextSearch(conn, role);
    const report = await migrateAs(conn, role, (db) => migrateSliceSchema(db, schema));
    return { id, role, schema, password: wanted ?? fresh, created, migrations: report.applied };
  });
}

/** A new password for slice_N's role, for a slice (re)started without a stored secret. */
export async function rotateSlicePassword(admin: Kysely<any>, id: number): Promise<string> {
  const role = sliceRoleName(id);
  if (!(await roleExists(admin, role))) throw new AppError('SLICE_NOT_FOUND', `slice ${id} has no database role`);
  await assertRoleBelongsHere(admin, role);
  const password = newPassword();
  await sql`alter role ${sql.id(role)} with password ${sql.lit(password)}`.execute(admin);
  return password;
}

/** The inverse of provisionSlice: drops schema slice_N with everything in it, then the role. */
export async function dropSlice(admin: Kysely<any>, id: number): Promise<{ dropped: boolean }> {
  const role = sliceRoleName(id);
  const schema = sliceSchemaName(id);
  return withLock(admin, id, async (conn) => {
    const exists = await roleExists(conn, role);
    // Never end another installation's sessions (pg_terminate_backend below) nor drop its role.
    if (exists) await assertRoleBelongsHere(conn, role);
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(conn);
    if (exists) {
      // Sessions still open as the role would block DROP ROLE.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${role}`.execute(conn);
      await sql`drop owned by ${sql.id(role)}`.execute(conn);
      await sql`drop role if exists ${sql.id(role)}`.execute(conn);
    }
    return { dropped: exists };
  });
}

export async function sliceSchemaExists(db: Kysely<any>, id: number): Promise<boolean> {
  const r = await sql`select 1 from pg_namespace where nspname = ${sliceSchemaName(id)}`.execute(db);
  return r.rows.length > 0;
}

/**
 * The gateway's role and schema: wank_gateway owns schema gateway and nothing else. The password
 * is set when given (the installer and `npm start` keep it), else only generated at creation.
 */
export async function provisionGateway(admin: Kysely<any>, options: { password?: string } = {}): Promise<{ role: string; password: string | null; migrations: string[] }> {
  return withLock(admin, 0, async (conn) => {
    await assertRoleBelongsHere(conn, GATEWAY_ROLE);
    const fresh = (await roleExists(conn, GATEWAY_ROLE)) ? null : newPassword();
    const password = options.password ?? fresh;
    await createOrUpdateRole(conn, GATEWAY_ROLE, GATEWAY_CONNECTION_LIMIT, password);
    await createOwnedSchema(conn, GATEWAY_SCHEMA, GATEWAY_ROLE);
    const report = await migrateAs(conn, GATEWAY_ROLE, migrateGatewaySchema);
    return { role: GATEWAY_ROLE, password, migrations: report.applied };
  });
}
