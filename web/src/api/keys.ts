// Query keys: one place, so the event reducer and the screens agree.
import type { ChatFilters } from './chats.ts';

export const keys = {
  me: ['me'] as const,
  wa: ['wa'] as const,
  chatsAll: ['chats'] as const,
  chats: (filters: ChatFilters) => ['chats', normaliseFilters(filters)] as const,
  chat: (id: string) => ['chat', id] as const,
  messages: (chatId: string) => ['messages', chatId] as const,
  contact: (id: string) => ['contact', id] as const,
  contactsAll: ['contacts'] as const,
  contacts: (q: string) => ['contacts', q] as const,
  labels: ['labels'] as const,
  stages: ['stages'] as const,
  notes: (chatId: string) => ['notes', chatId] as const,
  search: (q: string) => ['search', q] as const,
  /** Not under 'chats': the chat-list queries are matched by that prefix. */
  unreadChats: ['unread-chats'] as const,
  /** Mine / Unassigned / All; not under 'chats' either. */
  chatCounts: ['chat-counts'] as const,
  members: ['team', 'members'] as const,
  invitations: ['team', 'invitations'] as const,
  teamSettings: ['team', 'settings'] as const,
  teamAll: ['team'] as const,
  sessions: ['sessions'] as const,
  audit: ['audit'] as const,
  apiKeys: ['integrations', 'keys'] as const,
  webhooks: ['integrations', 'webhooks'] as const,
  deliveries: (webhookId: string) => ['integrations', 'deliveries', webhookId] as const,
};

export function normaliseFilters(f: ChatFilters): Required<ChatFilters> {
  return { q: f.q?.trim() ?? '', label: f.label ?? null, stage: f.stage ?? null, unread: !!f.unread, archived: !!f.archived, assignee: f.assignee ?? null };
}
