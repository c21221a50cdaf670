// The one writer of gateway.audit_log. Every row says who acted (a user, Stripe, the monitor,
// billing or an operator), for which account and user, what was done, and the details that explain it.
import type { Kysely, Transaction } from 'kysely';
import type { GatewayDatabase } from '../../sql/gateway/schema.ts';

/** `account:<id>`: done for the account itself, by no one person (its deletion's steps). */
export type AuditActor = `user:${string}` | `account:${string}` | 'stripe' | 'monitor' | 'billing' | 'operator';

export interface AuditEntry {
  actor: AuditActor;
  /** the user who acted or was acted on, when one was */
  userId?: string | null;
  /** the account acted in, when one was */
  accountId?: string | null;
  action: string;
  details: Record<string, unknown>;
}

/** Inside the caller's transaction when given one, so the row commits with the change it records. */
export async function writeAudit(db: Kysely<GatewayDatabase> | Transaction<GatewayDatabase>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ actor: entry.actor, user_id: entry.userId ?? null, account_id: entry.accountId ?? null, action: entry.action, details: JSON.stringify(entry.details) })
    .execute();
}
