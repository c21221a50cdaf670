// Pure updates of the cached lists (no React): shared by the event stream and optimistic writes.
import type { InfiniteData } from '@tanstack/react-query';
import type { Chat, Message, Page } from '../api/types.ts';
import type { ChatFilters } from '../api/chats.ts';
import { assigneeId } from '../lib/attention.ts';

export type Pages<T> = InfiniteData<Page<T>, unknown>;

function time(iso: string | null | undefined): number {
  if (!iso) return -Infinity;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? -Infinity : t;
}

/** The server's order: pinned chats first, then newest first by lastMessageAt; ties keep their order. */
function comesBefore(a: Chat, b: Chat): boolean {
  if (!!a.pinned !== !!b.pinned) return !!a.pinned;
  return time(a.lastMessageAt) > time(b.lastMessageAt);
}

/** Whether a chat belongs in a list with these filters (what the client can tell); `meId` is the signed-in member. */
export function chatMatches(chat: Chat, f: Required<ChatFilters>, meId: string | null = null): boolean {
  if (!!chat.archived !== f.archived) return false;
  if (f.assignee === 'none' && assigneeId(chat) !== null) return false;
  if (f.assignee === 'me' && (meId === null || assigneeId(chat) !== meId)) return false;
  if (f.unread && chat.unreadCount <= 0) return false;
  if (f.label !== null && !chat.labels.some((l) => l.id === f.label)) return false;
  if (f.stage !== null && chat.stageId !== f.stage) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    if (!chat.name.toLowerCase().includes(q) && !(chat.phone ?? '').includes(q)) return false;
  }
  return true;
}

/**
 * Puts a chat where it belongs in a pinned-first, then newest-first, paged list: removes its old copy, inserts it before
 * the first older chat. A chat that sorts past the loaded pages (and more exist) is left out: it will
 * come with the next page. `insertIfAbsent` false only updates a chat that is already listed.
 */
export function upsertChat(data: Pages<Chat> | undefined, chat: Chat, opts: { insertIfAbsent: boolean; remove?: boolean } = { insertIfAbsent: true }): Pages<Chat> | undefined {
  if (!data) return data;
  const present = data.pages.some((p) => p.items.some((c) => c.id === chat.id));
  if (!present && !opts.insertIfAbsent) return data;
  const pages = data.pages.map((p) => ({ ...p, items: p.items.filter((c) => c.id !== chat.id) }));
  if (opts.remove) return { ...data, pages };
  for (const page of pages) {
    const idx = page.items.findIndex((c) => comesBefore(chat, c));
    if (idx >= 0) {
      page.items.splice(idx, 0, chat);
      return { ...data, pages };
    }
  }
  const last = pages[pages.length - 1];
  if (last && last.nextCursor === null) last.items.push(chat);
  else if (!last) return data;
  return { ...data, pages };
}

export function findChat(data: Pages<Chat> | undefined, id: string): Chat | undefined {
  for (const p of data?.pages ?? []) for (const c of p.items) if (c.id === id) return c;
  return undefined;
}

/** Adds a message at the newest end unless one with its id is there; `replaceId` swaps a pending copy. */
export function addMessage(data: Pages<Message> | undefined, msg: Message, replaceId?: string): Pages<Message> | undefined {
  if (!data || data.pages.length === 0) return data;
  const exists = data.pages.some((p) => p.items.some((m) => m.id === msg.id));
  let pages = data.pages;
  if (replaceId) {
    pages = pages.map((p) => {
      const i = p.items.findIndex((m) => m.id === replaceId);
      if (i < 0) return p;
      const items = [...p.items];
      if (exists) items.splice(i, 1);
      else items[i] = msg;
      return { ...p, items };
    });
    if (pages.some((p) => p.items.some((m) => m.id === msg.id))) return { ...data, pages };
  }
  if (exists) return updateMessage({ ...data, pages }, msg);
  const [first, ...rest] = pages;
  // Newest first: the new message goes before the first one that is not newer than it.
  const items = [...first!.items];
  const t = time(msg.sentAt);
  let i = items.findIndex((m) => time(m.sentAt) <= t);
  if (i < 0) i = items.length;
  items.splice(i, 0, msg);
  return { ...data, pages: [{ ...first!, items }, ...rest] };
}

/** Replaces a message by id (ack changes, edits); unknown ids change nothing. */
export function updateMessage(data: Pages<Message> | undefined, msg: Partial<Message> & { id: string }): Pages<Message> | undefined {
  if (!data) return data;
  let changed = false;
  const pages = data.pages.map((p) => {
    const i = p.items.findIndex((m) => m.id === msg.id);
    if (i < 0) return p;
    changed = true;
    const items = [...p.items];
    items[i] = { ...items[i]!, ...msg };
    return { ...p, items };
  });
  return changed ? { ...data, pages } : data;
}

/** All messages of the loaded pages, oldest first (the order a conversation shows). */
export function chronological(data: Pages<Message> | undefined): Message[] {
  const out: Message[] = [];
  for (const p of data?.pages ?? []) out.push(...p.items);
  return out.reverse();
}

/** Takes a message out (a cancelled upload's pending copy). */
export function removeMessage(data: Pages<Message> | undefined, id: string): Pages<Message> | undefined {
  if (!data || !data.pages.some((p) => p.items.some((m) => m.id === id))) return data;
  return { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.filter((m) => m.id !== id) })) };
}
