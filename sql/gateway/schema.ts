// The gateway schema as Kysely sees it. Tables are qualified with the schema through withSchema().
import type { AccountsTable } from './accounts.table.ts';
import type { ApiKeysTable } from './api-keys.table.ts';
import type { AuditLogTable } from './audit-log.table.ts';
import type { InvitationsTable } from './invitations.table.ts';
import type { MembersTable } from './members.table.ts';
import type { RecoveryCodesTable } from './recovery-codes.table.ts';
import type { UserTokensTable } from './user-tokens.table.ts';
import type { SessionsTable } from './sessions.table.ts';
import type { SlicesTable } from './slices.table.ts';
import type { StripeEventsTable } from './stripe-events.table.ts';
import type { SubscriptionsTable } from './subscriptions.table.ts';
import type { UsersTable } from './users.table.ts';
import type { WebhookCursorsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from './webhooks.table.ts';

export const GATEWAY_SCHEMA = 'gateway';

export interface GatewayDatabase {
  users: UsersTable;
  accounts: AccountsTable;
  members: MembersTable;
  invitations: InvitationsTable;
  user_tokens: UserTokensTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  slices: SlicesTable;
  subscriptions: SubscriptionsTable;
  stripe_events: StripeEventsTable;
  audit_log: AuditLogTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_cursors: WebhookCursorsTable;
  api_keys: ApiKeysTable;
}
