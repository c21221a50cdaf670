// Runs the gateway's and the slice template's migrations. Each set lives in its own schema with
// its own migration table, so slices migrate independently of the gateway and of each other.
import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { AppError } from '../lib/errors.ts';
import { gatewayMigrations } from './gateway/migrations/index.ts';
import { sliceMigrations } from './slice/migrations/index.ts';
import { GATEWAY_SCHEMA } from './gateway/schema.ts';

export interface MigrationReport {
  schema: string;
  applied: string[];
}

async function migrateSchema(db: Kysely<any>, schema: string, migrations: Record<string, Migration>): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: db.withSchema(schema),
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    migrationTableName: 'kysely_migration',
    migrationLockTableName: 'kysely_migration_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? '(setup)';
    throw new AppError('INTERNAL', `migration ${failed} of schema ${schema} failed: ${(result.error as Error).message}`, {
      cause: result.error,
    });
  }
  return { schema, applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

export function migrateGatewaySchema(db: Kysely<any>): Promise<MigrationReport> {
  return migrateSchema(db, GATEWAY_SCHEMA, gatewayMigrations);
}

export function migrateSliceSchema(db: Kysely<any>, schema: string): Promise<MigrationReport> {
  return migrateSchema(db, schema, sliceMigrations);
}
