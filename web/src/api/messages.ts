// Messages of a chat (newest first, paged backwards with `before`), sending, and search.
import { api } from './http.ts';
import { mapPage, toMessage } from './normalise.ts';
import type { Message, Page } from './types.ts';

const MESSAGE_PAGE_SIZE = 50;

export async function listMessages(chatId: string, before: string | null, signal?: AbortSignal): Promise<Page<Message>> {
  return mapPage(await api<Page<unknown>>(`/api/chats/${encodeURIComponent(chatId)}/messages`, { query: { before, limit: MESSAGE_PAGE_SIZE }, signal }), toMessage);
}

export async function sendMessage(chatId: string, body: string): Promise<Message> {
  return toMessage(await api<unknown>(`/api/chats/${encodeURIComponent(chatId)}/messages`, { method: 'POST', body: { body } }));
}

export async function searchMessages(q: string, cursor: string | null, signal?: AbortSignal): Promise<Page<Message>> {
  return mapPage(await api<Page<unknown>>('/api/search', { query: { q, cursor, limit: 50 }, signal }), toMessage);
}
