// The one writer of gateway.audit_log. Every row says who acted (a user, Stripe, the monitor,
// billing or an operator), for which user, what was done, and the details that explain it.
import type { Kysely, Transaction } from 'kysely';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';

export type AuditActor = `user:${string}` | 'stripe' | 'monitor' | 'billing' | 'operator';

export interface AuditEntry {
  actor: AuditActor;
  userId: string | null;
  action: string;
  details: Record<string, unknown>;
}

/** Inside the caller's transaction when given one, so the row commits with the change it records. */
export async function writeAudit(db: Kysely<GatewayDatabase> | Transaction<GatewayDatabase>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ actor: entry.actor, user_id: entry.userId, action: entry.action, details: JSON.stringify(entry.details) })
    .execute();
}
