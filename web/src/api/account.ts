// The account itself (gateway, owners): its name, its audit trail, deleting it.
import { api } from './http.ts';
import type { AccountRef, Page } from './types.ts';

export interface AuditEntry {
  id: string;
  at: string;
  actor: { kind: 'user' | 'system'; userId: string | null; name: string | null };
  action: string;
  details: Record<string, unknown> | null;
}

export function renameAccount(name: string): Promise<AccountRef> {
  return api<AccountRef>('/api/account', { method: 'PATCH', body: { name } });
}

export function listAudit(cursor: string | null, signal?: AbortSignal, limit = 50): Promise<Page<AuditEntry>> {
  return api<Page<AuditEntry>>('/api/account/audit', { query: { cursor, limit }, signal });
}

export function deleteAccount(password: string): Promise<{ state: 'deleting' }> {
  return api('/api/account', { method: 'DELETE', body: { password } });
}
