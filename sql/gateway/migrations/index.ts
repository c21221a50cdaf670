// Listed explicitly, in order: a migration is never picked up by scanning a folder.
import type { Migration } from 'kysely';
import * as init from './2026-11-25T00-00-init.ts';
import * as userNames from './2026-12-02T00-00-user-names.ts';
import * as accounts from './2026-12-03T00-00-accounts.ts';
import * as apiKeys from './2026-12-04T00-00-api-keys.ts';
import * as webhooks from './2026-12-04T01-00-webhooks.ts';

export const gatewayMigrations: Record<string, Migration> = {
  '2026-11-25T00-00-init': init,
  '2026-12-02T00-00-user-names': userNames,
  '2026-12-03T00-00-accounts': accounts,
  '2026-12-04T00-00-api-keys': apiKeys,
  '2026-12-04T01-00-webhooks': webhooks,
};
