// Listed explicitly, in order: a migration is never picked up by scanning a folder.
import type { Migration } from 'kysely';
import * as init from './2026-11-25T00-00-init.ts';

export const gatewayMigrations: Record<string, Migration> = {
  '2026-11-25T00-00-init': init,
};
