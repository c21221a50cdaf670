// The account's integrations (gateway, issue 18): API keys and webhook endpoints with their
// delivery log. Routes and shapes: notes/briefs/contract-18.md, sections 2 and 4.
import { api } from './http.ts';
import type { MemberRef } from './types.ts';

export const API_SCOPES = ['read', 'send', 'manage'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** What a key holding the scope may do, in a line (lib/api-scopes.ts on the server says the same). */
export const SCOPE_WORDS: Record<ApiScope, string> = {
  read: 'Read chats, messages, contacts, labels and files.',
  send: 'Send messages and reactions to customers.',
  manage: 'Change labels, notes, stages, contacts, assignment and webhooks.',
};

export const WEBHOOK_EVENTS = ['message.received', 'message.sent', 'message.ack', 'message.reaction', 'chat.updated', 'chat.assigned', 'contact.updated', 'wa.state'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const EVENT_WORDS: Record<WebhookEvent, string> = {
  'message.received': 'A customer sent a message.',
  'message.sent': 'A message went out, from Queunir or from the phone.',
  'message.ack': 'A sent message was delivered or read.',
  'message.reaction': 'A reaction was added or removed.',
  'chat.updated': 'A chat changed: labels, stage, flags, unread count.',
  'chat.assigned': 'A chat was given to a member, or let go.',
  'contact.updated': 'A contact’s name, email or company changed.',
  'wa.state': 'WhatsApp connected, disconnected or was unlinked.',
};

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  createdAt: string;
  createdBy: MemberRef | null;
  lastUsedAt: string | null;
  lastUsedAddress: string | null;
  revokedAt: string | null;
}

/** The answer to a creation: the only time the whole key is in an answer. */
export interface CreatedApiKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
  scopes: ApiScope[];
  createdAt: string;
}

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEvent[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  createdAt: string;
}

/** The answer to a creation: the only time the signing secret is in an answer. */
export interface CreatedWebhook extends Omit<Webhook, 'disabledReason' | 'failingSince'> {
  secret: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  id: string;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  responseStatus: number | null;
  responseMs: number | null;
  responseBody: string | null;
  error: string | null;
}

const id = (v: string) => encodeURIComponent(v);
// The gateway's ids are bigserials; the app keys everything by string.
const withId = <T extends { id: unknown }>(x: T): T & { id: string } => ({ ...x, id: String(x.id) });

export async function listApiKeys(signal?: AbortSignal): Promise<ApiKey[]> {
  return (await api<{ items: ApiKey[] }>('/api/keys', { signal })).items.map((k) => ({ ...withId(k), createdBy: k.createdBy ? { ...k.createdBy, memberId: String(k.createdBy.memberId) } : null }));
}

export async function createApiKey(name: string, scopes: ApiScope[]): Promise<CreatedApiKey> {
  return withId(await api<CreatedApiKey>('/api/keys', { method: 'POST', body: { name, scopes } }));
}

export function revokeApiKey(keyId: string): Promise<void> {
  return api<void>(`/api/keys/${id(keyId)}`, { method: 'DELETE' });
}

export async function listWebhooks(signal?: AbortSignal): Promise<Webhook[]> {
  return (await api<{ items: Webhook[] }>('/api/webhooks', { signal })).items.map(withId);
}

export async function createWebhook(input: { url: string; events: WebhookEvent[]; description?: string }): Promise<CreatedWebhook> {
  return withId(await api<CreatedWebhook>('/api/webhooks', { method: 'POST', body: input }));
}

export async function updateWebhook(webhookId: string, patch: { url?: string; events?: WebhookEvent[]; description?: string; enabled?: boolean }): Promise<Webhook> {
  return withId(await api<Webhook>(`/api/webhooks/${id(webhookId)}`, { method: 'PATCH', body: patch }));
}

export function deleteWebhook(webhookId: string): Promise<void> {
  return api<void>(`/api/webhooks/${id(webhookId)}`, { method: 'DELETE' });
}

export const DELIVERIES_PAGE = 20;

/** Newest first; `before` is the last delivery id of the page already shown. */
export async function listDeliveries(webhookId: string, before: string | null, signal?: AbortSignal): Promise<Delivery[]> {
  const page = await api<{ items: Delivery[] }>(`/api/webhooks/${id(webhookId)}/deliveries`, { query: { limit: DELIVERIES_PAGE, before }, signal });
  return page.items.map(withId);
}

export function redeliver(webhookId: string, deliveryId: string): Promise<void> {
  return api<void>(`/api/webhooks/${id(webhookId)}/deliveries/${id(deliveryId)}/redeliver`, { method: 'POST' });
}

export async function sendTestEvent(webhookId: string): Promise<{ deliveryId: string }> {
  const r = await api<{ deliveryId: string | number }>(`/api/webhooks/${id(webhookId)}/test`, { method: 'POST' });
  return { deliveryId: String(r.deliveryId) };
}
