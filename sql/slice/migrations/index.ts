// Listed explicitly, in order: a migration is never picked up by scanning a folder.
import type { Migration } from 'kysely';
import * as init from './2026-11-25T00-00-init.ts';
import * as savedNames from './2026-12-02T00-00-saved-names.ts';
import * as searchUnaccent from './2026-12-02T01-00-search-unaccent.ts';
import * as dealsAndOutcomes from './2026-12-02T02-00-deals-and-outcomes.ts';
import * as chatFlags from './2026-12-02T03-00-chat-flags.ts';
import * as media from './2026-12-02T04-00-media.ts';
import * as team from './2026-12-03T00-00-team.ts';
import * as idempotencyKeys from './2026-12-04T02-00-idempotency-keys.ts';

export const sliceMigrations: Record<string, Migration> = {
  '2026-11-25T00-00-init': init,
  '2026-12-02T00-00-saved-names': savedNames,
  '2026-12-02T01-00-search-unaccent': searchUnaccent,
  '2026-12-02T02-00-deals-and-outcomes': dealsAndOutcomes,
  '2026-12-02T03-00-chat-flags': chatFlags,
  '2026-12-02T04-00-media': media,
  '2026-12-03T00-00-team': team,
  '2026-12-04T02-00-idempotency-keys': idempotencyKeys,
};
