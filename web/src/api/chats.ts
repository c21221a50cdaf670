// Chats: the list (cursor paged, filtered), one chat, read marks, labels and stage of a chat, a new
// chat by phone number, and the flags WhatsApp keeps (pinned, muted, archived).
import { api } from './http.ts';
import { mapPage, toChat } from './normalise.ts';
import type { Chat, Page } from './types.ts';

export interface ChatFilters {
  q?: string;
  label?: number | null;
  stage?: number | null;
  unread?: boolean;
  /** true: the Archived list; otherwise the main list, without archived chats. */
  archived?: boolean;
  /** Mine (`me`), Unassigned (`none`), or null: every chat this member can see. */
  assignee?: 'me' | 'none' | null;
}

const CHAT_PAGE_SIZE = 200;

export async function listChats(filters: ChatFilters, cursor: string | null, signal?: AbortSignal, limit = CHAT_PAGE_SIZE): Promise<Page<Chat>> {
  const page = await api<Page<unknown>>('/api/chats', {
    query: { cursor, limit, q: filters.q?.trim() || undefined, label: filters.label, stage: filters.stage, unread: filters.unread ? 'true' : undefined, archived: filters.archived ? 'true' : undefined, assignee: filters.assignee ?? undefined },
    signal,
  });
  return mapPage(page, toChat);
}

export async function getChat(id: string, signal?: AbortSignal): Promise<Chat> {
  return toChat(await api<unknown>(`/api/chats/${encodeURIComponent(id)}`, { signal }));
}

export async function markRead(id: string): Promise<void> {
  await api<unknown>(`/api/chats/${encodeURIComponent(id)}/read`, { method: 'POST' });
}

export function addChatLabel(chatId: string, labelId: number): Promise<unknown> {
  return api(`/api/chats/${encodeURIComponent(chatId)}/labels/${labelId}`, { method: 'PUT' });
}

export function removeChatLabel(chatId: string, labelId: number): Promise<unknown> {
  return api(`/api/chats/${encodeURIComponent(chatId)}/labels/${labelId}`, { method: 'DELETE' });
}

/** How many chats have unread messages, counted by the slice over every chat (archived ones aside). */
export async function getUnreadChatCount(signal?: AbortSignal): Promise<number> {
  return (await api<{ chats: number }>('/api/chats/unread-count', { signal })).chats;
}

export function setChatDeal(chatId: string, value: number | null): Promise<unknown> {
  return api(`/api/chats/${encodeURIComponent(chatId)}/deal`, { method: 'PUT', body: { value } });
}

export function setChatStage(chatId: string, stageId: number | null): Promise<unknown> {
  return api(`/api/chats/${encodeURIComponent(chatId)}/stage`, { method: 'PUT', body: { stageId } });
}

export type ChatFlags = Partial<Pick<Chat, 'pinned' | 'muted' | 'archived'>>;

/** Done on WhatsApp's page first; the answer is the chat as stored after it. */
export async function setChatFlags(chatId: string, flags: ChatFlags): Promise<Chat> {
  return toChat(await api<unknown>(`/api/chats/${encodeURIComponent(chatId)}`, { method: 'PATCH', body: flags }));
}

/** Opens (or finds) the chat with a phone number: digits with the country code, an optional +. */
export async function startChat(phone: string): Promise<Chat> {
  return toChat(await api<unknown>('/api/chats', { method: 'POST', body: { phone } }));
}

export interface ChatCounts {
  mine: number;
  unassigned: number;
  all: number;
}

/** The main list (not archived) counted by the slice for this member. */
export function getChatCounts(signal?: AbortSignal): Promise<ChatCounts> {
  return api<ChatCounts>('/api/chats/counts', { signal });
}

/** null unassigns. Agents may take an unassigned chat or give back their own. */
export async function setAssignee(chatId: string, memberId: string | null): Promise<Chat> {
  return toChat(await api<unknown>(`/api/chats/${encodeURIComponent(chatId)}/assignee`, { method: 'PUT', body: { memberId } }));
}
