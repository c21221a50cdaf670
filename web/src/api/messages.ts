// Messages of a chat (newest first, paged backwards with `before`), sending, and search.
import { api } from './http.ts';
import type { Message, Page } from './types.ts';

export const MESSAGE_PAGE_SIZE = 50;

export function listMessages(chatId: string, before: string | null, signal?: AbortSignal): Promise<Page<Message>> {
  return api<Page<Message>>(`/api/chats/${encodeURIComponent(chatId)}/messages`, { query: { before, limit: MESSAGE_PAGE_SIZE }, signal });
}

export function sendMessage(chatId: string, body: string): Promise<Message> {
  return api<Message>(`/api/chats/${encodeURIComponent(chatId)}/messages`, { method: 'POST', body: { body } });
}

export function searchMessages(q: string, cursor: string | null, signal?: AbortSignal): Promise<Page<Message>> {
  return api<Page<Message>>('/api/search', { query: { q, cursor, limit: 50 }, signal });
}
