// The gateway schema as Kysely sees it. Tables are qualified with the schema through withSchema().
import type { AuditLogTable } from './audit-log.table.ts';
import type { SessionsTable } from './sessions.table.ts';
import type { SlicesTable } from './slices.table.ts';
import type { StripeEventsTable } from './stripe-events.table.ts';
import type { SubscriptionsTable } from './subscriptions.table.ts';
import type { UsersTable } from './users.table.ts';

export const GATEWAY_SCHEMA = 'gateway';

export interface GatewayDatabase {
  users: UsersTable;
  sessions: SessionsTable;
  slices: SlicesTable;
  subscriptions: SubscriptionsTable;
  stripe_events: StripeEventsTable;
  audit_log: AuditLogTable;
}
